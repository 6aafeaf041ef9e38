/** An event waiting for its master's connection to open. */
interface HeldEvent {
  readonly channel: string;
  readonly payload: string | Buffer;
  readonly size: number;
  readonly at: number;
}

/**
 * The events for a cluster master whose connection has not been ready yet (a replica just
 * promoted, a master this instance has not reached before): they are sent, in order, once it is
 * ready, instead of being dropped in the moment it takes to connect. What it holds counts against
 * the backplane's in-flight limits, and what waits longer than the stall timeout is dropped.
 */
export class OpeningQueue {
  /** Events held. */
  events = 0;
  /** Payload bytes of those events. */
  bytes = 0;
  private held: HeldEvent[] = [];

  hold(channel: string, payload: string | Buffer, size: number): void {
    this.held.push({ channel, payload, size, at: Date.now() });
    this.events++;
    this.bytes += size;
  }

  /** Hands every held event to `send`, oldest first, and empties the queue. */
  flush(send: (channel: string, payload: string | Buffer, size: number) => void): void {
    const held = this.held;
    this.clear();
    for (const { channel, payload, size } of held) send(channel, payload, size);
  }

  /** Lets go of what has waited longer than `maxAgeMs`; returns how many events that was. */
  expire(maxAgeMs: number): number {
    const oldEnough = Date.now() - maxAgeMs;
    let expired = 0;
    while (expired < this.held.length && this.held[expired].at < oldEnough) this.bytes -= this.held[expired++].size;
    if (expired > 0) {
      this.held = this.held.slice(expired);
      this.events -= expired;
    }
    return expired;
  }

  /** Lets go of everything; returns how many events that was. */
  clear(): number {
    const count = this.events;
    this.held = [];
    this.events = this.bytes = 0;
    return count;
  }
}
