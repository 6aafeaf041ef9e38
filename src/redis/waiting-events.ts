/** An event kept until Redis takes it. */
export interface WaitingEvent {
  readonly topic: string;
  readonly channel: string;
  readonly envelope: string;
  readonly frame: string | Buffer;
  /** The bytes it counts for in the bounds. */
  readonly size: number;
  /** When it was published (`Date.now()`). */
  readonly at: number;
}

/**
 * Events a `RedisBackplane` keeps, in order, to send when Redis takes them: in `replay` mode
 * those published while Redis does not take commands (down, stalled, or too far behind), and in
 * a cluster those for a master whose connection has not been ready yet (a promoted replica, or
 * any master at start). At most `maxEvents` and `maxBytes`, none older than `maxAgeMs`. What the
 * bounds push out is the oldest, which is also the first to age out; `push` and `expire` say how
 * many they let go of, for the count of dropped events.
 */
export class WaitingEvents {
  private items: (WaitingEvent | undefined)[] = [];
  private head = 0;
  private held = 0;

  constructor(
    private readonly maxEvents: number,
    private readonly maxBytes: number,
    private readonly maxAgeMs: number,
  ) {}

  get events(): number {
    return this.items.length - this.head;
  }

  get bytes(): number {
    return this.held;
  }

  /** Keeps an event, letting go of the oldest while the bounds require (and of those too old); returns how many were let go of (the event itself, when it alone is over `maxBytes`). */
  push(event: WaitingEvent): number {
    let dropped = this.expire(event.at);
    if (event.size > this.maxBytes) return dropped + 1;
    while (this.events >= this.maxEvents || this.held + event.size > this.maxBytes) {
      this.shift();
      dropped++;
    }
    this.items.push(event);
    this.held += event.size;
    return dropped;
  }

  /** Lets go of the events older than `maxAgeMs` at `now` (the oldest come first); returns how many. */
  expire(now: number): number {
    let expired = 0;
    for (let event = this.peek(); event && now - event.at > this.maxAgeMs; event = this.peek()) {
      this.shift();
      expired++;
    }
    return expired;
  }

  /** The oldest event, left in the queue. */
  peek(): WaitingEvent | undefined {
    return this.items[this.head];
  }

  /** Takes the oldest event out. */
  shift(): WaitingEvent | undefined {
    if (this.head === this.items.length) return undefined;
    const event = this.items[this.head];
    this.items[this.head++] = undefined;
    this.held -= event!.size;
    // Compact once the consumed part is the larger: each event is moved at most once on average.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return event;
  }

  /** Lets go of everything; returns how many events that was. */
  clear(): number {
    const count = this.events;
    this.items = [];
    this.head = this.held = 0;
    return count;
  }
}
