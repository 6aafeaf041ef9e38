/**
 * Values by string prefix, for the topics a publication matches: one Map probe per distinct
 * prefix length (few in practice), whatever the number of prefixes.
 */
export class PrefixSubscriptionIndex<T> {
  private readonly byPrefix = new Map<string, T>();
  /** Distinct lengths of the prefixes, shortest first. */
  private lengths: number[] = [];

  get size(): number {
    return this.byPrefix.size;
  }

  get(prefix: string): T | undefined {
    return this.byPrefix.get(prefix);
  }

  add(prefix: string, value: T): void {
    this.byPrefix.set(prefix, value);
    if (!this.lengths.includes(prefix.length)) this.lengths = [...this.lengths, prefix.length].sort((a, b) => a - b);
  }

  remove(prefix: string): boolean {
    if (!this.byPrefix.delete(prefix)) return false;
    if (![...this.byPrefix.keys()].some((other) => other.length === prefix.length)) {
      this.lengths = this.lengths.filter((length) => length !== prefix.length);
    }
    return true;
  }

  /** Calls `visit` with the value of every prefix `uri` starts with (`uri` itself included), shortest prefix first. */
  forEachMatch(uri: string, visit: (value: T) => void): void {
    for (const length of this.lengths) {
      if (length > uri.length) return;
      const value = this.byPrefix.get(length === uri.length ? uri : uri.slice(0, length));
      if (value !== undefined) visit(value);
    }
  }
}
