import { CloseCode } from '../core/close-codes.js';
import { decodeClientMessage, type ProtocolViolation } from '../protocol/decode.js';
import { encodeCallError, encodeCallResult, encodeWelcome } from '../protocol/encode.js';
import { WampErrorDescription, WampErrorUri } from '../protocol/error-uris.js';
import { MessageType } from '../protocol/message-type.js';
import type { CallMessage, ClientMessage, PublishMessage } from '../protocol/messages.js';
import type { Payload } from '../protocol/v2/messages.js';
import { newSessionId, newV2SessionId } from '../protocol/session-id.js';
import { publishFilter } from '../pubsub/delivery-filter.js';
import type { EventDispatcher } from '../pubsub/event-dispatcher.js';
import type { TopicIndex } from '../pubsub/topic-index.js';
import type { PrefixSubscription } from '../pubsub/v2-subscriptions.js';
import { isPromiseLike } from '../core/promises.js';
import { ServerSession } from '../session/server-session.js';
import type { SessionRegistry } from '../session/session-registry.js';
import type { SessionSocket } from '../session/session-socket.js';
import type { WampHandshake, WampIdentity } from '../core/wamp-session.js';
import type { WampPermissions } from '../core/wamp-permissions.js';
import type { AccessPolicy } from './access-policy.js';
import { type CallErrorMapper, type CallErrorReply, errorOutcome } from './call-error.js';
import { errorMessage } from '../core/errors.js';
import type { HandlerRegistry } from './handler-registry.js';
import type { WampCallInvocation, WampPublishInvocation } from '../core/invocation.js';
import { WampDelivery, type WampPublishDecision } from './publish-decision.js';
import type { RefusalKind, WampCounters } from '../core/wamp-counters.js';
import type { WampHooks } from './wamp-hooks.js';
import type { ThrottledLog } from '../core/throttled-log.js';
import { ClientProcedures } from './client-procedures.js';
import { encodeV2CallError, encodeV2CallResult } from './v2/call-replies.js';

/** `decidePublish`'s answer when the rules or permissions refuse a publication (a handler's falsy decision only drops it). */
export const PUBLISH_REFUSED: unique symbol = Symbol('publish refused');

export type PublishVerdict = WampPublishDecision | typeof PUBLISH_REFUSED;

/** What a v2 PUBLISH adds to a delivery (`WampRouter.deliver`). */
export interface Wamp2PublishExtras {
  readonly publication: number;
  /** The event as the publish handler was given it (the v1 view of the payload). */
  readonly event: unknown;
  /** The payload when it is not just `[event]`. */
  readonly payload?: Payload;
}

/** The per-session limits the router enforces (see `WampLimits`), every default filled in. */
export interface RouterLimits {
  readonly prefixes: number;
  readonly subscriptions: number;
  readonly uriLength: number;
  readonly callsInFlight: number;
  readonly queuedPubSub: number;
  readonly rate?: { readonly messagesPerSecond: number; readonly burst: number; readonly onExceed: 'close' | 'drop' };
}

/** How a frame the codec refused closes its session. */
const VIOLATION_CLOSE_CODE: Readonly<Record<ProtocolViolation['kind'], number>> = {
  'invalid-json': CloseCode.invalidPayload,
  malformed: CloseCode.protocolError,
  'too-long': CloseCode.policyViolation,
};

export interface RouterOptions {
  readonly serverIdent: string;
  readonly limits: RouterLimits;
  /** What a PUBLISH without excludeMe or an exclude list does with the publisher. */
  readonly excludeMeByDefault: boolean;
  /** Send an unexpected error's message to the client as CALLERROR details. */
  readonly exposeInternalErrors: boolean;
}

export interface RouterDependencies {
  readonly handlers: HandlerRegistry;
  readonly sessions: SessionRegistry;
  readonly topics: TopicIndex;
  readonly dispatcher: EventDispatcher;
  readonly hooks: WampHooks;
  readonly access: AccessPolicy;
  readonly counters: WampCounters;
  readonly logger: ThrottledLog;
  /** What a handler threw, as a CALLERROR. */
  readonly mapError: CallErrorMapper;
  readonly options: RouterOptions;
}

