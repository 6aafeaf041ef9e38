import type { ServerSession } from '../session/server-session.js';
import { Wamp2Subscriptions } from './v2-subscriptions.js';

/** Told when a topic gets its first subscriber on this instance, and when it loses its last. */
export interface TopicActivity {
  activated(topic: string): void;
  deactivated(topic: string): void;
}

/**
 * Who is subscribed to what on this instance. It keeps both directions in step. Exact
 * subscriptions of both protocols are here, v1 and v2 sessions side by side (one topic, one set of
 * subscribers, one backplane channel); a v2 session's subscription id and its prefix subscriptions
 * are in `v2`, which this index keeps in step for the exact ones.
 */
export class TopicIndex {
  private readonly subscribersByTopic = new Map<string, Set<ServerSession>>();
  readonly v2 = new Wamp2Subscriptions();

  constructor(private readonly activity?: TopicActivity) {}

  /** Adds a subscription; false when the session already had it (subscribing twice is a no-op). */
  subscribe(session: ServerSession, topic: string): boolean {
    if (session.hasTopic(topic)) return false;
    let subscribers = this.subscribersByTopic.get(topic);
    if (!subscribers) {
      subscribers = new Set();
      this.subscribersByTopic.set(topic, subscribers);
      this.activity?.activated(topic);
    }
    subscribers.add(session);
    session.addTopic(topic);
    if (session.v2) this.v2.joinExact(session, topic);
    return true;
  }

  /** Removes a subscription; false when the session did not have it. */
  unsubscribe(session: ServerSession, topic: string): boolean {
    if (!session.removeTopic(topic)) return false;
    if (session.v2) this.v2.leaveExact(session, topic);
    const subscribers = this.subscribersByTopic.get(topic);
    if (subscribers) {
      subscribers.delete(session);
      if (subscribers.size === 0) {
        this.subscribersByTopic.delete(topic);
        this.activity?.deactivated(topic);
      }
    }
    return true;
  }

  /** Removes every subscription of a session and returns the topics it had. */
  unsubscribeAll(session: ServerSession): string[] {
    const topics = [...session.subscriptions];
    for (const topic of topics) this.unsubscribe(session, topic);
    return topics;
  }

  subscribers(topic: string): ReadonlySet<ServerSession> | undefined {
    return this.subscribersByTopic.get(topic);
  }

  /** Topics with at least one subscriber here. */
  topics(): string[] {
    return [...this.subscribersByTopic.keys()];
  }
}
