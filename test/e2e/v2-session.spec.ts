import { Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import {
  WampModule,
  WampRpc,
  WampSession,
  type WampAuthOptions,
  type WampModuleOptions,
  type WampSecret,
  type WampTraceEntry,
} from '../../src/index.js';
import { WampEngine } from '../../src/engine/wamp-engine.js';
import { WampTestClient } from '../../src/testing/index.js';
import { openV2Session, V2SessionOpenError, type V2SessionHandle } from '../support/autobahn-v2.js';
import { v2Opening } from '../support/engine-state.js';
import { RawWamp2Socket } from '../support/raw-wamp2-socket.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { until } from '../support/until.js';
import { ABORT, AUTHENTICATE, CHALLENGE, CLIENT_ROLES, GOODBYE, HELLO, WELCOME } from '../support/wamp2-codes.js';

const RPC = 'http://example.com/rpc#';
const REALM = 'realm1';
const SALTED = { secret: 'salted-password', salt: 'wamp-salt', keylen: 32, iterations: 1000 };
/** Secrets by authid: unsalted, salted as the sample's, and salted with v1's defaults (keylen 32, 10000 iterations; Autobahn's own default is 1000). */
const SECRETS: Record<string, WampSecret> = {
  guest: 'secret-password',
  salted: SALTED,
  defaulted: { secret: 'defaulted-password', salt: 'other-salt' },
};

@Injectable()
class Api {
  @WampRpc(`${RPC}whoami`, { v2: 'app.rpc.whoami' })
  whoami(@WampSession() session: WampSession) {
    return { authKey: session.identity?.authKey ?? null, method: session.identity?.method ?? null, v2Id: session.v2Id };
  }

  @WampRpc(`${RPC}admin`, { v2: 'app.rpc.admin' })
  admin() {
    return 'admin';
  }
}

const ANONYMOUS_RIGHTS = { rpc: { [`${RPC}whoami`]: true } };
const USER_RIGHTS = { rpc: true, subscribe: true, publish: true };

const AUTH: WampAuthOptions = {
  secret: (authKey) => SECRETS[authKey] ?? null,
  ticket: async (authKey, ticket) => authKey === 'ticketed' && ticket === 'ticket-123',
  permissions: (authKey) => (authKey === null ? ANONYMOUS_RIGHTS : USER_RIGHTS),
  allowAnonymous: true,
  failureDelayMs: 20,
};

async function startV2App(options: WampModuleOptions): Promise<TestServer> {
  return startApp({ imports: [WampModule.forRoot({ path: '/ws', v2: { realm: REALM }, ...options })], providers: [Api] });
}

/** The server's view of a v2 session, by its v2 id. */
function serverSession(server: TestServer, v2Id: number) {
  return server.broker.sessions().find((session) => session.v2Id === v2Id);
}

async function openRaw(server: TestServer): Promise<RawWamp2Socket> {
  const socket = await RawWamp2Socket.connect(server.url);
  sockets.push(socket);
  return socket;
}

async function welcomed(server: TestServer, details: Record<string, unknown> = {}): Promise<{ socket: RawWamp2Socket; session: number }> {
  const socket = await openRaw(server);
  socket.send([HELLO, REALM, { roles: CLIENT_ROLES, ...details }]);
  const welcome = await socket.next();
  expect(welcome[0]).toBe(WELCOME);
  return { socket, session: welcome[1] as number };
}

const sockets: RawWamp2Socket[] = [];
const sessions: V2SessionHandle[] = [];

async function open(server: TestServer, options: Parameters<typeof openV2Session>[1]): Promise<V2SessionHandle> {
  const handle = await openV2Session(server.url, options);
  sessions.push(handle);
  return handle;
}

async function refusal(server: TestServer, options: Parameters<typeof openV2Session>[1]): Promise<V2SessionOpenError> {
  const error = await openV2Session(server.url, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(V2SessionOpenError);
  return error as V2SessionOpenError;
}

/** Closes every client the test opened. */
async function closeClients(): Promise<void> {
  await Promise.all(sessions.splice(0).map((handle) => handle.close()));
  await Promise.all(sockets.splice(0).map((socket) => socket.close()));
}

describe('WAMP v2 session opening with the auth option', () => {
  let server: TestServer;
  const trace: WampTraceEntry[] = [];

  beforeAll(async () => {
    server = await startV2App({ auth: AUTH, trace: { sink: (entry) => trace.push(entry) } });
  });
  afterEach(closeClients);
  afterAll(() => server.close());

  afterEach(async () => {
    await closeClients();
    await until(() => server.broker.sessions().length === 0, 'every session to be gone');
    expect(v2Opening(server)!.pendingState).toEqual({ deadlines: 0, goodbyes: 0, exchanges: 0 });
    expect(server.app.get(WampEngine).authenticator!.pendingState).toEqual({ exchanges: 0, failures: 0, timers: 0 });
  });

  it('welcomes a client without authmethods as anonymous, with the anonymous permissions', async () => {
    const { session, welcome } = await open(server, { realm: REALM });
    expect(welcome).toMatchObject({ realm: REALM, authmethod: 'anonymous', authrole: 'anonymous', authprovider: 'nest-wamp' });
    expect(welcome.authid).toMatch(/^anonymous-.{6}$/);
    expect(Object.keys(welcome.roles as object).sort()).toEqual(['broker', 'dealer']);
    const own = serverSession(server, session.id!)!;
    expect(own.protocolVersion).toBe(2);
    expect(own.identity).toEqual({ authKey: null, method: 'anonymous', permissions: ANONYMOUS_RIGHTS });
    expect(welcome.authid).toBe(`anonymous-${own.id.slice(0, 6)}`);
    expect(server.broker.authorized(own.id, 'call', `${RPC}whoami`)).toBe(true);
    expect(server.broker.authorized(own.id, 'call', `${RPC}admin`)).toBe(false);
    // The v1 authenticator's timer is not set for a v2 session, which authenticated before WELCOME.
    expect(server.app.get(WampEngine).authenticator!.pendingState.timers).toBe(0);
  });

  it('welcomes `anonymous` in authmethods too', async () => {
    const { welcome } = await open(server, { realm: REALM, authmethods: ['anonymous'] });
    expect(welcome).toMatchObject({ authmethod: 'anonymous', authrole: 'anonymous' });
  });

  it('authenticates wampcra with an unsalted secret, as v1 would (identity, permissions)', async () => {
    const { session, welcome } = await open(server, { realm: REALM, authid: 'guest', secret: 'secret-password' });
    expect(welcome).toMatchObject({ realm: REALM, authid: 'guest', authmethod: 'wampcra', authrole: 'user', authprovider: 'nest-wamp' });
    const own = serverSession(server, session.id!)!;
    expect(own.identity).toEqual({ authKey: 'guest', method: 'wamp-cra', permissions: USER_RIGHTS });
    expect(server.broker.authState(own.id)).toBe('authenticated');
    expect(server.broker.authorized(own.id, 'call', `${RPC}admin`)).toBe(true);
  });

  it('sends the challenge the spec and Autobahn expect, and a salted secret’s PBKDF2 parameters', async () => {
    const extras: Record<string, unknown>[] = [];
    const { session, welcome } = await open(server, {
      realm: REALM,
      authmethods: ['wampcra'],
      authid: 'salted',
      onchallenge: async (_session, method, extra) => {
        extras.push(extra);
        const { default: autobahn } = await import('autobahn');
        const key = autobahn.auth_cra.derive_key(
          'salted-password',
          extra.salt as string,
          extra.iterations as number,
          extra.keylen as number,
        );
        expect(method).toBe('wampcra');
        return autobahn.auth_cra.sign(key, extra.challenge as string);
      },
    });
    expect(welcome).toMatchObject({ authid: 'salted', authmethod: 'wampcra' });
    const [extra] = extras;
    expect(extra).toMatchObject({ salt: 'wamp-salt', keylen: 32, iterations: 1000 });
    const challenge = JSON.parse(extra.challenge as string);
    expect(challenge).toEqual({
      authid: 'salted',
      authrole: 'user',
      authmethod: 'wampcra',
      authprovider: 'nest-wamp',
      nonce: expect.any(String),
      timestamp: expect.any(String),
      session: session.id,
    });
    expect(new Date(challenge.timestamp).toISOString()).toBe(challenge.timestamp);
    expect(serverSession(server, session.id!)!.identity?.method).toBe('wamp-cra');
  });

  it('authenticates a salted secret with the plain helper (openV2Session derives the key)', async () => {
    const { welcome } = await open(server, { realm: REALM, authid: 'salted', secret: 'salted-password' });
    expect(welcome).toMatchObject({ authid: 'salted', authmethod: 'wampcra' });
  });

  it('sends the PBKDF2 parameters v1 defaults to when the secret leaves them out (Autobahn would assume others)', async () => {
    const extras: Record<string, unknown>[] = [];
    const { welcome } = await open(server, {
      realm: REALM,
      authmethods: ['wampcra'],
      authid: 'defaulted',
      onchallenge: async (_session, _method, extra) => {
        extras.push(extra);
        const { default: autobahn } = await import('autobahn');
        const key = autobahn.auth_cra.derive_key(
          'defaulted-password',
          extra.salt as string,
          extra.iterations as number,
          extra.keylen as number,
        );
        return autobahn.auth_cra.sign(key, extra.challenge as string);
      },
    });
    expect(welcome.authid).toBe('defaulted');
    expect(extras[0]).toMatchObject({ salt: 'other-salt', keylen: 32, iterations: 10000 });
  });

  it('applies the identity’s permissions to calls: a denied call is refused, a permitted one runs as the session', async () => {
    const anonymous = await open(server, { realm: REALM });
    expect(await anonymous.session.call('app.rpc.whoami')).toEqual({ authKey: null, method: 'anonymous', v2Id: anonymous.session.id });
    await expect(anonymous.session.call('app.rpc.admin')).rejects.toMatchObject({ error: 'wamp.error.not_authorized' });
    const guest = await open(server, { realm: REALM, authid: 'guest', secret: 'secret-password' });
    expect(await guest.session.call('app.rpc.whoami')).toEqual({ authKey: 'guest', method: 'wamp-cra', v2Id: guest.session.id });
    expect(await guest.session.call('app.rpc.admin')).toBe('admin');
  });

  it('refuses a wrong secret with ABORT wamp.error.not_authorized, after the failure delay', async () => {
    const started = Date.now();
    const error = await refusal(server, { realm: REALM, authid: 'guest', secret: 'wrong' });
    expect(error.reason).toBe('wamp.error.not_authorized');
    expect(Date.now() - started).toBeGreaterThanOrEqual(10); // half of failureDelayMs at least
  });

  it('refuses an unknown authid with ABORT wamp.error.not_authorized', async () => {
    const error = await refusal(server, { realm: REALM, authid: 'nobody', secret: 'whatever' });
    expect(error.reason).toBe('wamp.error.not_authorized');
    expect(error.details.message).toBe('authentication failed');
  });

  it('refuses an unknown realm with ABORT wamp.error.no_such_realm', async () => {
    const error = await refusal(server, { realm: 'elsewhere' });
    expect(error.reason).toBe('wamp.error.no_such_realm');
  });

  it('refuses when none of the offered authmethods can be served (wampcra without authid, an unknown method)', async () => {
    for (const authmethods of [['wampcra'], ['cryptosign'], []]) {
      const socket = await openRaw(server);
      socket.send([HELLO, REALM, { roles: CLIENT_ROLES, authmethods }]);
      const abort = await socket.next();
      expect(abort).toEqual([ABORT, { message: expect.stringContaining('none of the authmethods') }, 'wamp.error.not_authorized']);
      expect((await socket.closed()).code).toBe(1000);
    }
  });

  it('authenticates a ticket (auth.ticket), and refuses a wrong one', async () => {
    const { session, welcome } = await open(server, {
      realm: REALM,
      authmethods: ['ticket'],
      authid: 'ticketed',
      onchallenge: (_session, method) => {
        expect(method).toBe('ticket');
        return 'ticket-123';
      },
    });
    expect(welcome).toMatchObject({ authid: 'ticketed', authmethod: 'ticket', authrole: 'user' });
    expect(serverSession(server, session.id!)!.identity).toEqual({ authKey: 'ticketed', method: 'ticket', permissions: USER_RIGHTS });

    const error = await refusal(server, { realm: REALM, authmethods: ['ticket'], authid: 'ticketed', onchallenge: () => 'wrong' });
    expect(error.reason).toBe('wamp.error.not_authorized');
  });

  it('takes the first of the client’s authmethods it can serve', async () => {
    const { welcome } = await open(server, {
      realm: REALM,
      authmethods: ['cryptosign', 'wampcra', 'anonymous'],
      authid: 'guest',
      secret: 'secret-password',
    });
    expect(welcome.authmethod).toBe('wampcra');
    const anonymous = await open(server, {
      realm: REALM,
      authmethods: ['anonymous', 'wampcra'],
      authid: 'guest',
      secret: 'secret-password',
    });
    expect(anonymous.welcome.authmethod).toBe('anonymous');
  });

  it('masks AUTHENTICATE’s signature in the frame trace', async () => {
    trace.length = 0;
    await open(server, { realm: REALM, authid: 'guest', secret: 'secret-password' });
    const authenticate = trace.find((entry) => entry.direction === 'in' && entry.text.startsWith(`[${AUTHENTICATE},`));
    expect(authenticate?.text).toBe(`[${AUTHENTICATE},"***",{}]`);
  });

  it('answers GOODBYE with GOODBYE wamp.close.goodbye_and_out and closes (1000)', async () => {
    const { socket } = await welcomed(server);
    socket.send([GOODBYE, {}, 'wamp.close.close_realm']);
    expect(await socket.next()).toEqual([GOODBYE, {}, 'wamp.close.goodbye_and_out']);
    expect(await socket.closed()).toEqual({ code: 1000, reason: '' });
  });

  it('says GOODBYE (wamp.close.killed) when the application closes a session, and closes once the client answers', async () => {
    const { socket, session } = await welcomed(server);
    const own = serverSession(server, session)!;
    own.close(4000, 'go away');
    expect(await socket.next()).toEqual([GOODBYE, { message: 'go away' }, 'wamp.close.killed']);
    expect(own.isOpen).toBe(true); // waiting for the client's GOODBYE
    socket.send([GOODBYE, {}, 'wamp.close.goodbye_and_out']);
    expect(await socket.closed()).toEqual({ code: 4000, reason: 'go away' });
  });

  it('closes a session that does not answer the router’s GOODBYE after shutdownGraceMs, ignoring what else it sends', async () => {
    const { socket, session } = await welcomed(server);
    const started = Date.now();
    expect(server.broker.close(serverSession(server, session)!.id, 4001, 'bye')).toBe(true);
    expect(await socket.next()).toEqual([GOODBYE, { message: 'bye' }, 'wamp.close.killed']);
    socket.send([48, 1, {}, 'app.rpc.whoami']); // a CALL now is dropped, not answered
    expect(await socket.closed(3000)).toEqual({ code: 4001, reason: 'bye' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900); // shutdownGraceMs, 1000 by default
    expect(socket.pending()).toEqual([]);
  });

  it('closes the connection on a client’s ABORT', async () => {
    const { socket } = await welcomed(server);
    socket.send([ABORT, {}, 'wamp.close.system_shutdown']);
    expect(await socket.closed()).toEqual({ code: 1000, reason: '' });
  });

  it('forgets an exchange cut short: the connection closes after CHALLENGE, or while the secret is being checked', async () => {
    const socket = await openRaw(server);
    socket.send([HELLO, REALM, { roles: CLIENT_ROLES, authmethods: ['wampcra'], authid: 'guest' }]);
    expect((await socket.next())[0]).toBe(CHALLENGE);
    expect(v2Opening(server)!.pendingState.exchanges).toBe(1);
    await socket.close();

    const second = await openRaw(server);
    second.send([HELLO, REALM, { roles: CLIENT_ROLES, authmethods: ['wampcra'], authid: 'guest' }]);
    expect((await second.next())[0]).toBe(CHALLENGE);
    second.send([AUTHENTICATE, 'wrong', {}]);
    await second.close(); // during the failure delay
  });

  it('drops what a client sends while its AUTHENTICATE is being checked: the answer comes no sooner', async () => {
    const socket = await openRaw(server);
    socket.send([HELLO, REALM, { roles: CLIENT_ROLES, authmethods: ['wampcra'], authid: 'guest' }]);
    expect((await socket.next())[0]).toBe(CHALLENGE);
    socket.send([AUTHENTICATE, 'wrong', {}]);
    socket.send([AUTHENTICATE, 'wrong again', {}]);
    socket.send('not json');
    expect(await socket.next()).toEqual([ABORT, { message: 'authentication failed' }, 'wamp.error.not_authorized']);
    expect((await socket.closed()).code).toBe(1000);
  });

  it('serves v1 clients of the same app as before', async () => {
    const client = await WampTestClient.connect(server.url);
    try {
      await client.authenticate('guest', 'secret-password');
      expect(await client.call(`${RPC}whoami`)).toMatchObject({ authKey: 'guest', method: 'wamp-cra' });
    } finally {
      await client.close();
    }
  });
});

describe('WAMP v2 session opening: the deadline', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startV2App({ auth: { ...AUTH, timeoutMs: 200 } });
  });
  afterEach(closeClients);
  afterAll(() => server.close());

  it('aborts and closes (1008) a connection that sends no HELLO within auth.timeoutMs', async () => {
    const socket = await openRaw(server);
    expect(await socket.next()).toEqual([
      ABORT,
      { message: 'authentication timeout: the session was not established within 200 ms' },
      'wamp.error.not_authorized',
    ]);
    expect(await socket.closed()).toEqual({ code: 1008, reason: 'authentication timeout' });
  });

  it('aborts and closes one that does not answer its CHALLENGE in time', async () => {
    const socket = await openRaw(server);
    socket.send([HELLO, REALM, { roles: CLIENT_ROLES, authmethods: ['wampcra'], authid: 'guest' }]);
    expect((await socket.next())[0]).toBe(CHALLENGE);
    expect((await socket.next())[0]).toBe(ABORT);
    expect((await socket.closed()).code).toBe(1008);
    await until(() => server.broker.sessions().length === 0, 'the session to be gone');
    expect(v2Opening(server)!.pendingState).toEqual({ deadlines: 0, goodbyes: 0, exchanges: 0 });
  });

  it('lets a welcomed session live past the deadline (its timer is cleared at WELCOME)', async () => {
    const { socket } = await welcomed(server);
    expect(v2Opening(server)!.pendingState.deadlines).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(socket.isOpen).toBe(true);
    expect(socket.pending()).toEqual([]);
  });
});