/**
 * The WAMP v1 session state machine: it opens sessions, routes every client message to its
 * handler, answers every CALL exactly once, and forgets a session completely when it closes.
 * Nothing thrown by a handler or hook escapes it.
 */
export class WampRouter {
  /** The procedures WAMP v2 clients registered, which callers of both protocols reach. */
  readonly clientProcedures: ClientProcedures;

  constructor(private readonly deps: RouterDependencies) {
    this.clientProcedures = new ClientProcedures({
      counters: deps.counters,
      hooks: deps.hooks,
      uris: deps.handlers.uris,
      invocationsPerCallee: deps.options.limits.callsInFlight,
    });
    deps.handlers.addProcedureHolder((uri) => {
      const registration = this.clientProcedures.find(uri);
      return registration && `a WAMP v2 client (session ${registration.callee.v2Id}, registration ${registration.id})`;
    });
  }

  /**
   * A WebSocket completed its handshake: WELCOME first, then the open hooks. An identity the
   * handshake established authenticates the session from the start.
   */
  open(socket: SessionSocket, handshake: WampHandshake, identity?: WampIdentity): ServerSession {
    const session = new ServerSession(newSessionId(), newV2SessionId(), 1, handshake, socket, this.reportQueueError);
    if (identity) session.authenticate(identity);
    this.deps.sessions.add(session);
    this.deps.counters.sessionsOpened++;
    session.send(encodeWelcome(session.id, this.deps.options.serverIdent));
    this.deps.hooks.emit('onWampSessionOpen', session);
    return session;
  }

  private readonly reportQueueError = (session: ServerSession, error: unknown): void => {
    this.deps.logger.limitedError('pubsub-failed', `pub/sub handling failed for session ${session.id}: ${errorMessage(error)}`);
  };

  /** One frame from the client. */
  receive(session: ServerSession, data: Buffer | string, isBinary: boolean): void {
    if (!session.isOpen) return;
    if (isBinary) {
      this.refuse(session, 'binary', 'binary frames are not WAMP v1', CloseCode.unsupportedData);
      return;
    }
    const { limits } = this.deps.options;
    const decoded = decodeClientMessage(typeof data === 'string' ? data : data.toString('utf8'), limits.uriLength);
    if (!decoded.ok) {
      const { violation } = decoded;
      if (violation.callId === undefined) {
        this.refuse(session, violation.kind, violation.reason, VIOLATION_CLOSE_CODE[violation.kind]);
      } else {
        this.deps.counters.refuse(violation.kind);
        this.refuseCall(session, violation.callId, WampErrorUri.invalidMessage, violation.reason);
      }
      return;
    }
    const message = decoded.message;
    if (limits.rate && !session.takeToken(limits.rate.messagesPerSecond, limits.rate.burst, performance.now())) {
      this.rateLimited(session, message);
      return;
    }
    switch (message.type) {
      case MessageType.Prefix:
        if (!this.definePrefix(session, message.prefix, message.uri)) {
          this.refuse(session, 'too-many-prefixes', `at most ${limits.prefixes} prefixes`, CloseCode.policyViolation);
        }
        return;
      case MessageType.Call:
        this.call(session, message);
        return;
      case MessageType.Subscribe: {
        const topic = session.resolve(message.topic);
        this.enqueue(session, () => this.subscribe(session, topic));
        return;
      }
      case MessageType.Unsubscribe: {
        const topic = session.resolve(message.topic);
        this.enqueue(session, () => this.unsubscribe(session, topic));
        return;
      }
      case MessageType.Publish:
        this.receivePublish(session, message);
        return;
    }
  }

  /** Over `limits.rate`: close the session, or drop the frame (a CALL still gets its answer). */
  private rateLimited(session: ServerSession, message: ClientMessage): void {
    const rate = this.deps.options.limits.rate!;
    if (rate.onExceed === 'close') {
      this.refuse(session, 'rate-limited', 'message rate exceeded', CloseCode.policyViolation);
      return;
    }
    this.deps.counters.refuse('rate-limited');
    if (message.type === MessageType.Call && !session.isPending(message.callId)) {
      this.refuseCall(session, message.callId, WampErrorUri.busy, 'message rate exceeded');
    }
  }

