/**
 * How topic (and permission) URIs are matched, as in clj-wamp: an exact URI, a prefix
 * pattern ending in `*` (`http://x/event#feed/*` matches every URI starting with
 * `http://x/event#feed/`), or the catch-all `*`.
 */
export type UriPatternKind = 'exact' | 'prefix' | 'any';

/** A URI, a prefix ending in `*`, or `*` alone: a `*` anywhere else would match nothing and look as if it did. */
export function isWellFormedPattern(pattern: string): boolean {
  const star = pattern.indexOf('*');
  return star === -1 || star === pattern.length - 1;
}

export function uriPatternKind(pattern: string): UriPatternKind {
  if (pattern === '*') return 'any';
  return pattern.endsWith('*') ? 'prefix' : 'exact';
}

export interface UriPatternMatch<T> {
  readonly pattern: string;
  readonly value: T;
}

/**
 * A table of patterns to values. A lookup prefers the exact URI, then the longest matching
 * prefix pattern, then the catch-all, so a more specific entry always wins (an exact `false`
 * under a prefix `true` denies, unlike clj-wamp's map-order quirk).
 */
export class UriPatternTable<T> {
  private readonly exact = new Map<string, UriPatternMatch<T>>();
  private readonly prefixes = new Map<string, UriPatternMatch<T>>();
  /** Distinct prefix lengths, longest first, so a lookup costs one Map probe per length. */
  private prefixLengths: number[] = [];
  private any?: UriPatternMatch<T>;

  /** Adds a pattern; returns the entry already registered under it instead when there is one. */
  add(pattern: string, value: T): UriPatternMatch<T> | undefined {
    const existing = this.get(pattern);
    if (existing) return existing;
    const entry = { pattern, value };
    switch (uriPatternKind(pattern)) {
      case 'any':
        this.any = entry;
        break;
      case 'exact':
        this.exact.set(pattern, entry);
        break;
      case 'prefix': {
        const prefix = pattern.slice(0, -1);
        this.prefixes.set(prefix, entry);
        if (!this.prefixLengths.includes(prefix.length)) {
          this.prefixLengths = [...this.prefixLengths, prefix.length].sort((a, b) => b - a);
        }
        break;
      }
    }
    return undefined;
  }

  /** The entry registered under exactly this pattern. */
  /** Forgets a pattern; false when it was not there. */
  remove(pattern: string): boolean {
    switch (uriPatternKind(pattern)) {
      case 'any':
        if (!this.any) return false;
        this.any = undefined;
        return true;
      case 'exact':
        return this.exact.delete(pattern);
      case 'prefix': {
        const prefix = pattern.slice(0, -1);
        if (!this.prefixes.delete(prefix)) return false;
        if (![...this.prefixes.keys()].some((other) => other.length === prefix.length)) {
          this.prefixLengths = this.prefixLengths.filter((length) => length !== prefix.length);
        }
        return true;
      }
    }
  }

  get(pattern: string): UriPatternMatch<T> | undefined {
    switch (uriPatternKind(pattern)) {
      case 'any':
        return this.any;
      case 'exact':
        return this.exact.get(pattern);
      case 'prefix':
        return this.prefixes.get(pattern.slice(0, -1));
    }
  }

  /** The most specific entry matching a concrete URI. */
  match(uri: string): UriPatternMatch<T> | undefined {
    const exact = this.exact.get(uri);
    if (exact) return exact;
    for (const length of this.prefixLengths) {
      if (length > uri.length) continue;
      const entry = this.prefixes.get(uri.slice(0, length));
      if (entry) return entry;
    }
    return this.any;
  }

  entries(): UriPatternMatch<T>[] {
    return [...this.exact.values(), ...this.prefixes.values(), ...(this.any ? [this.any] : [])];
  }
}
