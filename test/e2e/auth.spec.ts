import { type CanActivate, type ExecutionContext, Injectable, Module, UseGuards } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import {
  CraError,
  CraProcedure,
  WampBroker,
  WampErrorUri,
  WampModule,
  WampPermissionGuard,
  WampPublish,
  WampRpc,
  WampSession,
  WampSubscribe,
  getWampInvocation,
  type WampAuthOptions,
  type WampModuleOptions,
  type WampPermissions,
} from '../../src/index.js';
import { CraAuthenticator } from '../../src/auth/cra-authenticator.js';
import { WampEngine } from '../../src/engine/wamp-engine.js';
import { authSign, deriveKey, WampCallError, type WampTestClient } from '../../src/testing/index.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { until } from '../support/until.js';
import { serverIdle } from '../support/server-idle.js';

const RPC = 'http://example.com/rpc#';
const EV = 'http://example.com/event#';
const SALT = { salt: 'wamp-salt', keylen: 32, iterations: 1000 };

/** Counts every handler run, so a test can show that none ran. */
const runs: string[] = [];

@Injectable()
class Secured {
  @WampRpc(`${RPC}add`)
  add(a: number, b: number) {
    runs.push('add');
    return a + b;
  }

  @WampRpc(`${RPC}admin`)
  admin() {
    runs.push('admin');
    return 'admin';
  }

  @WampRpc(`${RPC}whoami`)
  whoami(@WampSession() session: WampSession) {
    runs.push('whoami');
    return { authKey: session.identity?.authKey ?? null, method: session.identity?.method ?? null };
  }

  @WampSubscribe(`${EV}guarded/*`)
  subscribeGuarded() {
    runs.push('subscribe');
    return true;
  }

  @WampPublish(`${EV}guarded/*`)
  publishGuarded() {
    runs.push('publish');
    return true;
  }
}

/** A user guard composed with the permission guard: it runs after it and may deny more. */
@Injectable()
class NoNegativeNumbers implements CanActivate {
  static runs = 0;
  canActivate(context: ExecutionContext): boolean {
    NoNegativeNumbers.runs++;
    const invocation = getWampInvocation(context);
    return invocation.kind !== 'call' || invocation.args.every((arg) => typeof arg !== 'number' || arg >= 0);
  }
}

@Injectable()
class Checked {
  @WampRpc(`${RPC}sqrt`)
  @UseGuards(NoNegativeNumbers)
  sqrt(value: number) {
    return Math.sqrt(value);
  }
}

const PERMISSIONS: Record<string, WampPermissions> = {
  guest: { all: true },
  salted: { all: true },
  category: { rpc: true, subscribe: true, publish: false },
  peruri: {
    rpc: { [`${RPC}add`]: true, [`${RPC}whoami`]: true, [`${RPC}sqrt`]: true },
    subscribe: { [`${EV}guarded/*`]: true, [`${EV}guarded/secret`]: false, [`${EV}static`]: true },
    publish: { [`${EV}guarded/open`]: true },
  },
};
const ANONYMOUS: WampPermissions = { rpc: { [`${RPC}whoami`]: true, [`${RPC}add`]: true }, subscribe: { [`${EV}static`]: true } };

function authOptions(overrides: Partial<WampAuthOptions> = {}): WampAuthOptions {
  return {
    allowAnonymous: true,
    failureDelayMs: 0,
    secret: (authKey) => {
      if (authKey === 'salted') return { secret: 'salted-password', ...SALT };
      if (authKey === 'thrower') throw new Error('secret store down');
      return authKey in PERMISSIONS ? 'secret-password' : null;
    },
    permissions: (authKey) => (authKey === null ? ANONYMOUS : PERMISSIONS[authKey]),
    ...overrides,
  };
}

function appWith(options: WampModuleOptions) {
  return startApp({
    imports: [WampModule.forRoot({ topics: { [`${EV}static`]: true, [`${EV}open-static`]: true }, ...options })],
    providers: [Secured, Checked, NoNegativeNumbers],
  });
}

