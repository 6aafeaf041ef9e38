import { CloseCode } from '../../core/close-codes.js';
import { errorMessage } from '../../core/errors.js';
import type { WampHandshake, WampIdentity } from '../../core/wamp-session.js';
import { WampErrorUri } from '../../protocol/error-uris.js';
import { newSessionId, newV2SessionId } from '../../protocol/session-id.js';
import { checkClientMessage, CLIENT_REQUESTS } from '../../protocol/v2/client-rules.js';
import { decodeMessage, type DecodeOptions } from '../../protocol/v2/decode.js';
import { encodeRefusal } from './call-replies.js';
import { MessageCode } from '../../protocol/v2/message-code.js';
import type { WampMessage } from '../../protocol/v2/messages.js';
import { ServerSession } from '../../session/server-session.js';
import type { SessionSocket } from '../../session/session-socket.js';
import { Wamp2State } from '../../session/wamp2-state.js';
import { Wamp2Broker } from './wamp2-broker.js';
import type { Wamp2Context } from './wamp2-context.js';
import { Wamp2Dealer } from './wamp2-dealer.js';
import { Wamp2Opening } from './wamp2-opening.js';

/**
 * The WAMP v2 (`wamp.2.json`) session state machine, beside the v1 router and sharing its
 * registry, topic index, dispatcher, hooks and access policy: it decodes each client message,
 * checks it against the session's phase (a message out of place is a protocol violation: ABORT),
 * and hands it to the opening (HELLO, AUTHENTICATE, GOODBYE, ABORT), the broker or the dealer.
 */
export class Wamp2Router {
  /** The codec's options, built once: every frame is decoded with them. */
  private readonly decodeOptions: DecodeOptions;
  readonly opening: Wamp2Opening;
  readonly broker: Wamp2Broker;
  readonly dealer: Wamp2Dealer;

  constructor(private readonly context: Wamp2Context) {
    this.decodeOptions = { maxUriLength: context.options.limits.uriLength };
    this.opening = new Wamp2Opening(context);
    this.broker = new Wamp2Broker(context);
    this.dealer = new Wamp2Dealer(context, this.opening);
  }

  /** A WebSocket chose `wamp.2.json`: the session exists, and waits for the client's HELLO. */
  open(socket: SessionSocket, handshake: WampHandshake, identity?: WampIdentity): ServerSession {
    const session = new ServerSession(newSessionId(), newV2SessionId(), 2, handshake, socket, this.reportQueueError);
    session.v2 = new Wamp2State();
    if (identity) session.authenticate(identity);
    this.context.sessions.add(session);
    this.context.counters.sessionsOpened++;
    this.opening.opened(session);
    return session;
  }

  private readonly reportQueueError = (session: ServerSession, error: unknown): void => {
    this.context.logger.limitedError('pubsub-failed', `pub/sub handling failed for session ${session.id}: ${errorMessage(error)}`);
  };

  /** One frame from the client. */
  receive(session: ServerSession, data: Buffer | string, isBinary: boolean): void {
    // Nothing is heard while the answer to HELLO or AUTHENTICATE is being worked out.
    if (!session.isOpen || session.v2!.awaitingAnswer) return;
    if (isBinary) {
      this.opening.violation(session, 'binary frames are not wamp.2.json');
      return;
    }
    const decoded = decodeMessage(typeof data === 'string' ? data : data.toString('utf8'), this.decodeOptions);
    const phase = session.v2!.phase;
    if (decoded.kind === 'violation') {
      this.opening.violation(session, decoded.violation.reason, decoded.violation.abortReason);
      return;
    }
    if (decoded.kind === 'request-error') {
      const { error } = decoded;
      const verdict = checkClientMessage(phase, { type: error.requestType });
      if (verdict.action === 'abort') this.opening.violation(session, verdict.reason);
      else if (verdict.action === 'handle' && error.answer) {
        this.context.counters.refuse(error.category === 'too-long' ? 'too-long' : 'malformed');
        session.send(encodeRefusal(error.requestType, error.request, error.error, error.reason));
      }
      return;
    }
    const message = decoded.message;
    const verdict = checkClientMessage(phase, message);
    if (verdict.action === 'abort') {
      this.opening.violation(session, verdict.reason);
      return;
    }
    if (verdict.action === 'ignore') return;
    // limits.rate counts requests, not YIELD or ERROR (the answers to the router's own INVOCATIONs).
    const rate = this.context.options.limits.rate;
    if (rate && CLIENT_REQUESTS.has(message.type) && !session.takeToken(rate.messagesPerSecond, rate.burst, performance.now())) {
      this.rateLimited(session, message, rate.onExceed);
      return;
    }
    this.dispatch(session, message);
  }

