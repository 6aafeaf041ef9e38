import autobahn from 'autobahn';
import { resolveAuthOptions } from '../../src/auth/resolve-auth-options.js';
import { DEFAULT_OPENING_TIMEOUT_MS, Wamp2Authenticator } from '../../src/auth/wamp2-authenticator.js';
import { ThrottledLog } from '../../src/core/throttled-log.js';
import type { WampAuthOptions, WampIdentity } from '../../src/index.js';
import type { HelloDetails } from '../../src/protocol/v2/messages.js';
import type { Wamp2AuthStep } from '../../src/router/v2/wamp2-authentication.js';
import type { ServerSession } from '../../src/session/server-session.js';

const ROLES = { caller: {} };
const RIGHTS = { rpc: true };

/** What the authenticator reads of a session. */
function fakeSession(identity?: WampIdentity): ServerSession {
  return { id: 'AbCdEfGhIjKlMnOpQrStUv', v2Id: 4242, identity, isOpen: true } as unknown as ServerSession;
}

function authenticator(auth: Partial<WampAuthOptions> | undefined): { authenticator: Wamp2Authenticator; errors: string[] } {
  const errors: string[] = [];
  const log = new ThrottledLog({ log() {}, warn() {}, debug() {}, error: (message: string) => errors.push(message) });
  const options = auth && resolveAuthOptions({ permissions: () => RIGHTS, failureDelayMs: 0, ...auth });
  return { authenticator: new Wamp2Authenticator(options, log), errors };
}

function hello(details: Partial<HelloDetails> = {}): HelloDetails {
  return { roles: ROLES, ...details };
}

