import type { AddressInfo } from 'node:net';
import { WampCluster, type WampClusterSession } from '../cluster/wamp-cluster.js';
import type { ClusterBus } from '../cluster/cluster-bus.js';
import type { WampStats } from '../core/wamp-counters.js';
import type { WampActionKind } from '../core/invocation.js';
import type { WampPermissions } from '../core/wamp-permissions.js';
import type { WampAuthState, WampSession } from '../core/wamp-session.js';
import { permissionsProblem } from '../permissions/permissions.js';
import type { AccessPolicy } from '../router/access-policy.js';
import { traceSession } from '../transport/frame-trace.js';
import type { DeliveryFilter } from '../pubsub/delivery-filter.js';
import type { EventDispatcher } from '../pubsub/event-dispatcher.js';
import type { TopicIndex } from '../pubsub/topic-index.js';
import type { WampRouter } from '../router/wamp-router.js';
import type { SessionRegistry } from '../session/session-registry.js';

/** The parts of the server a broker works with. */
export interface WampBrokerParts {
  readonly dispatcher: EventDispatcher;
  readonly topics: TopicIndex;
  readonly sessions: SessionRegistry;
  readonly router: WampRouter;
  readonly access: AccessPolicy;
  /** How the instances ask each other (the backplane's), if they can. */
  readonly bus?: ClusterBus;
  /** Whether the session has a WAMP-CRA exchange under way. */
  authRequested(sessionId: string): boolean;
  stats(): WampStats;
  address(): AddressInfo | undefined;
}

/**
 * Who an event goes to: every subscriber but `exclude`, or only those in `eligible` (`[]`:
 * nobody). Each is a list of session ids or a single id, as clj-wamp's functions take one. A
 * session is named by its v1 id (a string) or its v2 id (a number, or its decimal string),
 * whichever protocol it speaks.
 */
export interface WampRecipients {
  readonly exclude?: WampSessionIds;
  readonly eligible?: WampSessionIds;
  /**
   * Only this instance's subscribers: the event is not handed to the backplane. For what every
   * instance publishes by itself (a clock, a feed each instance reads), so that a subscriber gets
   * it once however many instances run.
   */
  readonly local?: boolean;
}

/** Sessions named by v1 id (string) or v2 id (number): one, or a list. */
export type WampSessionIds = string | number | readonly (string | number)[];

/**
 * The server side of WAMP, injectable anywhere: send events, manage subscriptions and
 * sessions, answer calls. Session ids are the ones clients see in WELCOME.
 */
export class WampBroker {
  /**
   * The same operations on the sessions of every instance (`sessions`, `subscribers`, `close`,
   * `subscribe`, `unsubscribe`, `sendCallResult`, `sendCallError`) and messages between the
   * instances (`emit`, `on`), asynchronous, over the backplane; on this instance only without one.
   */
  readonly cluster: WampCluster;

  /** Built by the server (the module provides it); applications inject it. */
  constructor(private readonly server: WampBrokerParts) {
    this.cluster = new WampCluster(
      {
        instance: server.bus?.instanceId ?? 'local',
        sessions: (topic) => this.describeSessions(topic),
        subscribers: (topic) => this.subscribers(topic),
        close: (sessionId, code, reason) => this.close(sessionId, code, reason),
        subscribe: (sessionId, topic) => this.subscribe(sessionId, topic),
        unsubscribe: (sessionId, topic) => this.unsubscribe(sessionId, topic),
        sendCallResult: (sessionId, callId, result) => this.sendCallResult(sessionId, callId, result),
        sendCallError: (sessionId, callId, uri, desc, details) => this.sendCallError(sessionId, callId, uri, desc, details),
      },
      server.bus,
    );
  }

