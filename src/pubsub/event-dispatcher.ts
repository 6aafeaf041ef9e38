import { encodeEvent } from '../protocol/encode.js';
import type { DeliveryFilter } from './delivery-filter.js';
import { forEachRecipient } from './delivery-filter.js';
import type { TopicIndex } from './topic-index.js';

/**
 * Sends EVENTs to the subscribers of a topic. The frame is serialized once per publish and the
 * same bytes go to every recipient.
 */
export class EventDispatcher {
  constructor(private readonly topics: TopicIndex) {}

  /** Delivers to this instance's subscribers; returns how many sessions were sent the event. */
  dispatch(topic: string, event: unknown, filter: DeliveryFilter = {}): number {
    const subscribers = this.topics.subscribers(topic);
    if (!subscribers) return 0;
    const frame = Buffer.from(encodeEvent(topic, event));
    let delivered = 0;
    forEachRecipient(subscribers, filter, (session) => {
      session.send(frame);
      delivered++;
    });
    return delivered;
  }
}
