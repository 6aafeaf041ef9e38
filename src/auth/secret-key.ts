import type { WampSecret } from './wamp-auth-options.js';
import { DEFAULT_ITERATIONS, DEFAULT_KEYLEN, deriveKey, type WampCraSalt } from './wamp-cra.js';

/**
 * The HMAC key of a WAMP-CRA secret, for v1 and v2 alike: the secret itself, or the PBKDF2 key
 * derived from it, with the salting parameters the client needs to derive the same key. Throws
 * when `auth.secret` returned something else than a secret.
 */
export async function hmacKeyOf(secret: WampSecret): Promise<{ readonly key: string; readonly salt?: WampCraSalt }> {
  if (typeof secret === 'string') return { key: secret };
  if (typeof secret !== 'object' || typeof secret.secret !== 'string' || typeof secret.salt !== 'string' || secret.salt === '') {
    throw new Error('auth.secret must return a string or { secret, salt (non-empty), keylen?, iterations? }');
  }
  const salt: WampCraSalt = {
    salt: secret.salt,
    keylen: positiveInteger(secret.keylen) ?? DEFAULT_KEYLEN,
    iterations: positiveInteger(secret.iterations) ?? DEFAULT_ITERATIONS,
  };
  return { key: await deriveKey(secret.secret, salt), salt };
}

function positiveInteger(value: unknown): number | undefined {
  return Number.isInteger(value) && (value as number) > 0 ? (value as number) : undefined;
}
