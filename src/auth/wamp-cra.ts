import { createHmac, pbkdf2, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);

/** Salting parameters, as the challenge's `authextra` carries them to the client. */
export interface WampCraSalt {
  readonly salt: string;
  readonly keylen: number;
  readonly iterations: number;
}

/** AutobahnJS's defaults when `authextra` leaves keylen or iterations out. */
export const DEFAULT_KEYLEN = 32;
export const DEFAULT_ITERATIONS = 10000;

/**
 * The WAMP-CRA signature as AutobahnJS 0.8 (`authsign`) and AutobahnPython compute it:
 * base64(HMAC-SHA256(key, challenge)), both as UTF-8.
 */
export function signChallenge(key: string, challenge: string): string {
  return createHmac('sha256', key).update(challenge, 'utf8').digest('base64');
}

/**
 * The signature clj-wamp 1.0.2 expects: key and message swapped (its example client calls
 * `authsign(password, challenge)`). Accepted only with the `legacySignature` option.
 */
export function signChallengeLegacy(key: string, challenge: string): string {
  return signChallenge(challenge, key);
}

/**
 * The salted key of AutobahnJS's `ab.deriveKey`: base64(PBKDF2-HMAC-SHA256(secret, salt,
 * iterations, keylen bytes)). The base64 text itself is then the HMAC key.
 */
export async function deriveKey(secret: string, salt: WampCraSalt): Promise<string> {
  const derived = await pbkdf2Async(secret, salt.salt, salt.iterations, salt.keylen, 'sha256');
  return derived.toString('base64');
}

/** Compares a client's signature with an expected one in constant time. */
export function signatureMatches(expected: string, received: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(received, 'utf8');
  // timingSafeEqual needs equal lengths; comparing `a` with itself keeps the time the same.
  return a.length === b.length ? timingSafeEqual(a, b) : !timingSafeEqual(a, a);
}
