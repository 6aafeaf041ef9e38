import { CloseCode } from '../../core/close-codes.js';
import type { WampPublishInvocation } from '../../core/invocation.js';
import { isPromiseLike } from '../../core/promises.js';
import { encodePublished, encodeSubscribed, encodeUnsubscribed } from '../../protocol/v2/encode.js';
import { WampError } from '../../protocol/v2/error-uris.js';
import { type ErrorRequestType, MessageCode } from '../../protocol/v2/message-code.js';
import type { Payload, PublishMessage, SubscribeMessage, UnsubscribeMessage } from '../../protocol/v2/messages.js';
import type { ServerSession } from '../../session/server-session.js';
import { PUBLISH_REFUSED, type PublishVerdict } from '../wamp-router.js';
import { encodeRefusal } from './call-replies.js';
import type { Wamp2Context } from './wamp2-context.js';

/**
 * The v2 broker: SUBSCRIBE, UNSUBSCRIBE and PUBLISH of v2 sessions, on the topics v1 sessions
 * share. A v2 URI is turned into the server's name (`uris.fromV2`) and then decided by the same
 * subscribe and publish rules, permissions and hooks as v1's; a session's requests run in arrival
 * order through its pub/sub queue (`limits.queuedPubSub`).
 *
 * - SUBSCRIBE `match: "exact"` (default): the topic joins `TopicIndex` beside the v1 subscribers;
 *   one subscription id per topic, shared by every v2 subscriber of this instance.
 * - SUBSCRIBE `match: "prefix"`: every topic whose server name starts with `fromV2(prefix)`. It is
 *   authorized as a pattern: the rule and permissions of `fromV2(prefix) + "*"` must allow it (a
 *   handler is asked once, with that pattern as its URI); then each event is delivered to a member
 *   only while the topic is governed by the very rule that authorized it and its permissions allow
 *   subscribing to the topic itself (`EventDispatcher`). `EVENT.Details.topic` is the v2 name.
 * - `match: "wildcard"`: ERROR `wamp.error.option_not_allowed`.
 * - Refusals (rules, permissions, `limits.subscriptions`): ERROR `wamp.error.not_authorized`.
 * - PUBLISH: `exclude_me` defaults to true; `exclude` and `eligible` name sessions by v2 id (of
 *   either protocol). The publish handler sees `Arguments[0]` (or `ArgumentsKw` without
 *   positional arguments) as the event, as v1 would send it.
 */
export class Wamp2Broker {
  constructor(private readonly context: Wamp2Context) {
    const { handlers, access } = context;
    context.dispatcher.serveV2({
      toV2: (topic) => handlers.uris.toV2(topic),
      ruleOf: (topic) => handlers.subscribeRule(topic),
      mayReceive: (session, topic) => access.permits(session, 'subscribe', topic),
    });
  }

  subscribe(session: ServerSession, message: SubscribeMessage): void {
    this.enqueue(session, () => this.handleSubscribe(session, message));
  }

  unsubscribe(session: ServerSession, message: UnsubscribeMessage): void {
    this.enqueue(session, () => this.handleUnsubscribe(session, message));
  }

  publish(session: ServerSession, message: PublishMessage): void {
    this.enqueue(session, () => this.handlePublish(session, message));
  }

  /** The session is gone: its prefix subscriptions end here (its exact ones with its topics, in `TopicIndex`). */
  closed(session: ServerSession): void {
    const subscriptions = this.context.topics.v2;
    for (const { id, match } of [...session.v2!.subscriptions.values()]) {
      const subscription = subscriptions.get(id);
      if (match === 'prefix' && subscription?.match === 'prefix') this.context.router.unsubscribePrefix(session, subscription);
    }
  }

  /**
   * Pub/sub work waits behind slow handlers, up to `limits.queuedPubSub` items; more ends the
   * session as `session.close` does for v2 (GOODBYE `wamp.close.killed`, then 1008).
   */
  private enqueue(session: ServerSession, task: () => unknown): void {
    const limit = this.context.options.limits.queuedPubSub;
    if (session.queuedTasks < limit) {
      session.enqueue(task);
      return;
    }
    const reason = `more than ${limit} pub/sub messages waiting`;
    this.context.counters.refuse('pubsub-backlog');
    this.context.logger.debug(`closing v2 session ${session.v2Id}: ${reason}`);
    session.close(CloseCode.policyViolation, reason);
  }

