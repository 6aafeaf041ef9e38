/** The smallest buffer an accumulator allocates: tiny frames split over segments need no regrowth. */
const MIN_CAPACITY = 256;

/**
 * Bytes copied into one buffer of the reader's own, grown by doubling up to a known final size.
 * Holding copies, not the chunks they came from, is what keeps a peer from making the server hold
 * more than it sent: a 1-byte TCP segment costs one byte here, not a Buffer object, and a small
 * fragment cut from a large chunk does not keep the whole chunk alive. The capacity never exceeds
 * twice the bytes held nor the final size, so an announced length costs nothing until it arrives.
 */
export class ByteAccumulator {
  private buffer: Buffer | undefined = undefined;
  length = 0;

  /** Bytes allocated (what the accumulator holds in memory). */
  get capacity(): number {
    return this.buffer?.length ?? 0;
  }

  /** Copies `source[start, end)` in; `finalSize` is what the whole will not exceed. */
  append(source: Buffer, start: number, end: number, finalSize: number): void {
    const count = end - start;
    if (count === 0) return;
    const needed = this.length + count;
    if (!this.buffer || needed > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.min(finalSize, Math.max(needed, this.capacity * 2, MIN_CAPACITY)));
      if (this.buffer) this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    source.copy(this.buffer, this.length, start, end);
    this.length = needed;
  }

  /** The bytes held, as a view of the accumulator's buffer (valid until the next `append` or `release`). */
  view(): Buffer {
    return this.buffer ? this.buffer.subarray(0, this.length) : EMPTY;
  }

  /** Forgets the bytes and frees the buffer: an idle connection holds nothing. */
  release(): void {
    this.buffer = undefined;
    this.length = 0;
  }
}

const EMPTY = Buffer.alloc(0);
