import CryptoJS from 'crypto-js';
import { readFileSync } from 'node:fs';
import { deriveKey, signatureMatches, signChallenge, signChallengeLegacy } from '../../src/auth/wamp-cra.js';
import { authSign, deriveKey as clientDeriveKey, signChallengeAsAutobahn } from '../../src/client/wamp-cra-signing.js';

interface Vectors {
  sign: Array<{ challenge: string; secret: string; signature: string }>;
  derive: Array<{ secret: string; salt: string; iterations: number; keylen: number; derived: string }>;
  salted_sign: Array<{
    challenge: string;
    secret: string;
    authextra: { salt: string; keylen: number; iterations: number };
    derived: string;
    signature: string;
  }>;
  clj_wamp_legacy_sign: { challenge: string; secret: string; signature: string };
}

/** The steering's vectors (copied from ../shared/vectors/wamp-cra.json), computed as AutobahnJS 0.8 does. */
const vectors = JSON.parse(readFileSync(new URL('../fixtures/wamp-cra.json', import.meta.url), 'utf8')) as Vectors;

/** What AutobahnJS 0.8 itself computes, with the CryptoJS 3.1.2 it bundles. */
const cryptoJs = {
  sign: (challenge: string, secret: string) => CryptoJS.HmacSHA256(challenge, secret).toString(CryptoJS.enc.Base64),
  derive: (secret: string, salt: string, iterations: number, keylen: number) =>
    CryptoJS.PBKDF2(secret, salt, { keySize: keylen / 4, iterations, hasher: CryptoJS.algo.SHA256 }).toString(CryptoJS.enc.Base64),
};

/** The vectors of wamp-v1.md 3.7, cross-checked there against CryptoJS and Python. */
const V1_CHALLENGE =
  '{"authid": "Zs8KUOV1QdQZ3Zk8", "authkey": "foobar", "timestamp": "2014-08-23T16:50:01.123Z", "sessionid": "q6Zx3pWl1mNcT0hU", "extra": {}, "permissions": {"pubsub": [], "rpc": []}}';
const V3_CHALLENGE =
  '{"authid": "Zs8KUOV1QdQZ3Zk8", "authkey": "foobar", "timestamp": "2014-08-23T16:50:01.123Z", "sessionid": "q6Zx3pWl1mNcT0hU", "extra": {}, "permissions": {"pubsub": [], "rpc": []}, "authextra": {"salt": "RANDOM SALT", "keylen": 32, "iterations": 1000}}';

