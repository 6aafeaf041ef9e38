/**
 * The names a URI has in each protocol version: WAMP v1 URIs (`http://app/rpc#add`) and their
 * WAMP v2 counterparts (`app.rpc.add`). A pair is exact, or a prefix pair written with a final `*`
 * on both sides (`http://app/rpc#*` ↔ `app.rpc.*`), which maps every URI under the one prefix to
 * the same remainder under the other. The server keeps one name per procedure and topic, the one
 * its handler registered (usually the v1 URI); a v2 client's URI is turned into it on the way in,
 * and back when the server names it to a v2 client. A URI without a pair is the same in both.
 */
export interface WampUriPair {
  /** The v1 URI, or a v1 prefix ending in `*`. */
  readonly v1: string;
  /** The v2 URI, or a v2 prefix ending in `*` (then `v1` is a prefix too). */
  readonly v2: string;
}

interface PrefixPair {
  readonly v1: string;
  readonly v2: string;
}

/** Thrown when two pairs give one URI two names. */
export class WampUriMapError extends Error {
  override readonly name = 'WampUriMapError';
}

export class WampUriMap {
  private readonly v2ByV1 = new Map<string, string>();
  private readonly v1ByV2 = new Map<string, string>();
  /** Prefix pairs, longest first on each side, so that the most specific pair wins. */
  private byV1Prefix: PrefixPair[] = [];
  private byV2Prefix: PrefixPair[] = [];

  constructor(pairs: readonly WampUriPair[] = []) {
    for (const pair of pairs) this.add(pair);
  }

  /** Whether any pair is known: without one, every URI is the same in both protocols. */
  get empty(): boolean {
    return this.v2ByV1.size === 0 && this.byV1Prefix.length === 0;
  }

  /** Adds a pair; the same pair twice is fine, a URI with a second, different name is an error. */
  add({ v1, v2 }: WampUriPair): void {
    if (typeof v1 !== 'string' || typeof v2 !== 'string' || v1 === '' || v2 === '') {
      throw new WampUriMapError(`a v1/v2 URI pair is two non-empty strings; got ${JSON.stringify({ v1, v2 })}`);
    }
    const v1Prefix = v1.endsWith('*');
    if (v1Prefix !== v2.endsWith('*') || starBeforeEnd(v1) || starBeforeEnd(v2)) {
      throw new WampUriMapError(`a v1/v2 URI pair is two URIs, or two prefixes each ending in "*"; got ${JSON.stringify({ v1, v2 })}`);
    }
    if (v1Prefix) {
      this.addPrefix(v1.slice(0, -1), v2.slice(0, -1));
      return;
    }
    const known = this.v2ByV1.get(v1) ?? this.v1ByV2.get(v2);
    if (known !== undefined && (this.v2ByV1.get(v1) !== v2 || this.v1ByV2.get(v2) !== v1)) {
      throw new WampUriMapError(
        `"${v1}" ↔ "${v2}" conflicts with ${JSON.stringify(this.v2ByV1.has(v1) ? [v1, this.v2ByV1.get(v1)] : [this.v1ByV2.get(v2), v2])}`,
      );
    }
    this.v2ByV1.set(v1, v2);
    this.v1ByV2.set(v2, v1);
  }

  /** The v2 name of a server URI (a v1 URI, or a URI both protocols share). */
  toV2(uri: string): string {
    const exact = this.v2ByV1.get(uri);
    if (exact !== undefined) return exact;
    for (const pair of this.byV1Prefix) if (uri.startsWith(pair.v1)) return pair.v2 + uri.slice(pair.v1.length);
    return uri;
  }

  /** The server's name of a URI a v2 client used. */
  fromV2(uri: string): string {
    const exact = this.v1ByV2.get(uri);
    if (exact !== undefined) return exact;
    for (const pair of this.byV2Prefix) if (uri.startsWith(pair.v2)) return pair.v1 + uri.slice(pair.v2.length);
    return uri;
  }

  private addPrefix(v1: string, v2: string): void {
    const clash = this.byV1Prefix.find((pair) => pair.v1 === v1 || pair.v2 === v2);
    if (clash) {
      if (clash.v1 === v1 && clash.v2 === v2) return;
      throw new WampUriMapError(`prefix pair "${v1}*" ↔ "${v2}*" conflicts with "${clash.v1}*" ↔ "${clash.v2}*"`);
    }
    const pair = { v1, v2 };
    this.byV1Prefix = [...this.byV1Prefix, pair].sort((a, b) => b.v1.length - a.v1.length);
    this.byV2Prefix = [...this.byV2Prefix, pair].sort((a, b) => b.v2.length - a.v2.length);
  }
}

/** Whether a `*` appears anywhere but at the very end. */
function starBeforeEnd(uri: string): boolean {
  const star = uri.indexOf('*');
  return star !== -1 && star < uri.length - 1;
}