describe('WAMP-CRA', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await appWith({ auth: authOptions() });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    runs.length = 0;
  });

  describe('before authentication', () => {
    it('answers every call but authreq/auth with unauthorized, registered or not, and runs no handler', async () => {
      const client = await server.connect();
      for (const uri of [`${RPC}add`, `${RPC}admin`, `${RPC}no-such-procedure`]) {
        await expect(client.call(uri, 1, 2)).rejects.toMatchObject({ uri: WampErrorUri.unauthorized, desc: 'unauthorized' });
      }
      expect(runs).toEqual([]);
    });

    it('drops SUBSCRIBE and PUBLISH, for handler topics and static topics alike', async () => {
      const observer = await server.connect();
      await observer.authenticate('guest', 'secret-password');
      observer.subscribe(`${EV}static`, () => undefined);
      observer.subscribe(`${EV}guarded/open`, () => undefined);
      const client = await server.connect();
      client.subscribe(`${EV}static`, () => undefined);
      client.subscribe(`${EV}guarded/open`, () => undefined);
      client.publish(`${EV}static`, 'from an unauthenticated session');
      client.publish(`${EV}guarded/open`, 'from an unauthenticated session');
      await serverIdle(server.app.get(WampBroker), client);
      await serverIdle(server.app.get(WampBroker), observer);
      const broker = server.app.get(WampBroker);
      expect(broker.subscribers(`${EV}static`)).not.toContain(client.sessionId);
      broker.publish(`${EV}static`, 'sentinel');
      expect(await observer.nextEvent(`${EV}static`)).toBe('sentinel');
      expect(observer.received).toEqual([{ topic: `${EV}static`, event: 'sentinel' }]);
      expect(runs.filter((run) => run !== 'subscribe')).toEqual([]);
      expect(runs).toEqual(['subscribe']); // the observer's own subscription
    });
  });

  describe('the exchange', () => {
    it('anonymous: authreq() answers null, auth() the expanded permissions; the session gets the anonymous map', async () => {
      const client = await server.connect();
      expect(await client.call(CraProcedure.authreq)).toBeNull();
      expect(await client.call(CraProcedure.auth)).toEqual({
        rpc: { [`${RPC}add`]: true, [`${RPC}whoami`]: true },
        subscribe: { [`${EV}static`]: true },
        publish: {},
      });
      expect(await client.call(`${RPC}whoami`)).toEqual({ authKey: null, method: 'anonymous' });
      await expect(client.call(`${RPC}admin`)).rejects.toMatchObject({ uri: WampErrorUri.unauthorized });
    });

    it("anonymous as AutobahnJS's ab.launch sends it: [2,id,authreq,null,null] then [2,id,auth,null]", async () => {
      const client = await server.connect();
      expect(await client.call(CraProcedure.authreq, null, null)).toBeNull();
      expect(await client.call(CraProcedure.auth, null)).toMatchObject({ rpc: { [`${RPC}add`]: true } });
    });

    it('unsalted: the challenge is JSON with the key, a timestamp, the session id and the extra; the signature is accepted', async () => {
      const client = await server.connect();
      const challenge = await client.call<string>(CraProcedure.authreq, 'guest', { client: 'test' });
      const parsed = JSON.parse(challenge);
      expect(parsed).toMatchObject({ authkey: 'guest', sessionid: client.sessionId, extra: { client: 'test' } });
      expect(typeof parsed.authid).toBe('string');
      expect(new Date(parsed.timestamp).getTime()).toBeGreaterThan(Date.now() - 60_000);
      expect(parsed.authextra).toBeUndefined();
      const permissions = await client.call(CraProcedure.auth, await authSign(challenge, 'secret-password'));
      expect(permissions).toMatchObject({ rpc: { [`${RPC}add`]: true, [`${RPC}admin`]: true } });
      expect(await client.call(`${RPC}whoami`)).toEqual({ authKey: 'guest', method: 'wamp-cra' });
      expect(await client.call(`${RPC}add`, 2, 3)).toBe(5);
    });

    it('salted: the challenge carries authextra and the derived key signs', async () => {
      const client = await server.connect();
      const challenge = await client.call<string>(CraProcedure.authreq, 'salted');
      expect(JSON.parse(challenge).authextra).toEqual(SALT);
      const key = await deriveKey('salted-password', SALT);
      expect(key).toBe('ENvpeC7UZPwFiEzZXGw6QCl+fqnM9B7koadZss0i3U0='); // the fixture vector
      await client.call(CraProcedure.auth, await authSign(challenge, key));
      expect(await client.call(`${RPC}whoami`)).toEqual({ authKey: 'salted', method: 'wamp-cra' });
    });

    it('the test client authenticates like ab.launch, salted or not', async () => {
      for (const [key, secret] of [
        ['guest', 'secret-password'],
        ['salted', 'salted-password'],
      ]) {
        const client = await server.connect();
        await client.authenticate(key, secret);
        expect(await client.call(`${RPC}whoami`)).toMatchObject({ authKey: key });
      }
    });

    it('procedure URIs may be CURIs', async () => {
      const client = await server.connect();
      client.prefix('wampauth', 'http://api.wamp.ws/procedure#');
      const challenge = await client.call<string>('wampauth:authreq', 'guest');
      await client.call('wampauth:auth', await authSign(challenge, 'secret-password'));
      expect(await client.call(`${RPC}admin`)).toBe('admin');
    });
  });

  describe('errors', () => {
    const expectError = (promise: Promise<unknown>, [uri, desc]: readonly [string, string]) =>
      expect(promise).rejects.toMatchObject({ uri, desc });

    it('auth before authreq: no-authentication-requested', async () => {
      const client = await server.connect();
      await expectError(client.call(CraProcedure.auth, 'x'), CraError.notRequested);
    });

    it('authreq twice: authentication-already-requested', async () => {
      const client = await server.connect();
      await client.call(CraProcedure.authreq, 'guest');
      await expectError(client.call(CraProcedure.authreq, 'guest'), CraError.alreadyRequested);
    });

    it('authreq or auth once authenticated: already-authenticated', async () => {
      const client = await server.connect();
      await client.authenticate('guest', 'secret-password');
      await expectError(client.call(CraProcedure.authreq, 'guest'), CraError.alreadyAuthenticated);
      await expectError(client.call(CraProcedure.auth, 'x'), CraError.alreadyAuthenticated);
    });

    it('an unknown key: no-such-authkey, and the session may try again', async () => {
      const client = await server.connect();
      await expectError(client.call(CraProcedure.authreq, 'nobody'), CraError.noSuchAuthKey);
      await client.authenticate('guest', 'secret-password');
    });

    it('a secret lookup that throws: internal error, and the session may try again', async () => {
      const client = await server.connect();
      await expect(client.call(CraProcedure.authreq, 'thrower')).rejects.toMatchObject({ uri: WampErrorUri.internal });
      await client.authenticate('guest', 'secret-password');
    });

    it('wrong argument types: invalid-argument', async () => {
      const client = await server.connect();
      await expect(client.call(CraProcedure.authreq, 42)).rejects.toMatchObject({ uri: CraError.invalidArgument[0] });
      await expect(client.call(CraProcedure.authreq, 'guest', ['not', 'an', 'object'])).rejects.toMatchObject({
        uri: CraError.invalidArgument[0],
      });
      await client.call(CraProcedure.authreq, 'guest');
      await expect(client.call(CraProcedure.auth, 12345)).rejects.toMatchObject({ uri: CraError.invalidArgument[0] });
    });

    it('a wrong signature: invalid-signature, then the session must authreq again', async () => {
      const client = await server.connect();
      const challenge = await client.call<string>(CraProcedure.authreq, 'guest');
      await expectError(client.call(CraProcedure.auth, await authSign(challenge, 'wrong-password')), CraError.invalidSignature);
      await expectError(client.call(CraProcedure.auth, await authSign(challenge, 'secret-password')), CraError.notRequested);
      await client.authenticate('guest', 'secret-password');
      expect(await client.call(`${RPC}admin`)).toBe('admin');
    });

    it("clj-wamp's swapped signature is refused by default", async () => {
      const client = await server.connect();
      const challenge = await client.call<string>(CraProcedure.authreq, 'guest');
      const legacy = createHmac('sha256', challenge).update('secret-password').digest('base64');
      await expectError(client.call(CraProcedure.auth, legacy), CraError.invalidSignature);
    });

    it('anonymous, when forbidden: anonymous-auth-forbidden', async () => {
      const strict = await appWith({ auth: authOptions({ allowAnonymous: false }) });
      try {
        const client = await strict.connect();
        await expectError(client.call(CraProcedure.authreq), CraError.anonymousForbidden);
        await client.authenticate('guest', 'secret-password');
      } finally {
        await strict.close();
      }
    });
  });

  describe('permission maps', () => {
    it('all: every procedure and topic', async () => {
      const client = await server.connect();
      await client.authenticate('guest', 'secret-password');
      expect(await client.call(`${RPC}admin`)).toBe('admin');
      client.subscribe(`${EV}guarded/x`, () => undefined);
      client.publish(`${EV}guarded/x`, 'hello');
      expect(await client.nextEvent(`${EV}guarded/x`)).toBe('hello');
    });

    it('by category: rpc and subscribe yes, publish no', async () => {
      const client = await server.connect();
      expect(await client.authenticate('category', 'secret-password')).toMatchObject({ publish: {} });
      expect(await client.call(`${RPC}admin`)).toBe('admin');
      client.subscribe(`${EV}static`, () => undefined);
      client.subscribe(`${EV}guarded/x`, () => undefined);
      client.publish(`${EV}static`, 'dropped');
      client.publish(`${EV}guarded/x`, 'dropped');
      await serverIdle(server.app.get(WampBroker), client);
      const broker = server.app.get(WampBroker);
      expect(broker.subscribers(`${EV}static`)).toContain(client.sessionId);
      expect(broker.subscribers(`${EV}guarded/x`)).toContain(client.sessionId);
      broker.publish(`${EV}static`, 'sentinel');
      expect(await client.nextEvent(`${EV}static`)).toBe('sentinel');
      expect(client.received).toEqual([{ topic: `${EV}static`, event: 'sentinel' }]);
    });

    it('per URI and prefix: only what is listed, the most specific entry winning; unknown procedures stay unauthorized', async () => {
      const client = await server.connect();
      const expanded = await client.authenticate('peruri', 'secret-password');
      expect(expanded).toEqual({
        rpc: { [`${RPC}add`]: true, [`${RPC}whoami`]: true, [`${RPC}sqrt`]: true },
        subscribe: { [`${EV}guarded/*`]: true, [`${EV}static`]: true },
        publish: {},
      });
      expect(await client.call(`${RPC}add`, 1, 1)).toBe(2);
      await expect(client.call(`${RPC}admin`)).rejects.toMatchObject({ uri: WampErrorUri.unauthorized });
      await expect(client.call(`${RPC}missing`)).rejects.toMatchObject({ uri: WampErrorUri.unauthorized });
      client.subscribe(`${EV}guarded/open`, () => undefined);
      client.subscribe(`${EV}guarded/secret`, () => undefined);
      client.publish(`${EV}guarded/open`, 'allowed');
      client.publish(`${EV}guarded/secret`, 'denied');
      expect(await client.nextEvent(`${EV}guarded/open`)).toBe('allowed');
      await serverIdle(server.app.get(WampBroker), client);
      expect(server.app.get(WampBroker).subscribers(`${EV}guarded/secret`)).not.toContain(client.sessionId);
    });

    it('an authenticated session may learn that a procedure does not exist', async () => {
      const client = await server.connect();
      await client.authenticate('guest', 'secret-password');
      await expect(client.call(`${RPC}missing`)).rejects.toMatchObject({ uri: WampErrorUri.notFound });
    });
  });

  describe('guards', () => {
    it('a user guard composes with the permission guard and runs only once the permission guard allowed', async () => {
      const before = NoNegativeNumbers.runs;
      const anonymous = await server.connect();
      await expect(anonymous.call(`${RPC}sqrt`, 4)).rejects.toMatchObject({ uri: WampErrorUri.unauthorized });
      expect(NoNegativeNumbers.runs).toBe(before);
      const client = await server.connect();
      await client.authenticate('peruri', 'secret-password');
      expect(await client.call(`${RPC}sqrt`, 9)).toBe(3);
      await expect(client.call(`${RPC}sqrt`, -1)).rejects.toMatchObject({ uri: WampErrorUri.unauthorized });
      expect(NoNegativeNumbers.runs).toBe(before + 2);
    });

    it('with globalGuard: false, handlers are guarded only where WampPermissionGuard is applied', async () => {
      @Injectable()
      class Mixed {
        @WampRpc(`${RPC}open`)
        open() {
          return 'open';
        }

        @WampRpc(`${RPC}closed`)
        @UseGuards(WampPermissionGuard)
        closed() {
          return 'closed';
        }
      }
      const custom = await startApp({ imports: [WampModule.forRoot({ auth: authOptions({ globalGuard: false }) })], providers: [Mixed] });
      try {
        const client = await custom.connect();
        expect(await client.call(`${RPC}open`)).toBe('open');
        await expect(client.call(`${RPC}closed`)).rejects.toMatchObject({ uri: WampErrorUri.unauthorized });
        await expect(client.call(`${RPC}missing`)).rejects.toMatchObject({ uri: WampErrorUri.unauthorized });
      } finally {
        await custom.close();
      }
    });
  });
});

