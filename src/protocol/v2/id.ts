/** The largest WAMP v2 ID, 2^53: every integer up to it is exact in an IEEE-754 double. */
export const MAX_ID = 2 ** 53;

/**
 * Whether a value is a WAMP v2 ID: an integer in [1, 2^53]. JSON text is read by
 * `JSON.parse`, so `1.0` and `1e3` count as the integers they denote, and integers beyond
 * 2^53 that round to 2^53 (`9007199254740993`) are read as 2^53: a double cannot tell them apart.
 */
export function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_ID;
}