describe('Wamp2Authenticator', () => {
  it('without the auth option: WELCOME at once, anonymous, no identity (everything allowed, as in v1), the default deadline', () => {
    const { authenticator: auth } = authenticator(undefined);
    expect(auth.timeoutMs).toBe(DEFAULT_OPENING_TIMEOUT_MS);
    expect(auth.hello(fakeSession(), hello({ authmethods: ['wampcra'], authid: 'guest' }))).toEqual({
      step: 'welcome',
      identity: undefined,
      authid: 'anonymous-AbCdEf',
      authrole: 'anonymous',
      authmethod: 'anonymous',
      authprovider: 'nest-wamp',
    });
  });

  it('answers anonymous synchronously when auth.permissions does', () => {
    const { authenticator: auth } = authenticator({ allowAnonymous: true, timeoutMs: 5000 });
    expect(auth.timeoutMs).toBe(5000);
    const step = auth.hello(fakeSession(), hello());
    expect(step).toMatchObject({ step: 'welcome', identity: { authKey: null, method: 'anonymous', permissions: RIGHTS } });
  });

  it('welcomes a session the handshake hook identified, with that identity', () => {
    const { authenticator: auth } = authenticator({ allowAnonymous: false });
    const identity: WampIdentity = { authKey: 'alice', method: 'handshake', permissions: RIGHTS };
    expect(auth.hello(fakeSession(identity), hello())).toEqual({
      step: 'welcome',
      identity,
      authid: 'alice',
      authrole: 'user',
      authmethod: 'handshake',
      authprovider: 'nest-wamp',
    });
  });

  it('refuses what it cannot serve, saying what it accepts', () => {
    const { authenticator: auth } = authenticator({ secret: () => 'x' });
    expect(auth.hello(fakeSession(), hello())).toEqual({
      step: 'abort',
      reason: 'wamp.error.not_authorized',
      message: 'none of the authmethods offered is accepted here (accepted: wampcra with an authid)',
    });
    const none = authenticator({}).authenticator;
    expect(none.hello(fakeSession(), hello({ authmethods: ['ticket'], authid: 'a' }))).toMatchObject({
      message: 'none of the authmethods offered is accepted here (accepted: none)',
    });
  });

  it('verifies a wampcra signature as Autobahn|JS computes it, and only once', async () => {
    const { authenticator: auth } = authenticator({ secret: () => 'secret-password' });
    const session = fakeSession();
    const challenge = (await auth.hello(session, hello({ authmethods: ['wampcra'], authid: 'guest' }))) as Extract<
      Wamp2AuthStep,
      { step: 'challenge' }
    >;
    expect(challenge).toMatchObject({ step: 'challenge', authmethod: 'wampcra' });
    const signature = autobahn.auth_cra.sign('secret-password', challenge.extra.challenge as string);
    expect(await auth.authenticate(session, signature, {})).toMatchObject({ step: 'welcome', authid: 'guest', authmethod: 'wampcra' });
    expect(auth.pendingExchanges).toBe(0);
    expect(await auth.authenticate(session, signature, {})).toMatchObject({ step: 'abort', reason: 'wamp.error.protocol_violation' });
  });

  it('derives a salted key as Autobahn|JS does, for keylen and iterations other than its defaults', async () => {
    const { authenticator: auth } = authenticator({ secret: () => ({ secret: 'pw', salt: 'NaCl', keylen: 16, iterations: 50 }) });
    const session = fakeSession();
    const challenge = (await auth.hello(session, hello({ authmethods: ['wampcra'], authid: 'salted' }))) as Extract<
      Wamp2AuthStep,
      { step: 'challenge' }
    >;
    const { extra } = challenge;
    expect(extra).toMatchObject({ salt: 'NaCl', keylen: 16, iterations: 50 });
    const key = autobahn.auth_cra.derive_key('pw', extra.salt as string, extra.iterations as number, extra.keylen as number);
    expect(await auth.authenticate(session, autobahn.auth_cra.sign(key, extra.challenge as string), {})).toMatchObject({ step: 'welcome' });
  });

  it('answers a failing auth.secret, an invalid secret, a failing auth.ticket or auth.permissions with authentication_failed, logged', async () => {
    const failed = { step: 'abort', reason: 'wamp.error.authentication_failed', message: 'authentication could not be completed' };
    const throwing = authenticator({
      secret: () => {
        throw new Error('db down');
      },
    });
    expect(await throwing.authenticator.hello(fakeSession(), hello({ authmethods: ['wampcra'], authid: 'x' }))).toEqual(failed);
    expect(throwing.errors).toEqual([expect.stringContaining('auth.secret failed for "x" (WAMP v2): db down')]);
    expect(throwing.authenticator.pendingExchanges).toBe(0);

    const invalid = authenticator({ secret: () => ({ secret: 'pw' }) as never });
    expect(await invalid.authenticator.hello(fakeSession(), hello({ authmethods: ['wampcra'], authid: 'x' }))).toEqual(failed);
    expect(invalid.errors[0]).toContain('auth.secret must return a string or { secret, salt');

    const ticket = authenticator({ ticket: () => Promise.reject(new Error('no tickets today')) });
    const session = fakeSession();
    expect(await ticket.authenticator.hello(session, hello({ authmethods: ['ticket'], authid: 't' }))).toEqual({
      step: 'challenge',
      authmethod: 'ticket',
      extra: {},
    });
    expect(await ticket.authenticator.authenticate(session, 'T', {})).toEqual(failed);
    expect(ticket.errors[0]).toContain('auth.ticket failed for "t": no tickets today');

    const permissions = authenticator({ allowAnonymous: true, permissions: () => ({ rpc: 'yes' }) as never });
    expect(await permissions.authenticator.hello(fakeSession(), hello())).toEqual(failed);
    expect(permissions.errors[0]).toContain('auth.permissions failed for anonymous (WAMP v2): auth.permissions returned an invalid map');
  });

  it('keeps nothing for a session that closed while its secret was looked up', async () => {
    let release!: (secret: string) => void;
    const { authenticator: auth } = authenticator({ secret: () => new Promise<string>((resolve) => (release = resolve)) });
    const session = fakeSession();
    const answer = auth.hello(session, hello({ authmethods: ['wampcra'], authid: 'guest' }));
    expect(auth.pendingExchanges).toBe(1);
    auth.closed(session);
    release('secret-password');
    expect(await answer).toMatchObject({ step: 'abort' });
    expect(auth.pendingExchanges).toBe(0);
  });
});