describe('WAMP-CRA limits', () => {
  /**
   * A guesser that never waits for a failure's answer: each challenge is signed (wrongly for the
   * first `wrongGuesses`, then with the right secret) and the next authreq goes out at once,
   * again and again when refused, until the session closes.
   */
  async function guessWithoutWaiting(client: WampTestClient, wrongGuesses: number) {
    const answers: string[] = [];
    const authreqRefusals = new Map<string, number>();
    const guesses: Promise<void>[] = [];
    for (let round = 0; round < 20_000 && client.isOpen; round++) {
      let challenge: string;
      try {
        challenge = await client.call<string>(CraProcedure.authreq, 'guest');
      } catch (error) {
        const uri = error instanceof WampCallError ? error.uri : 'closed';
        authreqRefusals.set(uri, (authreqRefusals.get(uri) ?? 0) + 1);
        continue;
      }
      const secret = guesses.length < wrongGuesses ? 'wrong-password' : 'secret-password';
      guesses.push(
        client.call(CraProcedure.auth, await authSign(challenge, secret)).then(
          () => void answers.push('authenticated'),
          (error: unknown) => void answers.push(error instanceof WampCallError ? error.uri : 'closed'),
        ),
      );
    }
    await Promise.all(guesses);
    return { answers, authreqRefusals, closed: await client.closed };
  }

  it('closes a session not authenticated in time (1008), and leaves an authenticated one open', async () => {
    const server = await appWith({ auth: authOptions({ timeoutMs: 150 }) });
    try {
      const authenticated = await server.connect();
      await authenticated.authenticate('guest', 'secret-password');
      const lingering = await server.connect();
      expect(await lingering.closed).toEqual({ code: 1008, reason: 'authentication timeout' });
      // The lingering session was opened after the authenticated one, so the latter's timeout has passed too.
      expect(authenticated.isOpen).toBe(true);
      expect(await authenticated.call(`${RPC}add`, 1, 2)).toBe(3);
    } finally {
      await server.close();
    }
  });

  it('checks at most maxAttempts signatures of a guesser that never waits, and no right one after them (1008)', async () => {
    let challenges = 0;
    const server = await appWith({
      auth: authOptions({
        maxAttempts: 3,
        failureDelayMs: 100,
        secret: () => {
          challenges++;
          return 'secret-password';
        },
      }),
    });
    try {
      const { answers, authreqRefusals, closed } = await guessWithoutWaiting(await server.connect(), 3);
      const checked = answers.filter((answer) => answer === CraError.invalidSignature[0] || answer === 'authenticated');
      expect(answers).not.toContain('authenticated');
      expect(checked).toHaveLength(3);
      expect(challenges).toBe(3);
      // Every authreq between a failure and its answer was refused, and after the last one, every one.
      expect(
        [...authreqRefusals.keys()].every((uri) => [CraError.coolingDown[0], CraError.tooManyAttempts[0], 'closed'].includes(uri)),
      ).toBe(true);
      expect(closed).toEqual({ code: 1008, reason: 'too many failed authentication attempts' });
    } finally {
      await server.close();
    }
  });

  it('refuses an authreq sent before a failure is answered (authentication-cooling-down), then serves one', async () => {
    const server = await appWith({ auth: authOptions({ failureDelayMs: 400 }) });
    try {
      const client = await server.connect();
      const challenge = await client.call<string>(CraProcedure.authreq, 'guest');
      const failure = client.call(CraProcedure.auth, await authSign(challenge, 'wrong-password'));
      const early = client.call(CraProcedure.authreq, 'guest');
      await expect(early).rejects.toMatchObject({ uri: CraError.coolingDown[0], desc: CraError.coolingDown[1] });
      await expect(failure).rejects.toMatchObject({ uri: CraError.invalidSignature[0] });
      await client.authenticate('guest', 'secret-password');
      expect(await client.call(`${RPC}whoami`)).toEqual({ authKey: 'guest', method: 'wamp-cra' });
    } finally {
      await server.close();
    }
  });

  it('verifies nothing once maxAttempts signatures failed, not even a right one: too-many-authentication-attempts', async () => {
    const server = await appWith({ auth: authOptions({ maxAttempts: 1, failureDelayMs: 400 }) });
    try {
      const client = await server.connect();
      const challenge = await client.call<string>(CraProcedure.authreq, 'guest');
      const failure = client.call(CraProcedure.auth, await authSign(challenge, 'wrong-password'));
      const right = client.call(CraProcedure.auth, await authSign(challenge, 'secret-password'));
      const again = client.call(CraProcedure.authreq, 'guest');
      await expect(right).rejects.toMatchObject({ uri: CraError.tooManyAttempts[0], desc: CraError.tooManyAttempts[1] });
      await expect(again).rejects.toMatchObject({ uri: CraError.tooManyAttempts[0] });
      await expect(failure).rejects.toMatchObject({ uri: CraError.invalidSignature[0] });
      expect(await client.closed).toEqual({ code: 1008, reason: 'too many failed authentication attempts' });
    } finally {
      await server.close();
    }
  });

  it('closes the session after maxAttempts failed signatures (1008)', async () => {
    const server = await appWith({ auth: authOptions({ maxAttempts: 3 }) });
    try {
      const client = await server.connect();
      for (let attempt = 1; attempt <= 3; attempt++) {
        await client.call(CraProcedure.authreq, 'guest');
        await expect(client.call(CraProcedure.auth, 'bad')).rejects.toMatchObject({ uri: CraError.invalidSignature[0] });
      }
      expect(await client.closed).toEqual({ code: 1008, reason: 'too many failed authentication attempts' });
    } finally {
      await server.close();
    }
  });

  it('answers an invalid signature only after a random delay when failureDelayMs is set', async () => {
    const server = await appWith({ auth: authOptions({ failureDelayMs: 200 }) });
    try {
      const client = await server.connect();
      await client.call(CraProcedure.authreq, 'guest');
      const started = process.hrtime.bigint();
      await expect(client.call(CraProcedure.auth, 'bad')).rejects.toBeInstanceOf(WampCallError);
      // Only that the answer came back, at most the bound plus slack: the delay itself is random, from half the bound.
      expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(2000);
    } finally {
      await server.close();
    }
  });

  it("accepts clj-wamp's swapped signature with legacySignature", async () => {
    const server = await appWith({ auth: authOptions({ legacySignature: true }) });
    try {
      const client = await server.connect();
      const challenge = await client.call<string>(CraProcedure.authreq, 'guest');
      await client.call(CraProcedure.auth, createHmac('sha256', challenge).update('secret-password').digest('base64'));
      expect(await client.call(`${RPC}whoami`)).toEqual({ authKey: 'guest', method: 'wamp-cra' });
      const modern = await server.connect();
      await modern.authenticate('guest', 'secret-password');
    } finally {
      await server.close();
    }
  });

  it('forgets every exchange, failure count and timer when sessions close', async () => {
    const server = await appWith({ auth: authOptions({ timeoutMs: 60_000 }) });
    try {
      const authenticator = server.app.get(WampEngine).authenticator as CraAuthenticator;
      const requesting = await server.connect();
      await requesting.call(CraProcedure.authreq, 'guest');
      const failed = await server.connect();
      await failed.call(CraProcedure.authreq, 'guest');
      await expect(failed.call(CraProcedure.auth, 'bad')).rejects.toBeInstanceOf(WampCallError);
      const idle = await server.connect();
      expect(authenticator.pendingState).toEqual({ exchanges: 1, failures: 1, timers: 3 });
      await Promise.all([requesting.close(), failed.close(), idle.close()]);
      await until(() => server.app.get(WampBroker).sessions().length === 0);
      expect(authenticator.pendingState).toEqual({ exchanges: 0, failures: 0, timers: 0 });
    } finally {
      await server.close();
    }
  });
});