  /** Pub/sub work waits behind slow handlers, up to `limits.queuedPubSub` items. */
  private enqueue(session: ServerSession, task: () => unknown): void {
    const limit = this.deps.options.limits.queuedPubSub;
    if (session.queuedTasks >= limit) {
      this.refuse(session, 'pubsub-backlog', `more than ${limit} pub/sub messages waiting`, CloseCode.policyViolation);
      return;
    }
    session.enqueue(task);
  }

  /** The connection ended: drop every trace of the session, then tell the hooks. */
  closed(session: ServerSession, code: number, reason: string): void {
    if (!session.forget()) return;
    this.deps.counters.sessionsClosed++;
    this.deps.sessions.remove(session);
    this.clientProcedures.callerClosed(session);
    for (const topic of this.deps.topics.unsubscribeAll(session)) {
      this.deps.hooks.emit('onWampUnsubscribed', session, topic);
    }
    this.deps.hooks.emit('onWampSessionClose', session, { code, reason });
  }

  /** Defines a CURI prefix for a session (PREFIX, or the broker); false when it would pass `limits.prefixes`. */
  definePrefix(session: ServerSession, prefix: string, uri: string): boolean {
    if (!session.hasPrefix(prefix) && session.prefixCount >= this.deps.options.limits.prefixes) return false;
    session.definePrefix(prefix, uri);
    return true;
  }

  /**
   * New rights for a session, effective for its next message; subscriptions they no longer
   * allow end, with the unsubscribe hook. A session that had no identity gets one (`method:
   * 'server'`), which also ends its WAMP-CRA timeout.
   */
  changePermissions(session: ServerSession, permissions: WampPermissions): void {
    const identity = session.identity;
    session.authenticate({ authKey: identity?.authKey ?? null, method: identity?.method ?? 'server', permissions });
    for (const topic of [...session.subscriptions]) {
      if (!this.deps.access.permits(session, 'subscribe', topic)) this.unsubscribe(session, topic);
    }
    if (session.v2) this.revokeV2(session);
  }

  /** A v2 session's prefix subscriptions and registrations the session's new rights no longer allow end (the client is not told). */
  private revokeV2(session: ServerSession): void {
    const { access, topics } = this.deps;
    for (const { id, match, uri } of [...session.v2!.subscriptions.values()]) {
      const subscription = topics.v2.get(id);
      if (match === 'prefix' && subscription?.match === 'prefix' && !access.permits(session, 'subscribe', `${uri}*`)) {
        this.unsubscribePrefix(session, subscription);
      }
    }
    for (const registration of [...(session.v2!.callee?.registrations.values() ?? [])]) {
      if (!access.permits(session, 'register', registration.uri)) this.clientProcedures.unregister(session, registration.id);
    }
  }

  /** Ends a v2 session's prefix subscription, with the unsubscribe hook (for its pattern, `prefix*`); false when it was not a member. */
  unsubscribePrefix(session: ServerSession, subscription: PrefixSubscription): boolean {
    if (!this.deps.topics.v2.leavePrefix(session, subscription)) return false;
    this.deps.hooks.emit('onWampUnsubscribed', session, `${subscription.uri}*`);
    return true;
  }

  /** Subscribes a session without asking any rule (the broker's server-side subscribe). */
  forceSubscribe(session: ServerSession, topic: string): boolean {
    if (!session.isOpen || !this.deps.topics.subscribe(session, topic)) return false;
    this.deps.hooks.emit('onWampSubscribed', session, topic);
    return true;
  }

  /** Unsubscribes a session (UNSUBSCRIBE, or the broker); a topic it is not in is a no-op. */
  unsubscribe(session: ServerSession, topic: string): boolean {
    if (!this.deps.topics.unsubscribe(session, topic)) return false;
    this.deps.hooks.emit('onWampUnsubscribed', session, topic);
    return true;
  }