  /**
   * Sends an event to the subscribers of `topic`: to all of them, to all but `exclude`, or
   * only to those in `eligible` (clj-wamp's send-event!, broadcast-event! and emit-event!), on
   * every instance when a backplane connects them (unless `local`). Returns how many sessions of this instance it
   * was sent to.
   */
  publish(topic: string, event: unknown, recipients: WampRecipients = {}): number {
    return this.server.dispatcher.publish(topic, event, deliveryFilter(recipients), recipients.local === true);
  }

  /**
   * Ids (v1) of this instance's sessions subscribed to `topic` (clj-wamp's get-topic-clients), of
   * both protocols; a v2 session's prefix subscriptions are not listed.
   */
  subscribers(topic: string): string[] {
    return [...(this.server.topics.subscribers(topic) ?? [])].map((session) => session.id);
  }

  /** Topics that have at least one subscriber on this instance. */
  topics(): string[] {
    return this.server.topics.topics();
  }

  /**
   * Subscribes a session to a topic without asking any subscribe rule; false if unknown or already
   * in, and for a WAMP v2 session, which can only receive events of subscriptions it asked for
   * (an EVENT names the client's own SUBSCRIBE's subscription id).
   */
  subscribe(sessionId: string, topic: string): boolean {
    const session = this.server.sessions.get(sessionId);
    return session !== undefined && session.protocolVersion === 1 && this.server.router.forceSubscribe(session, topic);
  }

  /**
   * Unsubscribes a session from a topic; false if it was not subscribed. A v2 session's exact
   * subscription to the topic ends silently: no more EVENTs, and its later UNSUBSCRIBE gets
   * `wamp.error.no_such_subscription`.
   */
  unsubscribe(sessionId: string, topic: string): boolean {
    const session = this.server.sessions.get(sessionId);
    return session ? this.server.router.unsubscribe(session, topic) : false;
  }

  /** The open sessions of this instance. */
  sessions(): WampSession[] {
    return [...this.server.sessions.values()];
  }

  session(sessionId: string): WampSession | undefined {
    return this.server.sessions.get(sessionId);
  }

  /** Closes a session (clj-wamp's close-channel); false when there is no such session. */
  close(sessionId: string, code = 1000, reason = ''): boolean {
    const session = this.server.sessions.get(sessionId);
    session?.close(code, reason);
    return session !== undefined;
  }

  /**
   * Answers a pending call (clj-wamp's send-call-result!). A call is answered once: when the
   * handler later returns, its result is dropped. False when the call is not pending.
   */
  sendCallResult(sessionId: string, callId: string, result: unknown): boolean {
    const session = this.server.sessions.get(sessionId);
    return session ? this.server.router.sendCallResult(session, callId, result) : false;
  }

  /** Answers a pending call with an error (clj-wamp's send-call-error!). */
  sendCallError(sessionId: string, callId: string, uri: string, desc: string, details?: unknown): boolean {
    const session = this.server.sessions.get(sessionId);
    return session ? this.server.router.sendCallError(session, callId, { uri, desc, details }) : false;
  }

  /**
   * Whether a session may do `kind` on `uri` now (clj-wamp's `authorized?`): its permission map
   * and `auth.authorize`, as the permission guard and the router ask them. Always true without
   * the `auth` option; false for an unknown session.
   */
  authorized(sessionId: string, kind: WampActionKind, uri: string): boolean {
    const session = this.server.sessions.get(sessionId);
    return session !== undefined && this.server.access.permits(session, kind, uri);
  }

  /** Where a session stands with authentication (`'requested'` is clj-wamp's `client-auth-requested?`); undefined when unknown. */
  authState(sessionId: string): WampAuthState | undefined {
    const session = this.server.sessions.get(sessionId);
    if (!session) return undefined;
    if (session.identity) return 'authenticated';
    return this.server.authRequested(sessionId) ? 'requested' : 'unauthenticated';
  }