describe('the handshake hook', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await appWith({
      auth: authOptions({
        allowAnonymous: false,
        handshake: (request: IncomingMessage) => {
          const token = new URL(request.url ?? '/', 'http://localhost').searchParams.get('token');
          if (token === 'refuse') return false;
          if (token === 'crash') throw new Error('token service down');
          if (token === 'alice-token') return { authKey: 'alice', permissions: { all: true } };
          return undefined;
        },
      }),
    });
  });
  afterAll(() => server.close());

  const status = (url: string) =>
    new Promise<number>((resolve, reject) => {
      const socket = new WebSocket(url, ['wamp']);
      socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      socket.once('open', () => reject(new Error('the handshake was accepted')));
      socket.once('error', () => undefined);
    });

  it('opens the session already authenticated, with the identity it returned', async () => {
    const { WampTestClient } = await import('../../src/testing/index.js');
    const client = await WampTestClient.connect(`${server.url}?token=alice-token`);
    try {
      expect(await client.call(`${RPC}whoami`)).toEqual({ authKey: 'alice', method: 'handshake' });
      await expect(client.call(CraProcedure.authreq, 'guest')).rejects.toMatchObject({ uri: CraError.alreadyAuthenticated[0] });
    } finally {
      await client.close();
    }
  });

  it('refuses the upgrade with 401 when it says false, 500 when it throws', async () => {
    expect(await status(`${server.url}?token=refuse`)).toBe(401);
    expect(await status(`${server.url}?token=crash`)).toBe(500);
  });

  it('lets other connections authenticate with WAMP-CRA', async () => {
    const client = await server.connect();
    await expect(client.call(`${RPC}add`, 1, 1)).rejects.toMatchObject({ uri: WampErrorUri.unauthorized });
    await client.authenticate('guest', 'secret-password');
    expect(await client.call(`${RPC}add`, 1, 1)).toBe(2);
  });
});