  /** Answers a pending call (of either protocol) with a result; false when it is not pending (answered, or session gone). */
  sendCallResult(session: ServerSession, callId: string, result: unknown): boolean {
    if (!session.isPending(callId)) return false;
    let frame: string;
    try {
      frame = this.encodeResult(session, callId, result);
    } catch (error) {
      return this.sendCallError(session, callId, this.unserializable(error));
    }
    const since = session.settleCall(callId);
    if (since < 0) return false; // canceled: its answer is dropped
    session.send(frame);
    this.deps.counters.answered('result', performance.now() - since);
    return true;
  }

  /** Answers a pending call (of either protocol) with an error; false when it is not pending. */
  sendCallError(session: ServerSession, callId: string, error: Omit<CallErrorReply, 'unexpected'>): boolean {
    const since = session.settleCall(callId);
    if (since < 0) return false;
    this.sendError(session, callId, error, since);
    if (error.kill) session.close(error.kill.code, error.kill.reason);
    return true;
  }

  /**
   * Answers a pending call with an error now, while its handler goes on (a v2 CANCEL: a handler
   * cannot be stopped): the call stays in flight, counted in `limits.callsInFlight` and its id in
   * use, until the handler finishes, and that answer is dropped. False when it is not pending or
   * was answered so already.
   */
  answerEarly(session: ServerSession, callId: string, error: Omit<CallErrorReply, 'unexpected' | 'kill'>): boolean {
    const since = session.cancelCall(callId);
    if (since < 0) return false;
    this.sendError(session, callId, error, since);
    return true;
  }

  private sendError(session: ServerSession, callId: string, error: Omit<CallErrorReply, 'unexpected'>, since: number): void {
    session.send(
      session.protocolVersion === 2 ? encodeV2CallError(callId, error, this.deps.handlers.uris) : this.encodeError(callId, error),
    );
    this.deps.counters.answered(errorOutcome(error.uri), performance.now() - since);
  }

  /** A CALL refused before it became pending (a limit, a malformed or duplicate CALL): answered at once. */
  private refuseCall(session: ServerSession, callId: string, uri: string, desc: string): void {
    session.send(encodeCallError(callId, uri, desc));
    this.deps.counters.answered('refused', 0);
  }

  private call(session: ServerSession, message: CallMessage): void {
    const { callId } = message;
    if (session.isPending(callId)) {
      this.refuseCall(session, callId, WampErrorUri.invalidMessage, 'call id already in use');
      return;
    }
    const limit = this.deps.options.limits.callsInFlight;
    if (session.pendingCallCount >= limit) {
      this.deps.counters.refuse('calls-in-flight');
      this.refuseCall(session, callId, WampErrorUri.busy, `more than ${limit} calls in flight`);
      return;
    }
    const call: WampCallInvocation<ServerSession> = {
      kind: 'call',
      session,
      uri: session.resolve(message.uri),
      callId,
      args: message.args,
    };
    session.addPending(callId, performance.now());
    this.runCall(call);
  }

  /**
   * Answers a call now pending in its session (a v1 CALL, or a v2 one from the v2 dealer): the
   * server's handler, else a procedure a v2 client registered, else `notfound`. Whether a
   * procedure exists is not told to a session that may not call it (`unauthorized`); the
   * permission guard decides for handlers, the access policy for the rest.
   */
  runCall(call: WampCallInvocation<ServerSession>): void {
    const handler = this.deps.handlers.procedure(call.uri);
    if (!handler) {
      this.callWithoutHandler(call);
      return;
    }
    let result: unknown;
    try {
      result = handler(call);
    } catch (error) {
      this.fail(call, error);
      return;
    }
    if (isPromiseLike(result))
      result.then(
        (value) => this.finishWithResult(call, value),
        (error) => this.fail(call, error),
      );
    else this.finishWithResult(call, result);
  }

  /** A call no server handler answers: to a client procedure the caller may call, else `notfound` or `unauthorized`. */
  private callWithoutHandler(call: WampCallInvocation<ServerSession>): void {
    if (!this.deps.access.permits(call.session, 'call', call.uri)) {
      this.finishWithError(call, { uri: WampErrorUri.unauthorized, desc: WampErrorDescription.unauthorized, unexpected: false });
      return;
    }
    const registration = this.clientProcedures.find(call.uri);
    if (registration) this.clientProcedures.invoke(call, registration);
    else this.finishWithError(call, { uri: WampErrorUri.notFound, desc: WampErrorDescription.notFound, unexpected: false });
  }

