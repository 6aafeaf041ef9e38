import type { WampCounters } from '../core/wamp-counters.js';
import { CloseCode } from '../core/close-codes.js';
import { encodeEvent } from '../protocol/encode.js';
import type { ServerSession } from '../session/server-session.js';
import { type TextFrame, textFrame } from '../websocket/frames.js';
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
    private readonly slowConsumer: { readonly highWaterMark: number; readonly action: 'drop' | 'close' },
    private readonly counters: WampCounters,
  ) {}

  /**
   * Publishes an event to every eligible subscriber of every instance (of this one only when
   * `local`). Returns how many sessions of this instance it was sent to.
   */
  publish(topic: string, event: unknown, filter: DeliveryFilter = {}, local = false): number {
    const frame = encodeEvent(topic, event);
    // The other instances first: their deliveries then overlap with this instance's, instead of
    // waiting for them (the Redis round trip is off the critical path of a cross-instance fan-out).
    if (!local) this.backplane.publish({ topic, frame, filter });
    return this.deliverLocally(topic, frame, filter);
  }

  /** An event another instance published: for this instance's subscribers only. */
  readonly receive = (message: BackplaneMessage): void => {
    this.deliverLocally(message.topic, message.frame, message.filter);
  };

  /**
   * Whether a session reads fast enough to be sent another event: above the high-water mark of
   * bytes waiting in its socket buffer, the event is dropped for it (counted), or it is closed.
   */
  private admits(session: ServerSession): boolean {
    if (!session.isOpen) return false;
    const buffered = session.bufferedAmount;
    if (buffered > this.counters.maxBufferedBytes) this.counters.maxBufferedBytes = buffered;
    if (buffered <= this.slowConsumer.highWaterMark) return true;
    if (this.slowConsumer.action === 'close') {
      this.counters.refuse('slow-consumer');
      session.close(CloseCode.policyViolation, 'slow consumer');
    } else {
      this.counters.eventsDropped++;
    }
    return false;
  }

  /** `event` is the EVENT message; it becomes a WebSocket frame once, for the first recipient, and goes to all as it is. */
  private deliverLocally(topic: string, event: string | Buffer, filter: DeliveryFilter): number {
    const subscribers = this.topics.subscribers(topic);
    if (!subscribers) return 0;
    let frame: TextFrame | undefined;
    let delivered = 0;
    forEachRecipient(subscribers, filter, (session) => {
      if (this.admits(session)) {
        session.send((frame ??= textFrame(event)));
        delivered++;
      }
    });
    this.counters.eventsDelivered += delivered;
    return delivered;
  }
}
