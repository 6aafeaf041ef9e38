import type { Redis } from 'ioredis';
import { errorMessage } from '../core/errors.js';
import type { WampLogger } from '../core/wamp-logger.js';
import { type BackplaneWireMessage, decodeMessage } from './backplane-wire.js';
import { compareIds, idTime, type ReplayStream, type StreamEntry, type StreamId } from './replay-stream.js';

/** What the receiver works with: the backplane's stream, bounds, connection and sink. */
export interface ReplayReceiverContext {
  readonly stream: ReplayStream;
  readonly maxEvents: number;
  /** Bytes of the live messages held during a catch-up, at most (the backplane's `maxInFlightBytes`). */
  readonly maxHeldBytes: number;
  readonly maxAgeMs: number;
  /** The backplane's own origin: its events come back on its channels and are not delivered again. */
  readonly origin: string;
  /** The connection to read the stream on (the publisher), once it takes commands; undefined if it does not soon. */
  publisher(): Promise<Redis | undefined>;
  /** Hands an event of another instance to the local subscribers. */
  deliver(topic: string, message: BackplaneWireMessage): void;
  logger(): WampLogger | undefined;
}

/** A topic's floor while it is being read. */
type PendingFloor = { readonly pending: true };

/** Entries read from the stream per round trip. */
const PAGE = 1000;

/**
 * The receiving side of `replay`: remembers the id of the last event seen on the subscriber
 * connection and, after the connection comes back (it dropped, Redis restarted, the instance was
 * cut off while others went on publishing), reads what it missed from the stream and delivers it
 * before the live messages that arrived meanwhile, which it holds. Redis runs the publishing
 * script atomically and a connection gets its messages in order, so live ids only grow: a live
 * message (held, or still on its way) whose id the catch-up reached already is a duplicate and
 * is skipped.
 *
 * A topic's events are taken from the stream only after its floor: the stream's newest id once
 * its subscription was acknowledged. Older entries were published before this instance
 * subscribed to the topic, and entries between the last id seen and the floor reached the
 * instance live (its connection was up), so neither is delivered again.
 */
export class ReplayReceiver {
  /** Events delivered from the stream. */
  replayed = 0;
  /** Events of watched topics found in the stream but older than `maxAgeMs`, not delivered. */
  expired = 0;
  /** Live messages without an id let go of because too many were held during a catch-up. */
  missed = 0;
  private lastId?: StreamId;
  /**
   * The last id a catch-up read: the live message of an entry read from the stream may still be
   * on its way on the subscriber connection (no order holds across two connections), and is
   * skipped when it comes. Cleared by the first live message past it.
   */
  private replayedUpTo?: StreamId;
  private readonly floors = new Map<string, StreamId | PendingFloor>();
  /** Live messages held during a catch-up, in arrival order; undefined when none is under way. */
  private held?: { topic: string; message: BackplaneWireMessage }[];
  private heldBytes = 0;
  /** Counts subscriber connections: a catch-up stops when its connection has been replaced. */
  private generation = 0;

  constructor(private readonly context: ReplayReceiverContext) {}

  /** A live message of a topic channel. */
  live(topic: string, message: BackplaneWireMessage): void {
    if (this.held) {
      this.hold(topic, message);
      return;
    }
    if (message.id !== undefined) {
      if (this.replayedUpTo !== undefined) {
        if (compareIds(message.id, this.replayedUpTo) <= 0) return;
        this.replayedUpTo = undefined;
      }
      this.lastId = message.id;
    }
    if (message.origin !== this.context.origin) this.context.deliver(topic, message);
  }

  /** The instance has a subscriber on `topic` now: its floor is read once its subscription is acknowledged. */
  watched(topic: string): void {
    this.floors.delete(topic);
  }

  unwatched(topic: string): void {
    this.floors.delete(topic);
  }

  /** The subscriber connection is ready and resubscribing: live messages are held until the catch-up. Returns its generation. */
  resubscribing(): number {
    this.held ??= [];
    return ++this.generation;
  }

  /** Subscriptions acknowledged: reads the floors of new topics and, after a resubscription, catches up. */
  async subscribed(topics: Iterable<string>, generation?: number): Promise<void> {
    this.readFloors(topics);
    if (generation !== undefined) await this.catchUp(generation);
  }

