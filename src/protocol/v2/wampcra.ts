import type { Dict } from './messages.js';

/** The authentication method name of WAMP-CRA, in HELLO.Details.authmethods, CHALLENGE and WELCOME.Details.authmethod. */
export const WAMPCRA = 'wampcra';

/** What the WAMP-CRA challenge string holds, as the spec lists it. */
export interface WampCraChallengeFields {
  readonly authid: string;
  readonly authrole: string;
  readonly authprovider: string;
  /** A random value, against replays. */
  readonly nonce: string;
  /** When the authentication started, UTC, ISO 8601 (`new Date().toISOString()`). */
  readonly timestamp: string;
  /** The session id the client gets once authenticated. */
  readonly session: number;
}

/** PBKDF2 parameters of a salted secret, sent beside the challenge (as Autobahn's `auth_cra.derive_key` takes them). */
export interface WampCraSalt {
  readonly salt: string;
  readonly keylen: number;
  readonly iterations: number;
}

/** CHALLENGE.Extra for WAMP-CRA. */
export interface WampCraChallengeExtra extends Dict {
  readonly challenge: string;
  readonly salt?: string;
  readonly keylen?: number;
  readonly iterations?: number;
}

/**
 * CHALLENGE.Extra for WAMP-CRA: `challenge` is the JSON object the client signs
 * (HMAC-SHA256 with the secret, or the key derived from it), with `authmethod: "wampcra"`;
 * a salted secret adds its PBKDF2 parameters.
 */
export function wampCraChallengeExtra(fields: WampCraChallengeFields, salt?: WampCraSalt): WampCraChallengeExtra {
  const challenge = JSON.stringify({
    authid: fields.authid,
    authrole: fields.authrole,
    authmethod: WAMPCRA,
    authprovider: fields.authprovider,
    nonce: fields.nonce,
    timestamp: fields.timestamp,
    session: fields.session,
  });
  return salt ? { challenge, salt: salt.salt, keylen: salt.keylen, iterations: salt.iterations } : { challenge };
}