describe('WAMP v2 session opening without the auth option', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startV2App({});
  });
  afterEach(closeClients);
  afterAll(() => server.close());

  it('welcomes every session as anonymous with full rights, whatever it offers; one deadline per connection until WELCOME', async () => {
    const socket = await openRaw(server);
    await until(() => v2Opening(server)!.pendingState.deadlines === 1, 'the deadline of the connection');
    socket.send([HELLO, REALM, { roles: CLIENT_ROLES, authmethods: ['wampcra'], authid: 'guest' }]);
    const welcome = await socket.next();
    expect(welcome).toEqual([
      WELCOME,
      expect.any(Number),
      expect.objectContaining({ authmethod: 'anonymous', authrole: 'anonymous', realm: REALM }),
    ]);
    expect(v2Opening(server)!.pendingState.deadlines).toBe(0);
    const own = serverSession(server, welcome[1] as number)!;
    expect(own.identity).toBeUndefined();
    expect(server.broker.authorized(own.id, 'call', `${RPC}admin`)).toBe(true);
  });

  it('says GOODBYE wamp.close.system_shutdown to v2 sessions when the app shuts down', async () => {
    const other = await startV2App({});
    const socket = await RawWamp2Socket.connect(other.url);
    socket.send([HELLO, REALM, { roles: CLIENT_ROLES }]);
    expect((await socket.next())[0]).toBe(WELCOME);
    // The client answers the router's GOODBYE as Autobahn does.
    socket.ws.on('message', (data) => {
      if (String(data).startsWith(`[${GOODBYE},`)) socket.send([GOODBYE, {}, 'wamp.close.goodbye_and_out']);
    });
    const closing = other.close();
    expect(await socket.next()).toEqual([GOODBYE, { message: 'server shutting down' }, 'wamp.close.system_shutdown']);
    expect(await socket.closed()).toEqual({ code: 1001, reason: 'server shutting down' });
    await closing;
  });
});

