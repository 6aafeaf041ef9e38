import { encodeError } from '../../protocol/v2/encode.js';
import { WampError } from '../../protocol/v2/error-uris.js';
import { MessageCode } from '../../protocol/v2/message-code.js';
import type { PublishMessage, SubscribeMessage, UnsubscribeMessage } from '../../protocol/v2/messages.js';
import type { ServerSession } from '../../session/server-session.js';
import type { Wamp2Context } from './wamp2-context.js';

/** The v2 broker: SUBSCRIBE, UNSUBSCRIBE and PUBLISH of v2 sessions, on the topics v1 sessions share. */
export class Wamp2Broker {
  constructor(private readonly context: Wamp2Context) {}

  subscribe(session: ServerSession, message: SubscribeMessage): void {
    session.send(encodeError(MessageCode.Subscribe, message.request, {}, WampError.featureNotSupported));
  }

  unsubscribe(session: ServerSession, message: UnsubscribeMessage): void {
    session.send(encodeError(MessageCode.Unsubscribe, message.request, {}, WampError.noSuchSubscription));
  }

  publish(session: ServerSession, message: PublishMessage): void {
    if (message.options.acknowledge === true) {
      session.send(encodeError(MessageCode.Publish, message.request, {}, WampError.featureNotSupported));
    }
  }

  /** The session is gone: forget what the broker kept for it. */
  closed(_session: ServerSession): void {
    void this.context;
  }
}
