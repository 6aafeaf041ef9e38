import { encodeEvent } from '../protocol/encode.js';
import type { BackplaneMessage, WampBackplane } from './backplane.js';
import type { DeliveryFilter } from './delivery-filter.js';
import { forEachRecipient } from './delivery-filter.js';
import type { TopicIndex } from './topic-index.js';

/**
 * Sends EVENTs to the subscribers of a topic, here and, through the backplane, on the other
 * instances. The frame is serialized once per publish and the same bytes go to every recipient.
 */
export class EventDispatcher {
  constructor(
    private readonly topics: TopicIndex,
    private readonly backplane: WampBackplane,
  ) {}

  /**
   * Publishes an event to every eligible subscriber of every instance. Returns how many sessions
   * of this instance it was sent to.
   */
  publish(topic: string, event: unknown, filter: DeliveryFilter = {}): number {
    const frame = Buffer.from(encodeEvent(topic, event));
    const delivered = this.deliverLocally(topic, frame, filter);
    this.backplane.publish({ topic, frame, filter });
    return delivered;
  }

  /** An event another instance published: for this instance's subscribers only. */
  readonly receive = (message: BackplaneMessage): void => {
    this.deliverLocally(message.topic, message.frame, message.filter);
  };

  private deliverLocally(topic: string, frame: string | Buffer, filter: DeliveryFilter): number {
    const subscribers = this.topics.subscribers(topic);
    if (!subscribers) return 0;
    let delivered = 0;
    forEachRecipient(subscribers, filter, (session) => {
      session.send(frame);
      delivered++;
    });
    return delivered;
  }
}