  private handleSubscribe(session: ServerSession, { request, options, topic }: SubscribeMessage): void | Promise<void> {
    if (!session.isOpen) return;
    const match = options.match ?? 'exact';
    if (match === 'wildcard') {
      this.refuse(
        session,
        MessageCode.Subscribe,
        request,
        WampError.optionNotAllowed,
        'match "wildcard" is not supported: use "exact" or "prefix"',
      );
      return;
    }
    const uri = this.context.handlers.uris.fromV2(topic);
    const { topics, options: routerOptions, router } = this.context;
    const existing = match === 'exact' ? (session.hasTopic(uri) ? topics.v2.exact(uri) : undefined) : topics.v2.prefixOf(session, uri);
    if (existing) {
      session.send(encodeSubscribed(request, existing.id));
      return;
    }
    const limit = routerOptions.limits.subscriptions;
    if (session.v2!.subscriptions.size >= limit) {
      this.context.counters.refuse('too-many-subscriptions');
      this.refuse(session, MessageCode.Subscribe, request, WampError.notAuthorized, `at most ${limit} subscriptions per session`);
      return;
    }
    const pattern = match === 'exact' ? uri : `${uri}*`;
    const rule = this.context.handlers.subscribeRule(pattern);
    const allowed = router.maySubscribe(session, pattern);
    const subscribe = (value: boolean): void => {
      if (!session.isOpen) return;
      if (!value) {
        this.refuse(session, MessageCode.Subscribe, request, WampError.notAuthorized, `not authorized to subscribe to ${topic}`);
        return;
      }
      const id = match === 'exact' ? this.subscribeExactly(session, uri) : this.subscribeToPrefix(session, uri, rule);
      if (id !== undefined) session.send(encodeSubscribed(request, id));
    };
    if (!isPromiseLike(allowed)) subscribe(allowed);
    else return allowed.then(subscribe);
  }

  private subscribeExactly(session: ServerSession, topic: string): number | undefined {
    this.context.router.forceSubscribe(session, topic);
    return this.context.topics.v2.exact(topic)?.id;
  }

  private subscribeToPrefix(session: ServerSession, prefix: string, rule: unknown): number {
    const subscription = this.context.topics.v2.joinPrefix(session, prefix, rule);
    this.context.hooks.emit('onWampSubscribed', session, `${prefix}*`);
    return subscription.id;
  }

  private handleUnsubscribe(session: ServerSession, { request, subscription: id }: UnsubscribeMessage): void {
    if (!session.isOpen) return;
    const subscriptions = this.context.topics.v2;
    const mine = session.v2!.subscriptions.get(id);
    const subscription = mine && subscriptions.get(id);
    if (!subscription) {
      this.refuse(session, MessageCode.Unsubscribe, request, WampError.noSuchSubscription, `no subscription ${id}`);
      return;
    }
    if (subscription.match === 'exact') this.context.router.unsubscribe(session, subscription.uri);
    else this.context.router.unsubscribePrefix(session, subscription);
    session.send(encodeUnsubscribed(request));
  }

  private handlePublish(session: ServerSession, message: PublishMessage): void | Promise<void> {
    if (!session.isOpen) return;
    const { request, options, args, kwargs } = message;
    const event = args !== undefined && args.length > 0 ? args[0] : (kwargs ?? null);
    const publication: WampPublishInvocation<ServerSession> = {
      kind: 'publish',
      session,
      uri: this.context.handlers.uris.fromV2(message.topic),
      event,
      exclude: options.exclude ? options.exclude.map(String) : [],
      eligible: options.eligible?.map(String),
    };
    if (options.exclude_me !== false) publication.exclude.push(session.id);
    const extras = {
      publication: this.context.dispatcher.newPublicationId(),
      event,
      payload: isJustEvent(message) ? undefined : ({ args, kwargs } satisfies Payload),
    };
    const finish = (verdict: PublishVerdict): void => {
      const refused = verdict === PUBLISH_REFUSED;
      if (!refused) this.context.router.deliver(publication, verdict, extras);
      if (options.acknowledge !== true || !session.isOpen) return;
      if (refused)
        this.refuse(session, MessageCode.Publish, request, WampError.notAuthorized, `not authorized to publish to ${message.topic}`);
      else session.send(encodePublished(request, extras.publication));
    };
    const verdict = this.context.router.decidePublish(publication);
    if (!isPromiseLike(verdict)) finish(verdict);
    else return verdict.then(finish);
  }

  private refuse(session: ServerSession, type: ErrorRequestType, request: number, error: string, message: string): void {
    session.send(encodeRefusal(type, request, error, message));
  }
}

/** Whether a v2 payload is `[event]` and nothing more: v1 and v2 subscribers then get the same single value. */
function isJustEvent({ args, kwargs }: Payload): boolean {
  return args !== undefined && args.length === 1 && (kwargs === undefined || Object.keys(kwargs).length === 0);
}
