import { RouterScopeIdGenerator } from '../protocol/v2/id-generators.js';
import type { ServerSession } from '../session/server-session.js';
import type { Wamp2SubscriptionRef } from '../session/wamp2-state.js';
import { PrefixSubscriptionIndex } from './prefix-subscription-index.js';

/**
 * A WAMP v2 subscription, shared by every v2 session subscribed to the same topic with the same
 * matching policy (the spec lets a router give them one id, and then one EVENT frame serves them
 * all). `uri` is the server's name: the topic (exact), or the topic prefix (prefix).
 */
export type Wamp2Subscription = ExactSubscription | PrefixSubscription;

/** The v2 sessions subscribed to one topic exactly: they are in `TopicIndex` with the v1 ones, counted here. */
export class ExactSubscription implements Wamp2SubscriptionRef {
  readonly match = 'exact' as const;
  members = 0;

  constructor(
    readonly id: number,
    readonly uri: string,
  ) {}
}

/**
 * The v2 sessions subscribed to every topic that starts with `uri`. Each member keeps the subscribe
 * rule that authorized it: an event reaches it only on topics that rule still governs (see
 * `EventDispatcher`).
 */
export class PrefixSubscription implements Wamp2SubscriptionRef {
  readonly match = 'prefix' as const;
  readonly members = new Map<ServerSession, unknown>();

  constructor(
    readonly id: number,
    readonly uri: string,
  ) {}
}

/** Told when this instance gets its first prefix subscription under a server prefix, and when it loses its last. */
export interface PrefixActivity {
  activated(prefix: string): void;
  deactivated(prefix: string): void;
}

/**
 * The WAMP v2 subscriptions of this instance, by id and by topic or prefix: ids are router-scope,
 * sequential, and freed when the last member leaves. `TopicIndex` keeps the exact ones in step with
 * its own (a v2 session joining or leaving a topic joins or leaves its exact subscription); each
 * session's own list is in `session.v2.subscriptions`.
 */
export class Wamp2Subscriptions {
  private readonly ids = new RouterScopeIdGenerator();
  private readonly byId = new Map<number, Wamp2Subscription>();
  private readonly exactByTopic = new Map<string, ExactSubscription>();
  readonly prefixes = new PrefixSubscriptionIndex<PrefixSubscription>();
  /** Set by the dispatcher that serves v2: it watches the prefixes on the backplane. */
  prefixActivity: PrefixActivity | undefined = undefined;

  private readonly inUse = (id: number): boolean => this.byId.has(id);

  /** Subscriptions alive (for tests and diagnostics: 0 once every v2 session is gone). */
  get size(): number {
    return this.byId.size;
  }

  /** A subscription by id. */
  get(id: number): Wamp2Subscription | undefined {
    return this.byId.get(id);
  }

  /** The exact subscription of a topic, while a v2 session of this instance has one. */
  exact(topic: string): ExactSubscription | undefined {
    return this.exactByTopic.get(topic);
  }

  /** A v2 session joined a topic (in `TopicIndex`): its exact subscription, created for the first. */
  joinExact(session: ServerSession, topic: string): void {
    let subscription = this.exactByTopic.get(topic);
    if (!subscription) {
      subscription = new ExactSubscription(this.ids.nextId(this.inUse), topic);
      this.exactByTopic.set(topic, subscription);
      this.byId.set(subscription.id, subscription);
    }
    subscription.members++;
    session.v2?.subscriptions.set(subscription.id, subscription);
  }

  /** A v2 session left a topic (in `TopicIndex`); the last one frees the subscription's id. */
  leaveExact(session: ServerSession, topic: string): void {
    const subscription = this.exactByTopic.get(topic);
    if (!subscription || !session.v2?.subscriptions.delete(subscription.id)) return;
    if (--subscription.members > 0) return;
    this.exactByTopic.delete(topic);
    this.byId.delete(subscription.id);
  }

  /** The session's prefix subscription on `prefix`, if it has one. */
  prefixOf(session: ServerSession, prefix: string): PrefixSubscription | undefined {
    const subscription = this.prefixes.get(prefix);
    return subscription?.members.has(session) ? subscription : undefined;
  }

  /** Subscribes a v2 session to every topic starting with `prefix`, as `rule` authorized it; the subscription. */
  joinPrefix(session: ServerSession, prefix: string, rule: unknown): PrefixSubscription {
    let subscription = this.prefixes.get(prefix);
    if (!subscription) {
      subscription = new PrefixSubscription(this.ids.nextId(this.inUse), prefix);
      this.prefixes.add(prefix, subscription);
      this.byId.set(subscription.id, subscription);
      this.prefixActivity?.activated(prefix);
    }
    subscription.members.set(session, rule);
    session.v2?.subscriptions.set(subscription.id, subscription);
    return subscription;
  }

  /** Ends a session's prefix subscription; false when it was not a member. */
  leavePrefix(session: ServerSession, subscription: PrefixSubscription): boolean {
    if (!subscription.members.delete(session)) return false;
    session.v2?.subscriptions.delete(subscription.id);
    if (subscription.members.size === 0 && this.byId.get(subscription.id) === subscription) {
      this.prefixes.remove(subscription.uri);
      this.byId.delete(subscription.id);
      this.prefixActivity?.deactivated(subscription.uri);
    }
    return true;
  }
}