describe('WAMP-CRA signatures', () => {
  describe.each(vectors.sign)('sign vector $challenge / $secret', ({ challenge, secret, signature }) => {
    it('the server computes it', () => expect(signChallenge(secret, challenge)).toBe(signature));
    it('the client computes it', async () => expect(await authSign(challenge, secret)).toBe(signature));
    it('CryptoJS (AutobahnJS) computes it', () => expect(cryptoJs.sign(challenge, secret)).toBe(signature));
  });

  describe.each(vectors.derive)('derive vector $salt / $iterations / $keylen', ({ secret, salt, iterations, keylen, derived }) => {
    it('the server derives it', async () => expect(await deriveKey(secret, { salt, iterations, keylen })).toBe(derived));
    it('the client derives it', async () => expect(await clientDeriveKey(secret, { salt, iterations, keylen })).toBe(derived));
    it('CryptoJS (AutobahnJS) derives it', () => expect(cryptoJs.derive(secret, salt, iterations, keylen)).toBe(derived));
  });

  describe.each(vectors.salted_sign)('salted sign vector', ({ challenge, secret, authextra, derived, signature }) => {
    it('the server derives the key and signs', async () => {
      const key = await deriveKey(secret, authextra);
      expect(key).toBe(derived);
      expect(signChallenge(key, challenge)).toBe(signature);
    });
    it('the client signs as ab.launch does, reading authextra from the challenge', async () => {
      expect(await signChallengeAsAutobahn(challenge, secret)).toBe(signature);
    });
  });

  it("computes clj-wamp's legacy signature (key and message swapped)", () => {
    const { challenge, secret, signature } = vectors.clj_wamp_legacy_sign;
    expect(signChallengeLegacy(secret, challenge)).toBe(signature);
    expect(signChallenge(secret, challenge)).not.toBe(signature);
  });

  describe('wamp-v1.md 3.7 reference vectors', () => {
    it('V1: unsalted, swapped and empty secret', async () => {
      expect(signChallenge('secret', V1_CHALLENGE)).toBe('80Lvq1tS5czNKHyFsMumzlLwirIptTgC2X60fIqC6kI=');
      expect(signChallengeLegacy('secret', V1_CHALLENGE)).toBe('/QD2+Nt0jk1enN/xpi561Gs2HrxidjSfQY7hosAETG4=');
      expect(await authSign(V1_CHALLENGE, '')).toBe('5P+Jrr6Bru1Z6FB6fwKmEdmGywxi6cnd5zQXfpH+g8s=');
    });

    it.each([
      ['RANDOM SALT', 1000, 32, 'znWa4bxY1glpbQlZziHIlXA2shfF+HoCr9bnmZ5HPQg='],
      ['RANDOM SALT', 1000, 20, 'znWa4bxY1glpbQlZziHIlXA2shc='],
      ['RANDOM SALT', 10000, 32, 'tx5xMrgXtMuatZmkJZ0CuesYLSE6qCxmXDgv6q7rDIo='],
      ['salt123', 10000, 32, 'VT+3GaFfYgfIOH/PsY9oIv9PPYQXU8v1Gc1nCzLQjwE='],
    ])('V2: PBKDF2 salt %s, %i iterations, %i bytes', async (salt, iterations, keylen, derived) => {
      expect(await deriveKey('secret', { salt, iterations, keylen })).toBe(derived);
      expect(await clientDeriveKey('secret', { salt, iterations, keylen })).toBe(derived);
    });

    it('V2: the client applies AutobahnJS defaults (10000 iterations, 32 bytes) and skips an empty salt', async () => {
      expect(await clientDeriveKey('secret', { salt: 'RANDOM SALT' })).toBe('tx5xMrgXtMuatZmkJZ0CuesYLSE6qCxmXDgv6q7rDIo=');
      expect(await clientDeriveKey('secret', { salt: '' })).toBe('secret');
      expect(await clientDeriveKey('secret', null)).toBe('secret');
    });

    it('V3: salted challenge', async () => {
      expect(await signChallengeAsAutobahn(V3_CHALLENGE, 'secret')).toBe('c0aLHWgCn9+kY38Ucvh6j5+vg0M5GVTosyU9K4eQdPc=');
    });

    it('V4: clj-wamp challenge and signature', () => {
      const challenge = signChallenge('secret-1373213425000-1373213421234-1', 'username');
      expect(challenge).toBe('3PLfUVGoePwxqy8ZyYP0Q3vlLskKaPhu3N2BkwAaLEw=');
      expect(signChallengeLegacy('secret', challenge)).toBe('gLRVBJ/A2Q6GOdE0qq+Pma9+/9QjJAM+oKMC2CQRDB8=');
      expect(signChallenge('secret', challenge)).toBe('S5d18r3rxfNIG+oN96EjJl3rvt4Z5GNgXkXJnAT+qB4=');
    });
  });

  describe('signatureMatches', () => {
    it('accepts the same signature and refuses others, of any length', () => {
      const signature = signChallenge('k', 'c');
      expect(signatureMatches(signature, signature)).toBe(true);
      expect(signatureMatches(signature, signChallenge('k', 'd'))).toBe(false);
      expect(signatureMatches(signature, signature.slice(1))).toBe(false);
      expect(signatureMatches(signature, '')).toBe(false);
      expect(signatureMatches(signature, `${signature}x`)).toBe(false);
    });
  });
});
