import type { WampSession } from './wamp-session.js';

/** What a handler is being asked to do; guards and interceptors read it from the context. */
export type WampInvocation = WampCallInvocation | WampSubscribeInvocation | WampPublishInvocation;

export type WampActionKind = WampInvocation['kind'];

export interface WampCallInvocation {
  readonly kind: 'call';
  readonly session: WampSession;
  /** The procedure URI, CURI resolved. */
  readonly uri: string;
  readonly callId: string;
  /** The call's arguments; an interceptor may replace them before the handler runs. */
  args: unknown[];
}

export interface WampSubscribeInvocation {
  readonly kind: 'subscribe';
  readonly session: WampSession;
  /** The topic URI, CURI resolved. */
  readonly uri: string;
}

export interface WampPublishInvocation {
  readonly kind: 'publish';
  readonly session: WampSession;
  /** The topic URI, CURI resolved. */
  readonly uri: string;
  event: unknown;
  /** Session ids the event must not reach (excludeMe already folded in). */
  exclude: string[];
  /** When set, only these session ids may receive the event; `[]` means nobody. */
  eligible?: string[];
}