  private fail(call: WampCallInvocation<ServerSession>, error: unknown): void {
    this.finishWithError(call, this.deps.mapError(error), error);
  }

  private finishWithResult(call: WampCallInvocation<ServerSession>, result: unknown): void {
    const { session } = call;
    let frame: string;
    try {
      frame = this.encodeResult(session, call.callId, result);
    } catch (error) {
      this.finishWithError(call, this.unserializable(error), error);
      return;
    }
    const since = session.settleCall(call.callId);
    if (since < 0) return;
    session.send(frame);
    this.deps.counters.answered('result', performance.now() - since);
    this.deps.hooks.emit('onWampCallResult', call, result);
  }

  private finishWithError(call: WampCallInvocation<ServerSession>, reply: CallErrorReply, cause?: unknown): void {
    // Nest's exception handler around decorated handlers already logged an unexpected error with
    // its stack; this line adds which call it was.
    if (reply.unexpected) this.deps.logger.debug(`${call.uri} failed for session ${call.session.id}: ${errorMessage(cause)}`);
    const { session } = call;
    if (!this.sendCallError(session, call.callId, reply)) return;
    this.deps.hooks.emit('onWampCallError', call, { uri: reply.uri, desc: reply.desc, details: reply.details });
  }

  /** A call's result in its caller's protocol (CALLRESULT, or RESULT with the value as its one argument); throws when JSON cannot carry it. */
  private encodeResult(session: ServerSession, callId: string, result: unknown): string {
    return session.protocolVersion === 2 ? encodeV2CallResult(callId, result) : encodeCallResult(callId, result);
  }

  private encodeError(callId: string, error: Omit<CallErrorReply, 'unexpected'>): string {
    try {
      return encodeCallError(callId, error.uri, error.desc, error.details);
    } catch {
      // Details JSON cannot carry (a cycle, a BigInt) are dropped rather than the answer.
      return encodeCallError(callId, error.uri, error.desc);
    }
  }

  private unserializable(error: unknown): CallErrorReply {
    this.deps.logger.limitedError('unserializable-result', `a call result is not JSON: ${errorMessage(error)}`);
    return {
      uri: WampErrorUri.internal,
      desc: WampErrorDescription.internal,
      details: this.deps.options.exposeInternalErrors ? `result is not JSON: ${errorMessage(error)}` : undefined,
      unexpected: true,
    };
  }

  private subscribe(session: ServerSession, topic: string): void | Promise<void> {
    if (!session.isOpen || session.hasTopic(topic)) return;
    if (session.subscriptions.size >= this.deps.options.limits.subscriptions) {
      this.deps.counters.refuse('too-many-subscriptions');
      return;
    }
    const allowed = this.maySubscribe(session, topic);
    if (allowed === true) this.forceSubscribe(session, topic);
    else if (allowed !== false)
      return allowed.then((value) => {
        if (value) this.forceSubscribe(session, topic);
      });
  }

  /**
   * Whether the topic's subscribe rule and the session's permissions let it subscribe (v1 and v2
   * alike): a static rule with the permission check, or the handler (through Nest's guards and
   * pipes), whose refusal or failure is a no. Never rejects.
   */
  maySubscribe(session: ServerSession, topic: string): boolean | Promise<boolean> {
    const rule = this.deps.handlers.subscribeRule(topic);
    if (!rule) {
      this.deps.logger.debug(`SUBSCRIBE to ${topic} ignored: no subscribe rule matches`);
      return false;
    }
    if ('allow' in rule) return rule.allow && this.deps.access.permits(session, 'subscribe', topic);
    let allowed: unknown;
    try {
      allowed = rule.handler({ kind: 'subscribe', session, uri: topic });
    } catch (error) {
      this.logDenied('SUBSCRIBE', topic, error);
      return false;
    }
    if (!isPromiseLike(allowed)) return Boolean(allowed);
    return Promise.resolve(allowed).then(Boolean, (error: unknown) => {
      this.logDenied('SUBSCRIBE', topic, error);
      return false;
    });
  }

