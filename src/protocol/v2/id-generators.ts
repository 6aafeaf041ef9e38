import { randomFillSync } from 'node:crypto';
import { MAX_ID } from './id.js';

const ID_BYTES = 8;
const POOL_IDS = 128;
const HIGH_BITS = 2 ** 21;
const LOW_RANGE = 2 ** 32;

/**
 * Global-scope IDs (sessions, publications): drawn uniformly from [1, 2^53] with the system
 * CSPRNG, 53 random bits plus one. Random bytes are drawn 128 IDs at a time. `fill` replaces
 * the CSPRNG (for tests).
 */
export class RandomIdGenerator {
  private readonly pool = Buffer.alloc(ID_BYTES * POOL_IDS);
  private next = POOL_IDS;

  constructor(private readonly fill: (buffer: Buffer) => void = randomFillSync) {}

  /** A new ID; uniqueness is by chance (two live sessions share one with odds of about n²/2^54). */
  nextId(): number {
    if (this.next === POOL_IDS) {
      this.fill(this.pool);
      this.next = 0;
    }
    const offset = this.next++ * ID_BYTES;
    const high = this.pool.readUInt32BE(offset) % HIGH_BITS;
    const low = this.pool.readUInt32BE(offset + 4);
    return high * LOW_RANGE + low + 1;
  }
}

/**
 * Session-scope IDs a router issues (INVOCATION.Request): 1, 2, 3, ..., wrapping to 1 after
 * 2^53, as the spec requires for each direction of a session.
 */
export class SessionScopeIdGenerator {
  /** `last`: the ID issued last, to continue a sequence (0: start at 1). */
  constructor(private last = 0) {}

  nextId(): number {
    this.last = this.last === MAX_ID ? 1 : this.last + 1;
    return this.last;
  }
}

/**
 * Router-scope IDs (subscriptions, registrations), which the spec lets a router choose
 * freely: sequential from 1, wrapping after 2^53, skipping any ID `inUse` says is still
 * taken, so an ID stays unique among the live ones even after a wrap.
 */
export class RouterScopeIdGenerator {
  /** `last`: the ID issued last, to continue a sequence (0: start at 1). */
  constructor(private last = 0) {}

  /** `inUse` must leave at least one ID free, or this never returns. */
  nextId(inUse?: (id: number) => boolean): number {
    do {
      this.last = this.last === MAX_ID ? 1 : this.last + 1;
    } while (inUse?.(this.last));
    return this.last;
  }
}

/**
 * Checks the session-scope request IDs a client sends (SUBSCRIBE, UNSUBSCRIBE, PUBLISH,
 * REGISTER, UNREGISTER, CALL share one sequence): the spec makes a non-sequential one a
 * protocol error. The first must be 1, each next one the previous plus one, 1 after 2^53.
 */
export class RequestIdSequence {
  /** `last`: the ID accepted last (0: the client's first request must be 1). */
  constructor(private last = 0) {}

  /** The ID the client must send next. */
  get expected(): number {
    return this.last === MAX_ID ? 1 : this.last + 1;
  }

  /** True and advances when `id` is the expected one; false (and stays) otherwise. */
  accept(id: number): boolean {
    if (id !== this.expected) return false;
    this.last = id;
    return true;
  }
}
