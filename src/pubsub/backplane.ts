import type { WampLogger } from '../core/wamp-logger.js';
import type { ClusterBus } from '../cluster/cluster-bus.js';
import type { Payload } from '../protocol/v2/messages.js';
import type { DeliveryFilter } from './delivery-filter.js';

/**
 * An event on its way between instances: the encoded EVENT frame and who may receive it, and
 * what WAMP v2 subscribers need beside the frame. Messages from publishers that know no v2
 * (`WampEmitter`, older versions) have neither `publication` nor `payload`: their v2 subscribers
 * get the frame's event as `Arguments [event]`, under a publication id the receiver draws.
 */
export interface BackplaneMessage {
  readonly topic: string;
  /** The `[8, topic, event]` frame, encoded once by the publishing instance. */
  readonly frame: string | Buffer;
  readonly filter: DeliveryFilter;
  /** The publication id (WAMP v2's `Publication|id`), the same on every instance. */
  readonly publication?: number;
  /** A v2 publication's `Arguments` and `ArgumentsKw`, when they are not just `[event]`. */
  readonly payload?: Payload;
  /**
   * Set when the message came through a prefix watch (`watchPrefix`) rather than the topic's own
   * channel: it is for this instance's prefix subscriptions on exactly this prefix, and only them
   * (a message matching a topic and several prefixes comes once per watch).
   */
  readonly prefix?: string;
}

/** What a backplane hands the events of other instances to. */
export type BackplaneSink = (message: BackplaneMessage) => void;

/**
 * How the instances of an application share events. The instance that publishes delivers to its
 * own subscribers itself and gives the event to the backplane for the others; each instance tells
 * the backplane which topics it has subscribers for, so that it only receives those.
 * `MemoryBackplane` (one instance, the default) and `RedisBackplane` (`nest-wamp/redis`)
 * implement it.
 */
export interface WampBackplane {
  /** Starts delivering other instances' events to `sink`. Must not wait for a remote service to be up. */
  start(sink: BackplaneSink, logger: WampLogger): void | Promise<void>;
  /** Sends an event to the other instances; never throws, never buffers without bound. */
  publish(message: BackplaneMessage): void;
  /** This instance now has a subscriber on `topic`. */
  watch(topic: string): void;
  /** This instance no longer has a subscriber on `topic`. */
  unwatch(topic: string): void;
  /**
   * This instance has a prefix subscription (WAMP v2, `match: "prefix"`) on every topic starting
   * with `prefix`: it receives their events too, each message with `prefix` set. A backplane
   * without it shares no prefix subscriptions: they get this instance's publications only.
   */
  watchPrefix?(prefix: string): void;
  /** This instance no longer has a prefix subscription on `prefix`. */
  unwatchPrefix?(prefix: string): void;
  /** Releases what `start` opened. */
  close(): Promise<void>;
  /**
   * Whether it reaches the other instances now (metrics and health checks read it, in
   * `stats().backplane`). A backplane without it is reported as `none`, as `MemoryBackplane` is.
   */
  connected?(): boolean;
  /** Events it could not hand to the other instances since the start (`stats().backplane.eventsDropped`). */
  readonly dropped?: number;
  /**
   * How the instances ask each other, for `WampBroker.cluster` (sessions and calls of other
   * instances). A backplane without one makes those operations act on this instance only.
   */
  readonly bus?: ClusterBus;
}

/** A single instance: nothing to share, so every method is a no-op. */
export class MemoryBackplane implements WampBackplane {
  start(): void {}
  publish(): void {}
  watch(): void {}
  unwatch(): void {}
  async close(): Promise<void> {}
}
