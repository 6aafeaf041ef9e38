/**
 * One session's CURI prefixes (PREFIX messages). Resolution follows AutobahnPython and
 * AutobahnJS: split at the first `:` when it is not the first character, replace a known
 * prefix by its URI and keep the whole remainder; an unknown prefix leaves the string as it
 * is, and redefining a prefix overwrites it. A Map, so that prefixes like `__proto__` are
 * ordinary keys.
 */
export class PrefixMap {
  private readonly prefixes = new Map<string, string>();

  get size(): number {
    return this.prefixes.size;
  }

  has(prefix: string): boolean {
    return this.prefixes.has(prefix);
  }

  set(prefix: string, uri: string): void {
    this.prefixes.set(prefix, uri);
  }

  resolve(curieOrUri: string): string {
    const colon = curieOrUri.indexOf(':');
    if (colon <= 0 || this.prefixes.size === 0) return curieOrUri;
    const uri = this.prefixes.get(curieOrUri.slice(0, colon));
    return uri === undefined ? curieOrUri : uri + curieOrUri.slice(colon + 1);
  }
}
