import type { Dict } from './messages.js';

/**
 * A WAMP `dict`: a plain object (what `JSON.parse` makes of `{...}`), not an array, not
 * null, not an instance of a class.
 */
export function isDict(value: unknown): value is Dict {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** An attribute of a dict, read only when it is the dict's own (a key `constructor` is not inherited from Object). */
export function own(dict: Dict, key: string): unknown {
  return Object.hasOwn(dict, key) ? dict[key] : undefined;
}