  /**
   * Changes what a session may do (with the `auth` option), effective for its next message:
   * subscriptions the new map no longer allows end, with the unsubscribe hook; `{}` revokes
   * everything. A session that had not authenticated is authenticated with these rights
   * (`identity.method: 'server'`). False when there is no such session. Costs one compilation of
   * the map, shared by every session given the same object.
   */
  setPermissions(sessionId: string, permissions: WampPermissions): boolean {
    if (!this.server.access.enabled)
      throw new Error('WampBroker.setPermissions needs the "auth" option: without it every session may do everything.');
    const problem = permissionsProblem(permissions);
    if (problem) throw new TypeError(`WampBroker.setPermissions: not a permission map (${problem})`);
    const session = this.server.sessions.get(sessionId);
    if (!session) return false;
    this.server.router.changePermissions(session, permissions);
    return true;
  }

  /** A CURI resolved with the session's prefixes (clj-wamp's `get-topic`); undefined for an unknown session. */
  resolve(sessionId: string, curieOrUri: string): string | undefined {
    return this.server.sessions.get(sessionId)?.resolve(curieOrUri);
  }

  /**
   * Defines a CURI prefix for a session, as if it had sent PREFIX (clj-wamp's
   * `add-topic-prefix`). False for an unknown session or past `limits.prefixes`.
   */
  definePrefix(sessionId: string, prefix: string, uri: string): boolean {
    const session = this.server.sessions.get(sessionId);
    return session !== undefined && this.server.router.definePrefix(session, prefix, uri);
  }

  /**
   * Turns the frame trace of one open session on or off from now on (clj-wamp's trace log, for one
   * client). Needs the `trace` option, which says where the lines go (`sessions: false` traces
   * nobody until asked); false for an unknown or closed session, or without the option.
   */
  trace(sessionId: string, enabled = true): boolean {
    const session = this.server.sessions.get(sessionId);
    return session !== undefined && traceSession(session, enabled);
  }

  /** Sessions, topics and what the limits refused since the start (for metrics and health checks). */
  stats(): WampStats {
    return this.server.stats();
  }

  /** This instance's sessions as `cluster.sessions()` lists them: all, or the subscribers of `topic`. */
  private describeSessions(topic?: string): WampClusterSession[] {
    const instance = this.server.bus?.instanceId ?? 'local';
    const sessions = topic === undefined ? this.server.sessions.values() : (this.server.topics.subscribers(topic) ?? []);
    return [...sessions].map((session) => ({
      id: session.id,
      v2Id: session.v2Id,
      instance,
      ...(session.identity && { authKey: session.identity.authKey }),
      subscriptions: [...session.subscriptions],
    }));
  }

  /** Where the own WAMP port listens, when the `port` option is set. */
  get address(): AddressInfo | undefined {
    return this.server.address();
  }
}

/** Lists as they are; a single id as a list of one; v2 ids in decimal (as the filter reads them); anything else is a caller's mistake. */
function deliveryFilter({ exclude, eligible }: WampRecipients): DeliveryFilter {
  return { exclude: idList(exclude, 'exclude'), eligible: idList(eligible, 'eligible') };
}

function idList(ids: WampSessionIds | undefined, name: string): readonly string[] | undefined {
  if (ids === undefined) return undefined;
  if (typeof ids === 'string') return [ids];
  if (typeof ids === 'number') return [v2IdString(ids, name)];
  if (!Array.isArray(ids)) {
    throw new TypeError(`WampBroker.publish: ${name} must be a session id or a list of session ids, got ${typeof ids}`);
  }
  const list = ids as readonly (string | number)[];
  return list.some((id) => typeof id === 'number')
    ? list.map((id) => (typeof id === 'number' ? v2IdString(id, name) : id))
    : (list as readonly string[]);
}

function v2IdString(id: number, name: string): string {
  if (!Number.isInteger(id) || id < 1 || id > 2 ** 53)
    throw new TypeError(`WampBroker.publish: ${name} has ${id}, which is no v2 session id`);
  return String(id);
}
