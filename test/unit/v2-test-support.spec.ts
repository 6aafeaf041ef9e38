import { createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import autobahn from 'autobahn';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { openV2Session, V2SessionOpenError, type V2SessionHandle, type V2SessionOptions } from '../support/autobahn-v2.js';
import { freePort } from '../support/free-port.js';
import { RawWamp2Socket } from '../support/raw-wamp2-socket.js';
import { until } from '../support/until.js';
import { ABORT, AUTHENTICATE, CALL, CHALLENGE, ERROR, GOODBYE, HELLO, RESULT, WELCOME } from '../support/wamp2-codes.js';

// The WAMP v2 test helpers against a fake router written here from the spec: HELLO, WELCOME,
// ABORT, CHALLENGE/AUTHENTICATE (wampcra, checked with node:crypto, not Autobahn's CryptoJS),
// CALL/RESULT/ERROR, GOODBYE.

const REALM = 'realm1';
const ADD = 'com.example.add';

interface User {
  readonly secret: string;
  readonly salt?: { readonly salt: string; readonly keylen: number; readonly iterations: number };
}

const USERS: Record<string, User> = {
  salted: { secret: 'salted-password', salt: { salt: 'wamp-salt', keylen: 32, iterations: 1000 } },
  plain: { secret: 'plain-password' },
};

type Message = unknown[];

interface FakeRouter {
  readonly url: string;
  /** Every message the router received, in order, from every connection. */
  readonly received: Message[];
  readonly connections: Set<WebSocket>;
  closeAll(code: number, reason: string): void;
  stop(): Promise<void>;
}

/** The key the router expects the client to sign with: the secret, or its PBKDF2-SHA256 (Base64) when salted. */
function signingKey(user: User): string {
  if (!user.salt) return user.secret;
  const { salt, iterations, keylen } = user.salt;
  return pbkdf2Sync(user.secret, salt, iterations, keylen, 'sha256').toString('base64');
}

async function startFakeRouter(): Promise<FakeRouter> {
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    handleProtocols: (protocols) => (protocols.has('wamp.2.json') ? 'wamp.2.json' : false),
  });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const received: Message[] = [];
  const connections = new Set<WebSocket>();
  let nextSession = 1000;

  wss.on('connection', (ws) => {
    connections.add(ws);
    ws.on('close', () => connections.delete(ws));
    ws.on('error', () => undefined);
    const send = (message: Message): void => ws.send(JSON.stringify(message));
    const sessionId = nextSession++;
    const welcome = (details: Record<string, unknown> = {}): void =>
      send([WELCOME, sessionId, { roles: { dealer: {}, broker: {} }, authrole: 'user', ...details }]);
    const abort = (reason: string, message: string): void => send([ABORT, { message }, reason]);
    let pending: { authid: string; challenge: string; key: string } | undefined;

    ws.on('message', (data: RawData) => {
      let message: Message;
      try {
        message = JSON.parse(String(data)) as Message;
      } catch {
        abort('wamp.error.protocol_violation', 'invalid JSON');
        ws.close(1002, 'protocol violation');
        return;
      }
      received.push(message);
      switch (message[0]) {
        case HELLO: {
          const [, realm, details] = message as [number, string, { authmethods?: string[]; authid?: string }];
          if (realm !== REALM) return abort('wamp.error.no_such_realm', `no realm ${realm}`);
          if (!details.authmethods?.includes('wampcra')) return welcome({ authid: 'anonymous', authmethod: 'anonymous' });
          const authid = details.authid ?? '';
          const user = USERS[authid];
          if (!user) return abort('wamp.error.not_authorized', `no user ${authid}`);
          const challenge = JSON.stringify({
            authid,
            authrole: 'user',
            authmethod: 'wampcra',
            authprovider: 'static',
            nonce: randomBytes(16).toString('base64'),
            timestamp: new Date().toISOString(),
            session: sessionId,
          });
          pending = { authid, challenge, key: signingKey(user) };
          return send([CHALLENGE, 'wampcra', { challenge, ...user.salt }]);
        }
        case AUTHENTICATE: {
          if (!pending) return abort('wamp.error.protocol_violation', 'AUTHENTICATE without CHALLENGE');
          const expected = createHmac('sha256', pending.key).update(pending.challenge).digest('base64');
          if (message[1] !== expected) return abort('wamp.error.not_authorized', 'wrong signature');
          return welcome({ authid: pending.authid, authmethod: 'wampcra' });
        }
        case CALL: {
          const [, request, , procedure, args = []] = message as [number, number, object, string, unknown[]?];
          if (procedure !== ADD) return send([ERROR, CALL, request, {}, 'wamp.error.no_such_procedure']);
          return send([RESULT, request, {}, [(args as number[]).reduce((sum, term) => sum + term, 0)]]);
        }
        case GOODBYE:
          return send([GOODBYE, {}, 'wamp.close.goodbye_and_out']);
      }
    });
  });

  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ws`,
    received,
    connections,
    closeAll(code, reason) {
      for (const ws of connections) ws.close(code, reason);
    },
    stop() {
      for (const ws of connections) ws.terminate();
      return new Promise((resolve, reject) => wss.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/** What `promise` rejected with; fails if it resolved. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('WAMP v2 test support (against a fake router)', () => {
  let router: FakeRouter;
  const handles: V2SessionHandle[] = [];
  const raws: RawWamp2Socket[] = [];

  const open = async (options: V2SessionOptions): Promise<V2SessionHandle> => {
    const handle = await openV2Session(router.url, options);
    handles.push(handle);
    return handle;
  };
  const connectRaw = async (): Promise<RawWamp2Socket> => {
    const raw = await RawWamp2Socket.connect(router.url);
    raws.push(raw);
    return raw;
  };
  const hellos = (): Message[] => router.received.filter((message) => message[0] === HELLO);

  beforeAll(async () => {
    router = await startFakeRouter();
  });

  afterEach(async () => {
    await Promise.all([...handles.splice(0).map((handle) => handle.close()), ...raws.splice(0).map((raw) => raw.close())]);
    await until(() => router.connections.size === 0, 'the fake router to see every connection closed');
    router.received.length = 0;
  });

  afterAll(async () => {
    await router.stop();
  });

  describe('openV2Session (Autobahn)', () => {
    it('opens a session over wamp.2.json, calls, and leaves with GOODBYE on close()', async () => {
      const handle = await open({ realm: REALM });

      expect(handle.session.isOpen).toBe(true);
      expect(handle.session.id).toBeGreaterThanOrEqual(1000);
      expect(handle.welcome).toMatchObject({ authid: 'anonymous', transport: { type: 'websocket', protocol: 'wamp.2.json' } });
      expect(hellos()).toEqual([
        [HELLO, REALM, expect.objectContaining({ roles: expect.objectContaining({ caller: expect.anything() }) })],
      ]);

      await expect(handle.session.call(ADD, [2, 3, 4])).resolves.toBe(9);
      await expect(handle.session.call('com.example.missing')).rejects.toMatchObject({ error: 'wamp.error.no_such_procedure' });

      await handle.close();
      expect(router.received.at(-1)).toEqual([GOODBYE, {}, 'wamp.close.normal']);
      await expect(handle.closed).resolves.toMatchObject({ closeReason: 'closed', leave: { reason: 'wamp.close.goodbye_and_out' } });
      expect(handle.connection.isConnected).toBe(false);
      expect(handle.errors).toEqual([]);
    });

    it('answers a salted wampcra challenge with the PBKDF2-derived key', async () => {
      const handle = await open({ realm: REALM, authid: 'salted', secret: USERS.salted.secret });

      expect(hellos()[0][2]).toMatchObject({ authmethods: ['wampcra'], authid: 'salted' });
      expect(router.received.find((message) => message[0] === AUTHENTICATE)).toEqual([
        AUTHENTICATE,
        expect.stringMatching(/^[A-Za-z0-9+/]{43}=$/),
        {},
      ]);
      expect(handle.welcome).toMatchObject({ authid: 'salted', authmethod: 'wampcra' });
      await expect(handle.session.call(ADD, [1, 1])).resolves.toBe(2);
    });

    it('answers an unsalted wampcra challenge through an onchallenge function', async () => {
      const seen: { method: string; extra: Record<string, unknown> }[] = [];
      const handle = await open({
        realm: REALM,
        authid: 'plain',
        authmethods: ['wampcra'],
        onchallenge: (_session, method, extra) => {
          seen.push({ method, extra });
          return autobahn.auth_cra.sign(USERS.plain.secret, String(extra.challenge));
        },
      });

      expect(seen).toEqual([{ method: 'wampcra', extra: { challenge: expect.stringContaining('"authid":"plain"') } }]);
      expect(handle.welcome).toMatchObject({ authid: 'plain', authmethod: 'wampcra' });
    });

    it('rejects with reason wamp.error.not_authorized when the secret is wrong', async () => {
      const error = await rejection(openV2Session(router.url, { realm: REALM, authid: 'salted', secret: 'wrong-password' }));

      expect(error).toBeInstanceOf(V2SessionOpenError);
      expect(error).toMatchObject({ reason: 'wamp.error.not_authorized', details: { message: 'wrong signature' } });
      expect((error as V2SessionOpenError).message).toContain('wamp.error.not_authorized');
      expect((error as V2SessionOpenError).info.closeReason).toBe('closed');
    });

    it('rejects with reason wamp.error.no_such_realm for an unknown realm', async () => {
      const error = await rejection(openV2Session(router.url, { realm: 'nowhere' }));

      expect(error).toBeInstanceOf(V2SessionOpenError);
      expect(error).toMatchObject({ reason: 'wamp.error.no_such_realm', details: { message: 'no realm nowhere' }, realm: 'nowhere' });
      expect((error as V2SessionOpenError).message).toMatch(/realm nowhere\) closed before it opened: wamp\.error\.no_such_realm/);
    });

    it('rejects with reason unreachable when nothing listens (the WebSocket error does not escape)', async () => {
      const url = `ws://127.0.0.1:${await freePort()}/ws`;
      const error = await rejection(openV2Session(url, { realm: REALM }));

      expect(error).toBeInstanceOf(V2SessionOpenError);
      expect(error).toMatchObject({ reason: 'unreachable', details: {}, info: { closeReason: 'unreachable', leave: undefined } });
    });
  });

  describe('RawWamp2Socket', () => {
    it('negotiates wamp.2.json, exchanges HELLO/WELCOME and CALL/RESULT, and sees the router close', async () => {
      const raw = await connectRaw();
      expect(raw.protocol).toBe('wamp.2.json');

      raw.send([HELLO, REALM, { roles: { caller: {} } }]);
      expect(await raw.nextOfType(WELCOME)).toEqual([WELCOME, expect.any(Number), expect.objectContaining({ authid: 'anonymous' })]);
      raw.send([CALL, 7, {}, ADD, [1, 2]]);
      expect(await raw.next()).toEqual([RESULT, 7, {}, [3]]);
      expect(raw.pending()).toEqual([]);

      router.closeAll(1001, 'router going away');
      await expect(raw.closed()).resolves.toEqual({ code: 1001, reason: 'router going away' });
      expect(raw.isOpen).toBe(false);
    });

    it('sends strings as they are, and its waits are bounded', async () => {
      const raw = await connectRaw();

      await expect(raw.next(50)).rejects.toThrow('timed out after 50 ms waiting for the next message');
      raw.send('[1, "realm1", {not json');
      expect(await raw.nextOfType(ABORT)).toEqual([ABORT, { message: 'invalid JSON' }, 'wamp.error.protocol_violation']);
      await expect(raw.closed()).resolves.toEqual({ code: 1002, reason: 'protocol violation' });
      expect(router.received).toEqual([]);
    });

    it('rejects connect with the reason when the server picks no subprotocol', async () => {
      await expect(RawWamp2Socket.connect(router.url, { protocols: ['wamp.2.msgpack'] })).rejects.toThrow(
        /^the handshake with ws:\/\/127\.0\.0\.1:\d+\/ws failed \(close 1006 \): Server sent no subprotocol$/,
      );
    });
  });
});