  private receivePublish(session: ServerSession, message: PublishMessage): void {
    const filter = publishFilter(message, session.id, this.deps.options.excludeMeByDefault);
    const publication: WampPublishInvocation<ServerSession> = {
      kind: 'publish',
      session,
      uri: session.resolve(message.topic),
      event: message.event,
      exclude: filter.exclude,
      eligible: filter.eligible,
    };
    this.enqueue(session, () => this.publish(publication));
  }

  private publish(publication: WampPublishInvocation<ServerSession>): void | Promise<void> {
    const decision = this.decidePublish(publication);
    if (!isPromiseLike(decision)) {
      this.deliver(publication, decision);
      return;
    }
    return decision.then((value) => {
      this.deliver(publication, value);
    });
  }

  /**
   * What the topic's publish rule says of a publication (v1 and v2 alike): `PUBLISH_REFUSED` when
   * no rule matches, a static rule or the permissions deny it, or the handler refuses or fails (a
   * guard); otherwise the handler's decision (`true` for a static rule), which may still drop it.
   * Never rejects.
   */
  decidePublish(publication: WampPublishInvocation<ServerSession>): PublishVerdict | Promise<PublishVerdict> {
    const rule = this.deps.handlers.publishRule(publication.uri);
    if (!rule) {
      this.deps.logger.debug(`PUBLISH to ${publication.uri} ignored: no publish rule matches`);
      return PUBLISH_REFUSED;
    }
    if ('allow' in rule) {
      return rule.allow && this.deps.access.permits(publication.session, 'publish', publication.uri) ? true : PUBLISH_REFUSED;
    }
    let decision: WampPublishDecision | PromiseLike<WampPublishDecision>;
    try {
      decision = rule.handler(publication);
    } catch (error) {
      this.logDenied('PUBLISH', publication.uri, error);
      return PUBLISH_REFUSED;
    }
    if (!isPromiseLike(decision)) return decision;
    return Promise.resolve(decision).then(
      (value) => value,
      (error: unknown) => {
        this.logDenied('PUBLISH', publication.uri, error);
        return PUBLISH_REFUSED;
      },
    );
  }

  /**
   * Delivers a publication as its rule decided (a refusal or a falsy decision delivers nothing),
   * then runs the published hooks; false when nothing was published. `v2` is what a v2 PUBLISH
   * adds: its payload reaches v2 subscribers unless the handler changed the event (a rewrite, or
   * `publication.event` replaced), which they then get as `Arguments [event]`.
   */
  deliver(publication: WampPublishInvocation<ServerSession>, decision: PublishVerdict, v2?: Wamp2PublishExtras): boolean {
    if (!decision || decision === PUBLISH_REFUSED) return false;
    const rewrite = decision instanceof WampDelivery ? decision : undefined;
    const delivered = {
      topic: publication.uri,
      event: rewrite ? rewrite.event : publication.event,
      exclude: [...(rewrite?.recipients.exclude ?? publication.exclude)],
      eligible: rewrite?.recipients.eligible ? [...rewrite.recipients.eligible] : publication.eligible,
    };
    try {
      this.deps.dispatcher.publish(
        delivered.topic,
        delivered.event,
        delivered,
        false,
        v2 && { publication: v2.publication, payload: !rewrite && publication.event === v2.event ? v2.payload : undefined },
      );
    } catch (error) {
      this.deps.logger.limitedWarn('publish-dropped', `PUBLISH to ${delivered.topic} dropped: ${errorMessage(error)}`);
      return false;
    }
    this.deps.hooks.emit('onWampPublished', publication.session, delivered);
    return true;
  }

  /** A guard's refusal is routine; a crashed handler was already logged by Nest's exception handler. */
  private logDenied(action: string, topic: string, error: unknown): void {
    this.deps.logger.debug(`${action} to ${topic} denied: ${errorMessage(error)}`);
  }

  private refuse(session: ServerSession, kind: RefusalKind, reason: string, code: number): void {
    this.deps.counters.refuse(kind);
    this.deps.logger.debug(`closing session ${session.id} (${code}): ${reason}`);
    session.close(code, reason);
  }
}
