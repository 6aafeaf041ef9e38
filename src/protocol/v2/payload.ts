import type { Dict } from './messages.js';

/**
 * The JSON of a message's tail `, Arguments, ArgumentsKw`, leaving out what the spec says
 * to avoid sending: no ArgumentsKw when it is empty, and no Arguments either when both are
 * empty (Arguments stays, possibly `[]`, when ArgumentsKw is sent). Throws on values JSON
 * cannot carry (a BigInt, a cycle).
 */
export function encodePayload(args: readonly unknown[] | undefined, kwargs: Dict | undefined): string {
  const hasKwargs = kwargs !== undefined && !isEmptyDict(kwargs);
  if (hasKwargs) return `,${args === undefined ? '[]' : JSON.stringify(args)},${JSON.stringify(kwargs) ?? '{}'}`;
  return args === undefined || args.length === 0 ? '' : `,${JSON.stringify(args)}`;
}

function isEmptyDict(dict: Dict): boolean {
  for (const key in dict) if (Object.hasOwn(dict, key)) return false;
  return true;
}
