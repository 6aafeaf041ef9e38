import { MessageType } from './message-type.js';

/** `[1, prefix, uri]` */
export interface PrefixMessage {
  readonly type: typeof MessageType.Prefix;
  readonly prefix: string;
  readonly uri: string;
}

/** `[2, callId, procUri, ...args]` */
export interface CallMessage {
  readonly type: typeof MessageType.Call;
  readonly callId: string;
  readonly uri: string;
  readonly args: unknown[];
}

/** `[5, topicUri]` */
export interface SubscribeMessage {
  readonly type: typeof MessageType.Subscribe;
  readonly topic: string;
}

/** `[6, topicUri]` */
export interface UnsubscribeMessage {
  readonly type: typeof MessageType.Unsubscribe;
  readonly topic: string;
}

/**
 * `[7, topic, event]`, `[7, topic, event, excludeMe]`, `[7, topic, event, exclude]` or
 * `[7, topic, event, exclude | excludeMe, eligible]`. Fields the client did not send are
 * undefined; what they mean is decided by the router (see `resolveRecipients`).
 */
export interface PublishMessage {
  readonly type: typeof MessageType.Publish;
  readonly topic: string;
  readonly event: unknown;
  readonly excludeMe?: boolean;
  readonly exclude?: readonly string[];
  readonly eligible?: readonly string[];
}

/** Every message a client may send. */
export type ClientMessage = PrefixMessage | CallMessage | SubscribeMessage | UnsubscribeMessage | PublishMessage;
