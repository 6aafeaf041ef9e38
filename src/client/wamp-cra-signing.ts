/**
 * WAMP-CRA signing on the client, as AutobahnJS 0.8 does it (`ab.deriveKey`, `authsign`), with
 * WebCrypto, so it runs in browsers and in Node alike.
 */

export interface WampCraAuthExtra {
  readonly salt?: string;
  readonly keylen?: number;
  readonly iterations?: number;
}

const encoder = new TextEncoder();

/** base64(HMAC-SHA256(key = secret, message = challenge)): AutobahnJS's `authsign(challenge, secret)`. */
export async function authSign(challenge: string, secret: string): Promise<string> {
  // WebCrypto refuses an empty HMAC key; HMAC pads short keys with zero bytes, so one zero byte is the same key.
  const raw = secret === '' ? new Uint8Array(1) : encoder.encode(secret);
  const key = await crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return toBase64(await crypto.subtle.sign('HMAC', key, encoder.encode(challenge)));
}

/**
 * AutobahnJS's `ab.deriveKey(secret, authextra)`: with a salt, base64(PBKDF2-SHA256(secret, salt,
 * iterations (default 10000), keylen (default 32) bytes)); without one, the secret unchanged.
 */
export async function deriveKey(secret: string, extra?: WampCraAuthExtra | null): Promise<string> {
  if (!extra?.salt) return secret;
  const material = await crypto.subtle.importKey('raw', encoder.encode(secret), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', salt: encoder.encode(extra.salt), iterations: extra.iterations || 10000, hash: 'SHA-256' },
    material,
    (extra.keylen || 32) * 8,
  );
  return toBase64(bits);
}

/** The signature `ab.launch` sends for a challenge: it derives the key when the challenge's authextra has a salt. */
export async function signChallengeAsAutobahn(challenge: string, secret: string): Promise<string> {
  const { authextra } = JSON.parse(challenge) as { authextra?: WampCraAuthExtra };
  return authSign(challenge, await deriveKey(secret, authextra));
}

function toBase64(buffer: ArrayBuffer): string {
  let binary = '';
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary);
}