describe('WAMP v2 session opening with the handshake hook', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startV2App({
      auth: {
        ...AUTH,
        allowAnonymous: false,
        handshake: (request: IncomingMessage) =>
          request.headers['x-token'] === 'alice-token' ? { authKey: 'alice', permissions: USER_RIGHTS } : undefined,
      },
    });
  });
  afterEach(closeClients);
  afterAll(() => server.close());

  it('welcomes a session the hook identified, with its identity, whatever it offers', async () => {
    const socket = await RawWamp2Socket.connect(server.url, { headers: { 'x-token': 'alice-token' } });
    sockets.push(socket);
    socket.send([HELLO, REALM, { roles: CLIENT_ROLES }]);
    const welcome = await socket.next();
    expect(welcome[2]).toMatchObject({ authid: 'alice', authmethod: 'handshake', authrole: 'user' });
    expect(serverSession(server, welcome[1] as number)!.identity).toEqual({
      authKey: 'alice',
      method: 'handshake',
      permissions: USER_RIGHTS,
    });
  });

  it('refuses anonymous when auth.allowAnonymous is off', async () => {
    const error = await refusal(server, { realm: REALM });
    expect(error.reason).toBe('wamp.error.not_authorized');
    expect(error.details.message).toContain('accepted: wampcra with an authid, ticket with an authid');
  });
});
