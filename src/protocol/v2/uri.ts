/**
 * URI rules of WAMP v2. The spec's *loose* rule is a MUST: components (between dots) are
 * not empty and hold no `.`, `#` or whitespace. Its *strict* rule (components of lower-case
 * letters, digits and `_`) is only recommended, so a router enforces the loose one by default
 * (refusing more would refuse clients that follow the spec) and may opt into the strict one.
 * Whitespace is JavaScript's `\s`; a lone UTF-16 surrogate (from a JSON `\ud800` escape) is
 * no Unicode and fails both rules.
 */
export type UriRule = 'loose' | 'strict';

/**
 * What a URI field holds: a concrete URI, or the pattern of a `match: "prefix"` subscription
 * or registration (the last component may be empty) or a `match: "wildcard"` one (any
 * component may be empty), as in the spec's pattern-based subscription and registration.
 */
export type UriMatch = 'exact' | 'prefix' | 'wildcard';

const PATTERNS: Readonly<Record<UriRule, Readonly<Record<UriMatch, RegExp>>>> = {
  loose: {
    exact: /^(?:[^\s.#]+\.)*[^\s.#]+$/,
    prefix: /^(?:[^\s.#]+\.)*[^\s.#]*$/,
    wildcard: /^(?:[^\s.#]+\.|\.)*(?:[^\s.#]+)?$/,
  },
  strict: {
    exact: /^(?:[0-9a-z_]+\.)*[0-9a-z_]+$/,
    prefix: /^(?:[0-9a-z_]+\.)*[0-9a-z_]*$/,
    wildcard: /^(?:[0-9a-z_]+\.|\.)*(?:[0-9a-z_]+)?$/,
  },
};

const LONE_SURROGATE = /\p{Cs}/u;

export function isValidUri(uri: string, rule: UriRule = 'loose', match: UriMatch = 'exact'): boolean {
  return PATTERNS[rule][match].test(uri) && (rule === 'strict' || !LONE_SURROGATE.test(uri));
}

/** URIs whose first component is `wamp`: the spec reserves them to itself, applications must not define them. */
export function isReservedUri(uri: string): boolean {
  return uri === 'wamp' || uri.startsWith('wamp.');
}