  /** The subscriber connection closed for good: nothing more to hold. */
  close(): void {
    this.generation++;
    this.held = undefined;
    this.heldBytes = 0;
  }

  private hold(topic: string, message: BackplaneWireMessage): void {
    const held = this.held!;
    while (
      held.length > 0 &&
      (held.length >= this.context.maxEvents || this.heldBytes + message.frame.length > this.context.maxHeldBytes)
    ) {
      // The oldest held message is still in the stream, where the catch-up reads it, if it has an id.
      const oldest = held.shift()!.message;
      this.heldBytes -= oldest.frame.length;
      if (oldest.id === undefined) this.missed++;
    }
    held.push({ topic, message });
    this.heldBytes += message.frame.length;
  }

  private readFloors(topics: Iterable<string>): void {
    const token: PendingFloor = { pending: true };
    const unknown = [...topics].filter((topic) => !this.floors.has(topic));
    if (unknown.length === 0) return;
    for (const topic of unknown) this.floors.set(topic, token);
    const settle = (id?: StreamId): void => {
      for (const topic of unknown) {
        if (this.floors.get(topic) !== token) continue;
        if (id === undefined)
          this.floors.delete(topic); // read again on the next acknowledgement
        else this.floors.set(topic, id);
      }
    };
    this.context
      .publisher()
      .then((publisher) => (publisher ? this.context.stream.last(publisher) : undefined))
      .then(settle, () => settle());
  }

  /** Where a catch-up starts: after the last id seen, or, before any was seen, after the oldest floor. */
  private start(): StreamId | undefined {
    if (this.lastId !== undefined) return this.lastId;
    let oldest: StreamId | undefined;
    for (const floor of this.floors.values()) {
      if (typeof floor === 'string' && (oldest === undefined || compareIds(floor, oldest) < 0)) oldest = floor;
    }
    return oldest;
  }

  private async catchUp(generation: number): Promise<void> {
    let cursor: StreamId | undefined;
    const publisher = this.start() === undefined ? undefined : await this.context.publisher();
    if (generation !== this.generation) return;
    const start = this.start();
    if (start !== undefined && publisher) {
      try {
        let after = start;
        let scanned = 0;
        for (;;) {
          const { now, entries } = await this.context.stream.read(publisher, after, PAGE);
          if (generation !== this.generation) return;
          for (const entry of entries) this.consider(entry, now);
          scanned += entries.length;
          if (entries.length === 0) break;
          after = cursor = entries[entries.length - 1].id;
          // The stream holds `maxEvents`; more is what arrives meanwhile, which the held messages have.
          if (entries.length < PAGE || scanned >= 2 * this.context.maxEvents || this.reachedHeld(after)) break;
        }
      } catch (error) {
        if (generation !== this.generation) return;
        this.context
          .logger()
          ?.warn(`Redis backplane replay: could not read the stream (${errorMessage(error)}); events published meanwhile may be missing`);
      }
    }
    if (generation === this.generation) this.release(cursor);
  }

  private consider(entry: StreamEntry, now: number): void {
    const floor = this.floors.get(entry.topic);
    if (typeof floor !== 'string' || compareIds(entry.id, floor) <= 0) return;
    const message = decodeMessage(entry.envelope, entry.frame);
    if (!message || message.origin === this.context.origin) return;
    if (now - idTime(entry.id) + entry.ageWhenAdded > this.context.maxAgeMs) {
      this.expired++;
      return;
    }
    this.replayed++;
    this.context.deliver(entry.topic, message);
  }

  private reachedHeld(cursor: StreamId): boolean {
    const first = this.held?.find(({ message }) => message.id !== undefined);
    return first !== undefined && compareIds(cursor, first.message.id!) >= 0;
  }

  /** Delivers the held messages the catch-up did not deliver already, and lets live ones through again. */
  private release(caughtUpTo: StreamId | undefined): void {
    if (caughtUpTo !== undefined) this.lastId = caughtUpTo;
    this.replayedUpTo = caughtUpTo;
    const held = this.held ?? [];
    this.held = undefined;
    this.heldBytes = 0;
    for (const { topic, message } of held) this.live(topic, message);
  }
}