  /**
   * Over `limits.rate`, as in v1: the session is ended (`session.close`: GOODBYE, then 1008), or
   * with `onExceed: 'drop'` the request is dropped, answered with ERROR `error#busy` when it is one
   * the router answers (all but CANCEL and a PUBLISH without `acknowledge`).
   */
  private rateLimited(session: ServerSession, message: WampMessage, onExceed: 'close' | 'drop'): void {
    const { counters, logger } = this.context;
    counters.refuse('rate-limited');
    if (onExceed === 'close') {
      logger.debug(`closing v2 session ${session.v2Id}: message rate exceeded`);
      session.close(CloseCode.policyViolation, 'message rate exceeded');
      return;
    }
    switch (message.type) {
      case MessageCode.Publish:
        if (message.options.acknowledge !== true) return;
        break;
      case MessageCode.Call:
        counters.answered('refused', 0);
        break;
      case MessageCode.Subscribe:
      case MessageCode.Unsubscribe:
      case MessageCode.Register:
      case MessageCode.Unregister:
        break;
      default:
        return;
    }
    session.send(encodeRefusal(message.type, message.request, WampErrorUri.busy, 'message rate exceeded'));
  }

  private dispatch(session: ServerSession, message: WampMessage): void {
    switch (message.type) {
      case MessageCode.Hello:
        return this.opening.hello(session, message);
      case MessageCode.Authenticate:
        return this.opening.authenticate(session, message);
      case MessageCode.Goodbye:
        return this.opening.goodbye(session, message);
      case MessageCode.Abort:
        return this.opening.aborted(session, message);
      case MessageCode.Subscribe:
        return this.broker.subscribe(session, message);
      case MessageCode.Unsubscribe:
        return this.broker.unsubscribe(session, message);
      case MessageCode.Publish:
        return this.broker.publish(session, message);
      case MessageCode.Call:
        return this.dealer.call(session, message);
      case MessageCode.Cancel:
        return this.dealer.cancel(session, message);
      case MessageCode.Register:
        return this.dealer.register(session, message);
      case MessageCode.Unregister:
        return this.dealer.unregister(session, message);
      case MessageCode.Yield:
        return this.dealer.yield(session, message);
      case MessageCode.Error:
        return this.dealer.invocationError(session, message);
      default:
        // checkClientMessage lets nothing else through; a new message type must be routed above.
        this.opening.violation(session, `no route for message type ${message.type}`);
    }
  }

  /** The connection ended: drop every trace of the session, then tell the hooks (which heard of it only once it was welcomed). */
  closed(session: ServerSession, code: number, reason: string): void {
    if (!session.forget()) return;
    const { counters, sessions, topics, hooks } = this.context;
    counters.sessionsClosed++;
    sessions.remove(session);
    this.opening.closed(session);
    this.broker.closed(session);
    this.dealer.closed(session);
    const welcomed = session.v2!.welcomed;
    for (const topic of topics.unsubscribeAll(session)) {
      if (welcomed) hooks.emit('onWampUnsubscribed', session, topic);
    }
    if (welcomed) hooks.emit('onWampSessionClose', session, { code, reason });
    session.v2!.phase = 'closed';
  }
}