describe('the permission maps auth.permissions returns', () => {
  const SHARED: WampPermissions = { rpc: { [`${RPC}add`]: true } };
  const RETURNED: Record<string, unknown> = {
    'bad-category': { rpc: 'yes' },
    'bad-uri-grant': { rpc: { [`${RPC}add`]: 'yes' } },
    'unknown-key': { everything: true },
  };
  let server: TestServer;
  beforeAll(async () => {
    server = await appWith({
      auth: authOptions({
        secret: () => 'secret-password',
        // A fresh map per session for the boolean case, one shared map for the URI case, and invalid maps.
        permissions: (authKey) =>
          authKey === 'shared' ? SHARED : authKey === 'fresh' ? { rpc: true } : (RETURNED[authKey!] as WampPermissions),
      }),
    });
  });
  afterAll(() => server.close());

  it.each(Object.keys(RETURNED))('refuses an invalid map (%s) with auth-permissions-error, every time', async (authKey) => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const client = await server.connect();
      await expect(client.authenticate(authKey, 'secret-password')).rejects.toMatchObject({ uri: CraError.permissionsFailed[0] });
      await expect(client.call(`${RPC}add`, 1, 1)).rejects.toMatchObject({ uri: WampErrorUri.unauthorized });
      await client.close();
    }
  });

  it('grants a fresh map of booleans and a shared map of URIs to every session that gets one', async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      for (const authKey of ['fresh', 'shared']) {
        const client = await server.connect();
        await client.authenticate(authKey, 'secret-password');
        expect(await client.call(`${RPC}add`, 1, attempt)).toBe(1 + attempt);
        if (authKey === 'fresh') expect(await client.call(`${RPC}admin`)).toBe('admin');
        else await expect(client.call(`${RPC}admin`)).rejects.toMatchObject({ uri: WampErrorUri.unauthorized });
        await client.close();
      }
    }
  });
});

describe('auth from forRootAsync', () => {
  const USERS = 'USERS';
  @Module({ providers: [{ provide: USERS, useValue: new Map([['carol', 'carol-secret']]) }], exports: [USERS] })
  class UsersModule {}

  it('reaches injected services from the secret and permissions callbacks', async () => {
    const server = await startApp({
      imports: [
        WampModule.forRootAsync({
          imports: [UsersModule],
          inject: [USERS],
          useFactory: (users: Map<string, string>) => ({
            auth: {
              secret: async (authKey: string) => users.get(authKey),
              permissions: async (authKey: string | null) => ({ rpc: authKey !== null }),
            },
          }),
        }),
      ],
      providers: [Secured],
    });
    try {
      const client = await server.connect();
      await expect(client.call(`${RPC}add`, 1, 1)).rejects.toMatchObject({ uri: WampErrorUri.unauthorized });
      await client.authenticate('carol', 'carol-secret');
      expect(await client.call(`${RPC}add`, 1, 1)).toBe(2);
    } finally {
      await server.close();
    }
  });
});
