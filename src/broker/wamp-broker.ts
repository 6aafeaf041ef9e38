import type { AddressInfo } from 'node:net';
import type { WampStats } from '../core/wamp-counters.js';
import type { WampSession } from '../core/wamp-session.js';
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
  stats(): WampStats;
  address(): AddressInfo | undefined;
}

/**
 * The server side of WAMP, injectable anywhere: send events, manage subscriptions and
 * sessions, answer calls. Session ids are the ones clients see in WELCOME.
 */
export class WampBroker {
  /** Built by the server (the module provides it); applications inject it. */
  constructor(private readonly server: WampBrokerParts) {}

  /**
   * Sends an event to the subscribers of `topic`: to all of them, to all but `exclude`, or
   * only to those in `eligible` (clj-wamp's send-event!, broadcast-event! and emit-event!), on
   * every instance when a backplane connects them. Returns how many sessions of this instance it
   * was sent to.
   */
  publish(topic: string, event: unknown, recipients: DeliveryFilter = {}): number {
    return this.server.dispatcher.publish(topic, event, recipients);
  }

  /** Ids of this instance's sessions subscribed to `topic` (clj-wamp's get-topic-clients). */
  subscribers(topic: string): string[] {
    return [...(this.server.topics.subscribers(topic) ?? [])].map((session) => session.id);
  }

  /** Topics that have at least one subscriber on this instance. */
  topics(): string[] {
    return this.server.topics.topics();
  }

  /** Subscribes a session to a topic without asking any subscribe rule; false if unknown or already in. */
  subscribe(sessionId: string, topic: string): boolean {
    const session = this.server.sessions.get(sessionId);
    return session ? this.server.router.forceSubscribe(session, topic) : false;
  }

  /** Unsubscribes a session from a topic; false if it was not subscribed. */
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

  /** Sessions, topics and what the limits refused since the start (for metrics and health checks). */
  stats(): WampStats {
    return this.server.stats();
  }

  /** Where the own WAMP port listens, when the `port` option is set. */
  get address(): AddressInfo | undefined {
    return this.server.address();
  }
}
