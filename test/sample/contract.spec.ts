// The sample app's contract (/work/shared/sample-app.md), row by row, over real sockets against
// the real sample module (sample/app.module.ts). URIs are written out literally, as the contract
// states them, rather than imported from sample/uris.ts: the test is the contract's, not the
// sample's.
//
// To show that something did NOT happen, the tests either wait for a sentinel sent after it
// (events from one publisher, and everything the server sends on one socket, arrive in order) or
// use `serverIdle` (a round-trip call shows the server received every earlier frame of a session,
// then its pub/sub queue and pending calls must drain). A recorder of `onWampPublished` (a
// provider added beside the sample module, observing only) shows which client publications the
// server let through, so that "pub-only: publish allowed (reaches nobody)" can be observed at all.
import { jest } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import CryptoJS from 'crypto-js';
import { WampBroker, WampSession, type OnWampPublished, type WampPublication } from '../../src/index.js';
import { WampCallError, type WampTestClient, type WampTestClientOptions } from '../../src/testing/index.js';
import { AppModule } from '../../sample/app.module.js';
import { SampleRpcService } from '../../sample/rpc/sample-rpc.service.js';
import { readSampleConfig, type SampleConfig } from '../../sample/sample-config.js';
import { attemptHandshake } from '../support/raw-wamp-socket.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { until, within } from '../support/until.js';
import { serverIdle } from '../support/server-idle.js';

const RPC = 'http://wamp.sample/rpc#';
const EVENT = 'http://wamp.sample/event#';
const SAMPLE_ERROR = 'http://wamp.sample/error#';
const AUTHREQ = 'http://api.wamp.ws/procedure#authreq';
const AUTH = 'http://api.wamp.ws/procedure#auth';
const ERROR = {
  unauthorized: 'http://api.wamp.ws/error#unauthorized',
  invalidSignature: 'http://api.wamp.ws/error#invalid-signature',
  internal: 'http://api.wamp.ws/error#internal',
  notFound: 'http://api.wamp.ws/error#notfound',
  invalidArgument: `${SAMPLE_ERROR}invalid-argument`,
  calc: `${SAMPLE_ERROR}calc`,
};
const rpc = (name: string): string => `${RPC}${name}`;
const CHAT = `${EVENT}chat`;
const SUB_ONLY = `${EVENT}sub-only`;
const PUB_ONLY = `${EVENT}pub-only`;
const TIME = `${EVENT}time`;
const feed = (path: string): string => `${EVENT}feed/${path}`;

const GUEST = { authKey: 'guest', secret: 'secret-password' };
const SALTED = { authKey: 'salted', secret: 'salted-password' };
const SALTED_EXTRA = { salt: 'wamp-salt', keylen: 32, iterations: 1000 };

/** What the brief prescribes for the default app: any origin, a 20 s auth timeout. */
const DEFAULT_CONFIG: SampleConfig = { host: '127.0.0.1', port: 0, authTimeoutMs: 20000, allowedOrigins: undefined };

/** AutobahnJS 0.8's `session.authsign(challenge, secret)`, with the CryptoJS 3.1.2 it bundles. */
function autobahnSign(challenge: string, secret: string): string {
  return CryptoJS.HmacSHA256(challenge, secret).toString(CryptoJS.enc.Base64);
}

/** AutobahnJS 0.8's `ab.deriveKey(secret, authextra)`, with CryptoJS 3.1.2. */
function autobahnDeriveKey(secret: string, extra: { salt: string; keylen: number; iterations: number }): string {
  return CryptoJS.PBKDF2(secret, extra.salt, {
    keySize: extra.keylen / 4,
    iterations: extra.iterations,
    hasher: CryptoJS.algo.SHA256,
  }).toString(CryptoJS.enc.Base64);
}

interface RecordedPublication {
  readonly sessionId: string;
  readonly topic: string;
  readonly event: unknown;
}

/** Observes every client publication the server let through (it changes nothing). */
@Injectable()
class PublicationRecorder implements OnWampPublished {
  readonly publications: RecordedPublication[] = [];

  onWampPublished(session: WampSession, publication: WampPublication): void {
    this.publications.push({ sessionId: session.id, topic: publication.topic, event: publication.event });
  }

  from(client: WampTestClient): RecordedPublication[] {
    return this.publications.filter((publication) => publication.sessionId === client.sessionId);
  }
}

function startSample(config: SampleConfig): Promise<TestServer> {
  return startApp({ imports: [AppModule.forConfig(config)], providers: [PublicationRecorder] });
}

/** The rejection of a call, for assertions on its CALLERROR. */
async function callError(promise: Promise<unknown>): Promise<WampCallError> {
  try {
    const result = await promise;
    throw new Error(`expected a CALLERROR, got the result ${JSON.stringify(result)}`);
  } catch (error) {
    if (error instanceof WampCallError) return error;
    throw error;
  }
}

/** user-list's order is not part of the contract: sort it for comparisons. */
function normalized(event: unknown): unknown {
  const value = event as { type?: unknown; users?: Array<{ clientId: string }> };
  if (value?.type !== 'user-list' || !Array.isArray(value.users)) return event;
  return { ...value, users: [...value.users].sort((a, b) => a.clientId.localeCompare(b.clientId)) };
}

const isMessage = (text: string) => (event: unknown) =>
  (event as { type?: unknown })?.type === 'message' && (event as { message?: unknown }).message === text;
const ofType = (type: string) => (event: unknown) => (event as { type?: unknown })?.type === type;

/**
 * One sample app per suite, with helpers: clients opened through them are closed after each test
 * (and the server must have forgotten them), so that no test sees another's chat room.
 */
function useSample(config: () => SampleConfig) {
  const context = {
    server: undefined as unknown as TestServer,
    opened: [] as WampTestClient[],
    /** Every session's v2 id, by its v1 id. */
    v2Ids: new Map<string, number>(),
    get broker(): WampBroker {
      return context.server.app.get(WampBroker);
    },
    get recorder(): PublicationRecorder {
      return context.server.app.get(PublicationRecorder);
    },
    async connect(options?: WampTestClientOptions): Promise<WampTestClient> {
      const client = await context.server.connect(options);
      context.opened.push(client);
      context.v2Ids.set(client.sessionId, context.broker.session(client.sessionId)!.v2Id);
      return client;
    },
    async as(user: { authKey: string; secret: string }): Promise<WampTestClient> {
      const client = await context.connect();
      await client.authenticate(user.authKey, user.secret);
      return client;
    },
    async anonymous(): Promise<WampTestClient> {
      const client = await context.connect();
      await client.authenticate();
      return client;
    },
    /** How chat events name a client's session: its v1 id (`clientId`) and its v2 id (`sessionId`), read while it was open. */
    ids(client: WampTestClient): { clientId: string; sessionId: number } {
      const v2Id = context.v2Ids.get(client.sessionId);
      if (v2Id === undefined) throw new Error(`no v2 id known for ${client.sessionId}`);
      return { clientId: client.sessionId, sessionId: v2Id };
    },
    /** Waits until the server has handled everything `client` sent so far. */
    serverIdle(client: WampTestClient): Promise<void> {
      return serverIdle(context.broker, client);
    },
    /** Subscribes and waits until the server has handled it (allowed or not). */
    async subscribe(client: WampTestClient, ...topics: string[]): Promise<void> {
      for (const topic of topics) client.subscribe(topic, () => undefined);
      await context.serverIdle(client);
    },
    /** Subscribes to chat and returns the user-list the subscriber gets. */
    async joinChat(client: WampTestClient, topic = CHAT): Promise<unknown> {
      client.subscribe(topic, () => undefined);
      return client.nextEvent(CHAT, 3000, ofType('user-list'));
    },
  };
  beforeAll(async () => {
    context.server = await startSample(config());
  });
  afterEach(async () => {
    await Promise.all(context.opened.splice(0).map((client) => (client.isOpen ? client.close() : client.closed)));
    await until(() => context.broker.sessions().length === 0, 'every session to be gone');
    context.recorder.publications.length = 0;
    context.v2Ids.clear();
  });
  afterAll(() => context.server.close());
  return context;
}

// ---------------------------------------------------------------------------------------------

describe('the sample app (default config)', () => {
  const sample = useSample(() => DEFAULT_CONFIG);

  describe('HTTP and the WebSocket endpoint', () => {
    it('GET / serves the demo page as text/html', async () => {
      const response = await within(fetch(`http://127.0.0.1:${sample.server.port}/`), 'GET /');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await within(response.text(), 'the body of GET /')).toMatch(/<html/i);
    });

    it('serves WAMP v1 at /ws with the subprotocol wamp', async () => {
      expect(sample.server.url).toBe(`ws://127.0.0.1:${sample.server.port}/ws`);
      const result = await attemptHandshake(sample.server.url, { protocols: ['wamp'] });
      if (!result.accepted) throw new Error(`refused with HTTP ${result.status}`);
      try {
        expect(result.protocol).toBe('wamp');
        expect(result.socket.first).toEqual([0, expect.any(String), 1, expect.any(String)]);
      } finally {
        await result.socket.close();
      }
    });

    it('accepts a handshake that offers wamp among other subprotocols', async () => {
      // Not beside wamp.2.json: a client offering both gets WAMP v2 (v2-contract.spec.ts).
      const result = await attemptHandshake(sample.server.url, { protocols: ['chat', 'wamp'] });
      if (!result.accepted) throw new Error(`refused with HTTP ${result.status}`);
      expect(result.protocol).toBe('wamp');
      await result.socket.close();
    });

    it.each([
      ['no subprotocol at all', []],
      ['other subprotocols only', ['wamp.2.msgpack', 'chat']],
    ])('refuses a handshake that offers neither wamp nor wamp.2.json (%s) with HTTP 400', async (_name, protocols) => {
      const result = await attemptHandshake(sample.server.url, { protocols });
      if (result.accepted) {
        await result.socket.close();
        throw new Error(`accepted with protocol ${JSON.stringify(result.protocol)}`);
      }
      expect(result.status).toBe(400);
    });

    it('WAMP_ALLOWED_ORIGINS unset: any Origin is allowed, and so is no Origin', async () => {
      for (const origin of ['http://evil.example', 'https://anything.test:4443', 'null', undefined]) {
        const client = await sample.connect({ origin });
        expect(client.isOpen).toBe(true);
      }
    });
  });

  describe('WAMP-CRA', () => {
    it('guest (unsalted): the challenge is a JSON string without a salt; the AutobahnJS/CryptoJS signature is accepted', async () => {
      const client = await sample.connect();
      const challenge = await client.call<unknown>(AUTHREQ, 'guest');
      expect(typeof challenge).toBe('string');
      const parsed = JSON.parse(challenge as string) as { authextra?: { salt?: unknown } };
      expect(parsed).toEqual(expect.any(Object));
      expect(parsed.authextra?.salt).toBeUndefined();
      await client.call(AUTH, autobahnSign(challenge as string, GUEST.secret));
      expect(await client.call(rpc('whoami'))).toEqual({ sessionId: client.sessionId, authKey: 'guest' });
    });

    it('guest as ab.launch sends it: authreq(key, null) then auth(signature)', async () => {
      const client = await sample.connect();
      const challenge = await client.call<string>(AUTHREQ, 'guest', null);
      await client.call(AUTH, autobahnSign(challenge, GUEST.secret));
      expect(await client.call(rpc('add'), 1, 2)).toBe(3);
    });

    it('salted: the challenge carries exactly authextra {salt:"wamp-salt",keylen:32,iterations:1000}; the ab.deriveKey key signs', async () => {
      const client = await sample.connect();
      const challenge = await client.call<string>(AUTHREQ, 'salted');
      expect(typeof challenge).toBe('string');
      const { authextra } = JSON.parse(challenge) as { authextra: typeof SALTED_EXTRA };
      expect(authextra).toEqual(SALTED_EXTRA);
      // What AutobahnJS's ab.launch does: derive the key from the challenge's authextra, then authsign.
      const key = autobahnDeriveKey(SALTED.secret, authextra);
      await client.call(AUTH, autobahnSign(challenge, key));
      expect(await client.call(rpc('whoami'))).toEqual({ sessionId: client.sessionId, authKey: 'salted' });
    });

    it('salted: a signature made with the raw secret (no key derivation) is refused', async () => {
      const client = await sample.connect();
      const challenge = await client.call<string>(AUTHREQ, 'salted');
      const error = await callError(client.call(AUTH, autobahnSign(challenge, SALTED.secret)));
      expect(error.uri).toBe(ERROR.invalidSignature);
    });

    it('anonymous: authreq() without a key answers null, auth() without a signature authenticates', async () => {
      const client = await sample.connect();
      expect(await client.call(AUTHREQ)).toBeNull();
      await client.call(AUTH);
      expect(await client.call(rpc('whoami'))).toEqual({ sessionId: client.sessionId, authKey: null });
    });

    it('anonymous as ab.launch sends it: authreq(null, null) → null, then auth(null)', async () => {
      const client = await sample.connect();
      expect(await client.call(AUTHREQ, null, null)).toBeNull();
      await client.call(AUTH, null);
      expect(await client.call(rpc('whoami'))).toEqual({ sessionId: client.sessionId, authKey: null });
    });

    it('the auth procedures may be called as CURIs', async () => {
      const client = await sample.connect();
      client.prefix('wampauth', 'http://api.wamp.ws/procedure#');
      const challenge = await client.call<string>('wampauth:authreq', 'guest');
      await client.call('wampauth:auth', autobahnSign(challenge, GUEST.secret));
      expect(await client.call(rpc('whoami'))).toEqual({ sessionId: client.sessionId, authKey: 'guest' });
    });

    it('a failed auth answers invalid-signature, and the session must authreq again', async () => {
      const client = await sample.connect();
      const challenge = await client.call<string>(AUTHREQ, 'guest');
      const failed = await callError(client.call(AUTH, autobahnSign(challenge, 'wrong-password')));
      expect(failed.uri).toBe(ERROR.invalidSignature);
      // The old challenge is spent: its right signature no longer authenticates.
      await expect(client.call(AUTH, autobahnSign(challenge, GUEST.secret))).rejects.toBeInstanceOf(WampCallError);
      expect((await callError(client.call(rpc('add'), 1, 2))).uri).toBe(ERROR.unauthorized);
      // A new authreq works.
      const next = await client.call<string>(AUTHREQ, 'guest');
      await client.call(AUTH, autobahnSign(next, GUEST.secret));
      expect(await client.call(rpc('add'), 1, 2)).toBe(3);
    });

    describe('before authentication', () => {
      it.each(['add', 'echo', 'calc', 'whoami', 'slow', 'fail', 'no-such-procedure'])(
        'CALL %s gets CALLERROR unauthorized',
        async (name) => {
          const client = await sample.connect();
          const args = name === 'add' ? [1, 2] : name === 'calc' ? ['+', 1] : name === 'slow' ? [0] : ['x'];
          expect((await callError(client.call(rpc(name), ...args))).uri).toBe(ERROR.unauthorized);
        },
      );

      it('a CALL of an unrelated URI, or by CURI, gets unauthorized too', async () => {
        const client = await sample.connect();
        client.prefix('rpc', RPC);
        expect((await callError(client.call('rpc:add', 1, 2))).uri).toBe(ERROR.unauthorized);
        expect((await callError(client.call('http://example.com/anything', 1))).uri).toBe(ERROR.unauthorized);
      });

      it('SUBSCRIBE and PUBLISH are ignored: no subscription, no event delivered, no chat join', async () => {
        const observer = await sample.as(GUEST);
        expect(normalized(await sample.joinChat(observer))).toEqual({
          type: 'user-list',
          users: [{ ...sample.ids(observer), username: 'guest' }],
        });
        await sample.subscribe(observer, feed('before-auth'));

        const stranger = await sample.connect();
        await sample.subscribe(stranger, CHAT, feed('before-auth'), TIME, SUB_ONLY);
        stranger.publish(CHAT, { type: 'message', message: 'from a stranger' });
        stranger.publish(feed('before-auth'), 'from a stranger');
        stranger.publish(PUB_ONLY, 'from a stranger');
        await sample.serverIdle(stranger);

        for (const topic of [CHAT, feed('before-auth'), TIME, SUB_ONLY]) {
          expect(sample.broker.subscribers(topic)).not.toContain(stranger.sessionId);
        }
        expect(sample.recorder.from(stranger)).toEqual([]);
        // Sentinels from the observer: anything the stranger caused would have reached it before them.
        observer.publish(CHAT, { type: 'message', message: 'sentinel' });
        observer.publish(feed('before-auth'), 'sentinel');
        await observer.nextEvent(CHAT, 3000, isMessage('sentinel'));
        expect(await observer.nextEvent(feed('before-auth'))).toBe('sentinel');
        expect(observer.eventsOn(CHAT).map(normalized)).toEqual([
          { type: 'user-list', users: [{ ...sample.ids(observer), username: 'guest' }] },
          { type: 'message', message: 'sentinel', username: 'guest', ...sample.ids(observer) },
        ]);
        expect(observer.eventsOn(feed('before-auth'))).toEqual(['sentinel']);
        expect(stranger.received).toEqual([]);

        // The session was alive all along: once authenticated it works.
        await stranger.authenticate(GUEST.authKey, GUEST.secret);
        expect(await stranger.call(rpc('add'), 2, 2)).toBe(4);
      });
    });
  });

  describe('permissions', () => {
    it.each([
      ['guest', GUEST],
      ['salted', SALTED],
    ])('%s may call every procedure, subscribe to every subscribable topic and publish to every publishable one', async (name, user) => {
      const client = await sample.as(user);
      expect(await client.call(rpc('add'), 1, 2)).toBe(3);
      expect(await client.call(rpc('echo'), 'x')).toBe('x');
      expect(await client.call(rpc('calc'), 'C', 0)).toBe(0);
      expect(await client.call(rpc('whoami'))).toEqual({ sessionId: client.sessionId, authKey: name });
      expect(await client.call(rpc('slow'), 0)).toBe(0);
      expect((await callError(client.call(rpc('fail')))).uri).toBe(ERROR.internal);

      expect(normalized(await sample.joinChat(client))).toEqual({
        type: 'user-list',
        users: [{ ...sample.ids(client), username: name }],
      });
      await sample.subscribe(client, feed('perm'), SUB_ONLY, TIME);
      for (const topic of [CHAT, feed('perm'), SUB_ONLY, TIME]) expect(sample.broker.subscribers(topic)).toContain(client.sessionId);

      client.publish(CHAT, { type: 'message', message: `hi from ${name}` });
      expect(await client.nextEvent(CHAT, 3000, ofType('message'))).toEqual({
        type: 'message',
        message: `hi from ${name}`,
        username: name,
        ...sample.ids(client),
      });
      client.publish(feed('perm'), { from: name });
      expect(await client.nextEvent(feed('perm'))).toEqual({ from: name });
      client.publish(PUB_ONLY, { from: name });
      await sample.serverIdle(client);
      expect(sample.recorder.from(client).map(({ topic }) => topic)).toEqual([CHAT, feed('perm'), PUB_ONLY]);
    });

    it('anonymous may call add, echo, calc, whoami and slow', async () => {
      const client = await sample.anonymous();
      expect(await client.call(rpc('add'), 1, 2)).toBe(3);
      expect(await client.call(rpc('echo'), { a: [1] })).toEqual({ a: [1] });
      expect(await client.call(rpc('calc'), '+', 2)).toBe(2);
      expect(await client.call(rpc('calc'), '=', 3)).toBe(5);
      expect(await client.call(rpc('whoami'))).toEqual({ sessionId: client.sessionId, authKey: null });
      expect(await client.call(rpc('slow'), 1)).toBe(1);
      client.prefix('rpc', RPC);
      expect(await client.call('rpc:add', 2, 2)).toBe(4);
    });

    it('anonymous may not call fail (unauthorized, the handler does not run)', async () => {
      const client = await sample.anonymous();
      expect((await callError(client.call(rpc('fail')))).uri).toBe(ERROR.unauthorized);
    });

    it('anonymous may subscribe to chat, feed/* and time, and not to sub-only', async () => {
      const client = await sample.anonymous();
      const list = await sample.joinChat(client);
      expect(list).toEqual({
        type: 'user-list',
        users: [{ ...sample.ids(client), username: `anonymous-${client.sessionId.slice(0, 6)}` }],
      });
      await sample.subscribe(client, feed('anon'), feed('anon/deeper'), TIME, SUB_ONLY);
      expect(sample.broker.subscribers(feed('anon'))).toContain(client.sessionId);
      expect(sample.broker.subscribers(feed('anon/deeper'))).toContain(client.sessionId);
      expect(sample.broker.subscribers(TIME)).toContain(client.sessionId);
      expect(sample.broker.subscribers(SUB_ONLY)).not.toContain(client.sessionId);

      const publisher = await sample.as(GUEST);
      publisher.publish(feed('anon'), 'to the anonymous');
      expect(await client.nextEvent(feed('anon'))).toBe('to the anonymous');
      expect(await client.nextEvent(TIME, 2500)).toEqual({ now: expect.any(Number) });
      // A server event on sub-only, then a sentinel on a topic the client has, from the same server.
      sample.broker.publish(SUB_ONLY, 'not for the anonymous');
      sample.broker.publish(feed('anon'), 'sentinel');
      expect(await client.nextEvent(feed('anon'))).toBe('sentinel');
      expect(client.eventsOn(SUB_ONLY)).toEqual([]);
    });

    it('anonymous may publish nothing: chat, feed/*, pub-only, sub-only and time publications are dropped', async () => {
      const observer = await sample.as(GUEST);
      await sample.joinChat(observer);
      await sample.subscribe(observer, feed('anon-pub'));
      const client = await sample.anonymous();
      await sample.joinChat(client);
      await observer.nextEvent(CHAT, 3000, ofType('user-joined'));
      await sample.subscribe(client, feed('anon-pub'), TIME);

      client.publish(CHAT, { type: 'message', message: 'anonymous says hi' });
      client.publish(feed('anon-pub'), 'anonymous feed');
      client.publish(PUB_ONLY, 'anonymous pub-only');
      client.publish(SUB_ONLY, 'anonymous sub-only');
      client.publish(TIME, { now: 1 });
      await sample.serverIdle(client);
      expect(sample.recorder.from(client)).toEqual([]);

      observer.publish(CHAT, { type: 'message', message: 'sentinel' });
      observer.publish(feed('anon-pub'), 'sentinel');
      for (const receiver of [observer, client]) {
        await receiver.nextEvent(CHAT, 3000, isMessage('sentinel'));
        expect(await receiver.nextEvent(feed('anon-pub'))).toBe('sentinel');
        expect(receiver.eventsOn(CHAT).filter(ofType('message'))).toEqual([
          { type: 'message', message: 'sentinel', username: 'guest', ...sample.ids(observer) },
        ]);
        expect(receiver.eventsOn(feed('anon-pub'))).toEqual(['sentinel']);
      }
      expect(client.eventsOn(TIME)).not.toContainEqual({ now: 1 });
    });
  });

  describe('RPC', () => {
    it('add: a + b', async () => {
      const client = await sample.as(GUEST);
      expect(await client.call(rpc('add'), 2, 3)).toBe(5);
      expect(await client.call(rpc('add'), -1.5, 0.25)).toBe(-1.25);
      expect(await client.call(rpc('add'), 0, 0)).toBe(0);
    });

    it.each([
      ['a numeric string first', ['2', 3]],
      ['a numeric string second', [2, '3']],
      ['null', [null, 1]],
      ['a boolean', [true, 1]],
      ['an array', [[1], 2]],
      ['an object', [{}, 2]],
      ['a missing argument', [2]],
    ])('add with %s: CALLERROR invalid-argument', async (_name, args) => {
      const client = await sample.as(GUEST);
      expect((await callError(client.call(rpc('add'), ...args))).uri).toBe(ERROR.invalidArgument);
    });

    it('echo: any JSON value unchanged', async () => {
      const client = await sample.as(GUEST);
      const values: unknown[] = [
        0,
        42.5,
        -7,
        '',
        'héllo ✓ "quoted" \\ \n',
        true,
        false,
        null,
        [],
        {},
        [1, 'two', null, { three: 3 }],
        { a: { b: [1, { c: 'd' }] }, e: null, f: false },
      ];
      for (const value of values) expect(await client.call(rpc('echo'), value)).toEqual(value);
    });

    describe('calc (clj-wamp-example pocket calculator)', () => {
      it('2 + 3 = gives 5, as the example page sends it (the display text as value)', async () => {
        const client = await sample.as(GUEST);
        expect(await client.call(rpc('calc'), '+', '2')).toBe(2);
        expect(await client.call(rpc('calc'), '=', '3')).toBe(5);
      });

      it('chains operators left to right; "=" ends the computation', async () => {
        const client = await sample.as(GUEST);
        // 2 + 3 * 4 - 1 / 2 =  →  ((2 + 3) * 4 - 1) / 2 = 9.5
        expect(await client.call(rpc('calc'), '+', 2)).toBe(2);
        expect(await client.call(rpc('calc'), '*', 3)).toBe(5);
        expect(await client.call(rpc('calc'), '-', 4)).toBe(20);
        expect(await client.call(rpc('calc'), '/', 1)).toBe(19);
        expect(await client.call(rpc('calc'), '=', 2)).toBe(9.5);
        // A fresh computation after "=".
        expect(await client.call(rpc('calc'), '=', 7)).toBe(7);
      });

      it('keeps state per session', async () => {
        const a = await sample.as(GUEST);
        const b = await sample.anonymous();
        expect(await a.call(rpc('calc'), '+', 2)).toBe(2);
        expect(await b.call(rpc('calc'), '*', 10)).toBe(10);
        expect(await a.call(rpc('calc'), '=', 3)).toBe(5);
        expect(await b.call(rpc('calc'), '=', 4)).toBe(40);
      });

      it('accepts numbers and numeric strings', async () => {
        const client = await sample.as(GUEST);
        expect(await client.call(rpc('calc'), '+', '2.5')).toBe(2.5);
        expect(await client.call(rpc('calc'), '-', 1)).toBe(3.5);
        expect(await client.call(rpc('calc'), '=', '-0.5')).toBe(4); // 3.5 - -0.5
      });

      it('division by zero: CALLERROR calc', async () => {
        const client = await sample.as(GUEST);
        expect(await client.call(rpc('calc'), '/', 6)).toBe(6);
        expect((await callError(client.call(rpc('calc'), '=', 0))).uri).toBe(ERROR.calc);
      });

      it.each(['%', 'x', '', null, 1, '++'])('an invalid op (%p): CALLERROR calc, and the session state is reset', async (op) => {
        const client = await sample.as(GUEST);
        expect(await client.call(rpc('calc'), '+', 2)).toBe(2);
        expect((await callError(client.call(rpc('calc'), op, 3))).uri).toBe(ERROR.calc);
        expect(await client.call(rpc('calc'), '=', 7)).toBe(7); // 9 had the pending "2 +" survived
      });

      it('C clears (answering 0, as in clj-wamp-example)', async () => {
        const client = await sample.as(GUEST);
        expect(await client.call(rpc('calc'), '+', 2)).toBe(2);
        expect(await client.call(rpc('calc'), 'C', '2')).toBe(0);
        expect(await client.call(rpc('calc'), '=', 4)).toBe(4);
      });
    });

    it('whoami: {sessionId, authKey}, authKey null when anonymous', async () => {
      const guest = await sample.as(GUEST);
      const salted = await sample.as(SALTED);
      const anonymous = await sample.anonymous();
      expect(await guest.call(rpc('whoami'))).toEqual({ sessionId: guest.sessionId, authKey: 'guest' });
      expect(await salted.call(rpc('whoami'))).toEqual({ sessionId: salted.sessionId, authKey: 'salted' });
      expect(await anonymous.call(rpc('whoami'))).toEqual({ sessionId: anonymous.sessionId, authKey: null });
    });

    it('slow(50) resolves with 50 after 50 ms', async () => {
      const client = await sample.as(GUEST);
      const started = performance.now();
      expect(await client.call(rpc('slow'), 50)).toBe(50);
      expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    });

    it('slow clamps below at 0: slow(-5) → 0, and a non-number counts as 0: slow("x") → 0', async () => {
      const client = await sample.as(GUEST);
      expect(await client.call(rpc('slow'), -5)).toBe(0);
      expect(await client.call(rpc('slow'), 'x')).toBe(0);
    });

    it('fail: CALLERROR internal', async () => {
      const client = await sample.as(GUEST);
      expect((await callError(client.call(rpc('fail')))).uri).toBe(ERROR.internal);
      expect(await client.call(rpc('add'), 1, 1)).toBe(2); // the session goes on
    });

    it('an unknown procedure: CALLERROR notfound', async () => {
      const client = await sample.as(GUEST);
      for (const uri of [rpc('no-such-procedure'), RPC, 'http://example.com/elsewhere#add']) {
        expect((await callError(client.call(uri))).uri).toBe(ERROR.notFound);
      }
    });

    it('procedure URIs may be CURIs after PREFIX', async () => {
      const client = await sample.as(GUEST);
      client.prefix('rpc', RPC);
      expect(await client.call('rpc:add', 2, 3)).toBe(5);
      expect(await client.call('rpc:echo', [1, 2])).toEqual([1, 2]);
      expect(await client.call('rpc:whoami')).toEqual({ sessionId: client.sessionId, authKey: 'guest' });
      expect((await callError(client.call('rpc:add', '2', 3))).uri).toBe(ERROR.invalidArgument);
      expect((await callError(client.call('rpc:no-such-procedure'))).uri).toBe(ERROR.notFound);
    });

    it('a CURI whose prefix was never declared is used as-is: notfound', async () => {
      const client = await sample.as(GUEST);
      client.prefix('rpc', RPC);
      expect((await callError(client.call('undeclared:add', 1, 2))).uri).toBe(ERROR.notFound);
      expect((await callError(client.call('RPC:add', 1, 2))).uri).toBe(ERROR.notFound);
    });
  });

  describe('PubSub: chat', () => {
    const anonymousName = (client: WampTestClient) => `anonymous-${client.sessionId.slice(0, 6)}`;

    it('the subscriber alone gets user-list [{clientId, sessionId, username}], the others user-joined', async () => {
      const a = await sample.as(GUEST);
      expect(normalized(await sample.joinChat(a))).toEqual({ type: 'user-list', users: [{ ...sample.ids(a), username: 'guest' }] });

      const b = await sample.as(SALTED);
      const listB = normalized(await sample.joinChat(b));
      expect(listB).toEqual(
        normalized({
          type: 'user-list',
          users: [
            { ...sample.ids(a), username: 'guest' },
            { ...sample.ids(b), username: 'salted' },
          ],
        }),
      );
      const joinedB = { type: 'user-joined', ...sample.ids(b), username: 'salted' };
      expect(await a.nextEvent(CHAT, 3000, ofType('user-joined'))).toEqual(joinedB);

      const c = await sample.anonymous();
      const listC = normalized(await sample.joinChat(c));
      const allUsers = [
        { ...sample.ids(a), username: 'guest' },
        { ...sample.ids(b), username: 'salted' },
        { ...sample.ids(c), username: anonymousName(c) },
      ];
      expect(listC).toEqual(normalized({ type: 'user-list', users: allUsers }));
      const joinedC = { type: 'user-joined', ...sample.ids(c), username: anonymousName(c) };
      expect(await a.nextEvent(CHAT, 3000, ofType('user-joined'))).toEqual(joinedC);
      expect(await b.nextEvent(CHAT, 3000, ofType('user-joined'))).toEqual(joinedC);

      // A sentinel after everything: nobody got a user-list meant for another, nor its own user-joined.
      a.publish(CHAT, { type: 'message', message: 'sentinel' });
      const sentinel = { type: 'message', message: 'sentinel', username: 'guest', ...sample.ids(a) };
      for (const client of [a, b, c]) expect(await client.nextEvent(CHAT, 3000, isMessage('sentinel'))).toEqual(sentinel);
      expect(a.eventsOn(CHAT).map(normalized)).toEqual([
        { type: 'user-list', users: [{ ...sample.ids(a), username: 'guest' }] },
        joinedB,
        joinedC,
        sentinel,
      ]);
      expect(b.eventsOn(CHAT).map(normalized)).toEqual([listB, joinedC, sentinel]);
      expect(c.eventsOn(CHAT).map(normalized)).toEqual([listC, sentinel]);
    });

    it('a message becomes {type:"message", message, username, clientId, sessionId}: the publisher is stamped over any client value; the publisher gets it too', async () => {
      const a = await sample.as(GUEST);
      const s = await sample.as(SALTED);
      const anon = await sample.anonymous();
      for (const client of [a, s, anon]) await sample.joinChat(client);

      a.publish(CHAT, { type: 'message', message: 'hello', clientId: 'forged-id', username: 'mallory' });
      s.publish(CHAT, { type: 'message', message: 'hi there', clientId: a.sessionId });
      const hello = { type: 'message', message: 'hello', username: 'guest', ...sample.ids(a) };
      const hiThere = { type: 'message', message: 'hi there', username: 'salted', ...sample.ids(s) };
      for (const client of [a, s, anon]) {
        expect(await client.nextEvent(CHAT, 3000, isMessage('hello'))).toEqual(hello);
        expect(await client.nextEvent(CHAT, 3000, isMessage('hi there'))).toEqual(hiThere);
      }
    });

    it('message is truncated to 140 characters', async () => {
      const a = await sample.as(GUEST);
      const observer = await sample.anonymous();
      await sample.joinChat(a);
      await sample.joinChat(observer);
      const exact = 'e'.repeat(140);
      a.publish(CHAT, { type: 'message', message: 'x'.repeat(140) + 'y'.repeat(60) });
      a.publish(CHAT, { type: 'message', message: exact });
      a.publish(CHAT, { type: 'message', message: 'z'.repeat(141) });
      a.publish(CHAT, { type: 'message', message: 'end' });
      await observer.nextEvent(CHAT, 3000, isMessage('end'));
      expect(
        observer
          .eventsOn(CHAT)
          .filter(ofType('message'))
          .map((event) => (event as { message: string }).message),
      ).toEqual(['x'.repeat(140), exact, 'z'.repeat(140), 'end']);
    });

    it('an empty or missing message is dropped', async () => {
      const a = await sample.as(GUEST);
      const observer = await sample.anonymous();
      await sample.joinChat(a);
      await sample.joinChat(observer);
      a.publish(CHAT, { type: 'message', message: '' });
      a.publish(CHAT, { type: 'message' });
      a.publish(CHAT, { type: 'message', message: 'after' });
      for (const client of [a, observer]) {
        await client.nextEvent(CHAT, 3000, isMessage('after'));
        expect(client.eventsOn(CHAT).filter(ofType('message'))).toEqual([
          { type: 'message', message: 'after', username: 'guest', ...sample.ids(a) },
        ]);
      }
      expect(sample.recorder.from(a).map(({ event }) => event)).toEqual([
        { type: 'message', message: 'after', username: 'guest', ...sample.ids(a) },
      ]);
    });

    it('on unsubscribe and on close the others get user-left {clientId, sessionId, username}; the room forgets them', async () => {
      const a = await sample.as(GUEST);
      const b = await sample.as(SALTED);
      const c = await sample.anonymous();
      for (const client of [a, b, c]) await sample.joinChat(client);
      await b.nextEvent(CHAT, 3000, ofType('user-joined')); // c's join, before b leaves
      const bEventsBeforeLeaving = b.eventsOn(CHAT).length;

      b.unsubscribe(CHAT);
      const leftB = { type: 'user-left', ...sample.ids(b), username: 'salted' };
      expect(await a.nextEvent(CHAT, 3000, ofType('user-left'))).toEqual(leftB);
      expect(await c.nextEvent(CHAT, 3000, ofType('user-left'))).toEqual(leftB);

      await c.close();
      expect(await a.nextEvent(CHAT, 3000, ofType('user-left'))).toEqual({
        type: 'user-left',
        ...sample.ids(c),
        username: anonymousName(c),
      });

      const d = await sample.as(GUEST);
      expect(normalized(await sample.joinChat(d))).toEqual(
        normalized({
          type: 'user-list',
          users: [
            { ...sample.ids(a), username: 'guest' },
            { ...sample.ids(d), username: 'guest' },
          ],
        }),
      );
      // b left the room: it gets neither d's join nor later messages. serverIdle(b) answers b after
      // anything the server wrote to b's socket by the time d got the sentinel.
      a.publish(CHAT, { type: 'message', message: 'sentinel' });
      await d.nextEvent(CHAT, 3000, isMessage('sentinel'));
      await sample.serverIdle(b);
      expect(sample.broker.subscribers(CHAT)).not.toContain(b.sessionId);
      expect(b.eventsOn(CHAT).slice(bEventsBeforeLeaving)).toEqual([]);
    });

    it('EVENT carries the full topic URI when chat is subscribed and published with a CURI', async () => {
      const a = await sample.as(GUEST);
      a.prefix('ev', EVENT);
      expect(await sample.joinChat(a, 'ev:chat')).toEqual({ type: 'user-list', users: [{ ...sample.ids(a), username: 'guest' }] });
      a.publish('ev:chat', { type: 'message', message: 'by curie' });
      expect(await a.nextEvent(CHAT, 3000, isMessage('by curie'))).toEqual({
        type: 'message',
        message: 'by curie',
        username: 'guest',
        ...sample.ids(a),
      });
      expect(a.received.map(({ topic }) => topic)).toEqual([CHAT, CHAT]);
    });
  });

  describe('PubSub: feed/*, sub-only, pub-only, time', () => {
    it('feed/*: any topic under feed/ passes as-is, subscribe and publish', async () => {
      const a = await sample.as(GUEST);
      const b = await sample.as(SALTED);
      const topics = [feed('news'), feed('deep/er/path'), feed('with spaces & ünïcode?x=1#y')];
      await sample.subscribe(a, ...topics);
      await sample.subscribe(b, ...topics);
      for (const topic of topics) {
        expect(sample.broker.subscribers(topic)).toEqual(expect.arrayContaining([a.sessionId, b.sessionId]));
      }
      const payloads: unknown[] = [
        { any: [1, { x: null }], clientId: 'kept', username: 'kept' },
        'text',
        42,
        null,
        [],
        { type: 'message', message: '' },
      ];
      for (const topic of topics) for (const payload of payloads) a.publish(topic, payload);
      a.publish(feed('news'), 'end of a');
      for (const client of [a, b]) {
        await client.nextEvent(feed('news'), 3000, (event) => event === 'end of a');
        for (const topic of topics) {
          expect(client.eventsOn(topic)).toEqual(topic === feed('news') ? [...payloads, 'end of a'] : payloads);
        }
      }
      b.publish(feed('deep/er/path'), { from: 'b' });
      for (const client of [a, b])
        expect(await client.nextEvent(feed('deep/er/path'), 3000, (event) => (event as { from?: string })?.from === 'b')).toEqual({
          from: 'b',
        });
    });

    it('sub-only: subscribe allowed (server events arrive), client publish dropped', async () => {
      for (const user of [GUEST, SALTED]) {
        const client = await sample.as(user);
        await sample.subscribe(client, SUB_ONLY);
        expect(sample.broker.subscribers(SUB_ONLY)).toContain(client.sessionId);
        sample.broker.publish(SUB_ONLY, { from: 'server' });
        expect(await client.nextEvent(SUB_ONLY)).toEqual({ from: 'server' });
        client.publish(SUB_ONLY, { from: 'client' });
        await sample.serverIdle(client);
        expect(sample.recorder.from(client)).toEqual([]);
        sample.broker.publish(SUB_ONLY, 'sentinel');
        expect(await client.nextEvent(SUB_ONLY)).toBe('sentinel');
        expect(client.eventsOn(SUB_ONLY)).toEqual([{ from: 'server' }, 'sentinel']);
      }
    });

    it('pub-only: subscribe denied, publish allowed (and reaches nobody)', async () => {
      const client = await sample.as(GUEST);
      const other = await sample.as(SALTED);
      await sample.subscribe(client, PUB_ONLY, feed('pub-only-sentinel'));
      await sample.subscribe(other, PUB_ONLY);
      expect(sample.broker.subscribers(PUB_ONLY)).toEqual([]);
      client.publish(PUB_ONLY, { from: 'client' });
      client.publish(feed('pub-only-sentinel'), 'sentinel');
      expect(await client.nextEvent(feed('pub-only-sentinel'))).toBe('sentinel');
      expect(sample.recorder.from(client)).toEqual([
        { sessionId: client.sessionId, topic: PUB_ONLY, event: { from: 'client' } },
        { sessionId: client.sessionId, topic: feed('pub-only-sentinel'), event: 'sentinel' },
      ]);
      expect(client.received).toEqual([{ topic: feed('pub-only-sentinel'), event: 'sentinel' }]);
      await sample.serverIdle(other);
      expect(other.received).toEqual([]);
    });

    it('time: subscribe allowed; the server publishes {now: <epoch ms>} every second; a client publish is dropped', async () => {
      const client = await sample.as(GUEST);
      await sample.subscribe(client, TIME);
      const first = (await client.nextEvent(TIME, 2500)) as { now: number };
      const firstArrived = Date.now();
      expect(first).toEqual({ now: expect.any(Number) });
      expect(Number.isInteger(first.now)).toBe(true);
      expect(Math.abs(firstArrived - first.now)).toBeLessThan(1000);

      client.publish(TIME, { now: 1 });
      await sample.serverIdle(client);
      expect(sample.recorder.from(client)).toEqual([]);
      const second = (await client.nextEvent(TIME, 2500)) as { now: number };
      expect(second.now - first.now).toBeGreaterThanOrEqual(900);
      expect(second.now - first.now).toBeLessThan(2000);
      expect(client.eventsOn(TIME)).toEqual([first, second]);
    });
  });

  describe('PUBLISH options', () => {
    it('honours excludeMe, exclude and eligible: (subscribers ∩ eligible) − exclude; the publisher gets its own event by default', async () => {
      const a = await sample.as(GUEST);
      const b = await sample.as(SALTED);
      const c = await sample.as(GUEST);
      const d = await sample.anonymous(); // not a subscriber of the topic
      const topic = feed('options');
      const sentinelTopic = feed('options-sentinel');
      for (const client of [a, b, c]) await sample.subscribe(client, topic);
      await sample.subscribe(d, sentinelTopic);
      const [A, B, C, D] = [a, b, c, d].map((client) => client.sessionId);

      a.publish(topic, 'p1 default');
      a.publish(topic, 'p2 excludeMe', true);
      a.publish(topic, 'p3 excludeMe false', false);
      a.publish(topic, 'p4 exclude b', [B]);
      a.publish(topic, 'p5 exclude b c', [B, C]);
      a.publish(topic, 'p6 eligible b c', [], [B, C]);
      a.publish(topic, 'p7 eligible a b, exclude b', [B], [A, B]);
      a.publish(topic, 'p8 eligible none', [], []);
      a.publish(topic, 'p9 excludeMe, eligible a b', true, [A, B]);
      a.publish(topic, 'p10 eligible b d', [], [B, D]);
      a.publish(topic, 'end');
      a.publish(sentinelTopic, 'end');

      for (const client of [a, b, c]) await client.nextEvent(topic, 3000, (event) => event === 'end');
      await d.nextEvent(sentinelTopic, 3000);
      expect(a.eventsOn(topic)).toEqual([
        'p1 default',
        'p3 excludeMe false',
        'p4 exclude b',
        'p5 exclude b c',
        'p7 eligible a b, exclude b',
        'end',
      ]);
      expect(b.eventsOn(topic)).toEqual([
        'p1 default',
        'p2 excludeMe',
        'p3 excludeMe false',
        'p6 eligible b c',
        'p9 excludeMe, eligible a b',
        'p10 eligible b d',
        'end',
      ]);
      expect(c.eventsOn(topic)).toEqual(['p1 default', 'p2 excludeMe', 'p3 excludeMe false', 'p4 exclude b', 'p6 eligible b c', 'end']);
      expect(d.received).toEqual([{ topic: sentinelTopic, event: 'end' }]);
    });

    it('EVENT carries the full topic URI when subscribed and published with a CURI', async () => {
      const a = await sample.as(GUEST);
      const b = await sample.as(SALTED);
      a.prefix('ev', EVENT);
      b.prefix('feed', `${EVENT}feed/`);
      await sample.subscribe(a, 'ev:feed/curie');
      await sample.subscribe(b, feed('curie'));
      expect(sample.broker.subscribers(feed('curie'))).toEqual(expect.arrayContaining([a.sessionId, b.sessionId]));
      a.publish('ev:feed/curie', 'from a');
      b.publish('feed:curie', 'from b');
      for (const client of [a, b]) {
        expect(await client.nextEvent(feed('curie'))).toBe('from a');
        expect(await client.nextEvent(feed('curie'))).toBe('from b');
        expect(client.received).toEqual([
          { topic: feed('curie'), event: 'from a' },
          { topic: feed('curie'), event: 'from b' },
        ]);
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------

describe('WAMP_ALLOWED_ORIGINS (exact origins and /regexes/)', () => {
  const env = { WAMP_ALLOWED_ORIGINS: String.raw`http://127.0.0.1:8080,/^https:\/\/.*\.example$/` };
  const sample = useSample(() => ({ ...readSampleConfig({ ...env }), port: 0 }));

  async function handshake(origin: string | undefined): Promise<number | 'accepted'> {
    const result = await attemptHandshake(sample.server.url, { origin });
    if (!result.accepted) return result.status;
    await result.socket.close();
    return 'accepted';
  }

  it('accepts an exact origin of the list', async () => {
    expect(await handshake('http://127.0.0.1:8080')).toBe('accepted');
  });

  it('accepts an origin a /regex/ entry matches', async () => {
    expect(await handshake('https://app.example')).toBe('accepted');
    expect(await handshake('https://a.b.example')).toBe('accepted');
  });

  it('accepts a client that sends no Origin', async () => {
    expect(await handshake(undefined)).toBe('accepted');
    const client = await sample.connect();
    await client.authenticate();
    expect(await client.call(rpc('add'), 1, 1)).toBe(2);
  });

  it.each([
    'http://127.0.0.1:8081',
    'http://localhost:8080',
    'https://127.0.0.1:8080',
    'http://app.example',
    'https://example',
    'https://app.example.evil.com',
    'null',
  ])('refuses %s with HTTP 403', async (origin) => {
    expect(await handshake(origin)).toBe(403);
  });
});

describe('WAMP_AUTH_TIMEOUT_MS', () => {
  const sample = useSample(() => ({ ...readSampleConfig({ WAMP_AUTH_TIMEOUT_MS: '200' }), port: 0 }));

  it('closes a session that has not authenticated in time; authenticated sessions stay open', async () => {
    const guest = await sample.as(GUEST);
    const anonymous = await sample.anonymous();
    const halfway = await sample.connect();
    const halfwayChallenge = await halfway.call<string>(AUTHREQ, 'guest');
    expect(typeof halfwayChallenge).toBe('string');
    const started = Date.now();
    const lingering = await sample.connect();

    expect(await within(lingering.closed, 'the unauthenticated session to be closed')).toMatchObject({ code: 1008 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(await within(halfway.closed, 'the half-authenticated session to be closed')).toMatchObject({ code: 1008 });
    // Both were opened before the lingering one, so their timeout has passed as well.
    expect(guest.isOpen).toBe(true);
    expect(anonymous.isOpen).toBe(true);
    expect(await guest.call(rpc('add'), 1, 2)).toBe(3);
    expect(await anonymous.call(rpc('whoami'))).toEqual({ sessionId: anonymous.sessionId, authKey: null });
  });
});

// ---------------------------------------------------------------------------------------------

describe('readSampleConfig', () => {
  it('defaults: HOST 127.0.0.1, PORT 8080, any origin, auth timeout 20000 ms', () => {
    expect(readSampleConfig({})).toEqual({ host: '127.0.0.1', port: 8080, allowedOrigins: undefined, authTimeoutMs: 20000 });
    expect(readSampleConfig({}).allowedOrigins).toBeUndefined();
  });

  it('reads HOST, PORT and WAMP_AUTH_TIMEOUT_MS', () => {
    expect(readSampleConfig({ HOST: '0.0.0.0', PORT: '3000', WAMP_AUTH_TIMEOUT_MS: '200' })).toEqual({
      host: '0.0.0.0',
      port: 3000,
      allowedOrigins: undefined,
      authTimeoutMs: 200,
    });
  });

  it('parses WAMP_ALLOWED_ORIGINS: a comma-separated list of exact origins and /regexes/', () => {
    const { allowedOrigins } = readSampleConfig({ WAMP_ALLOWED_ORIGINS: String.raw`http://127.0.0.1:8080,/^https:\/\/.*\.example$/` });
    expect(allowedOrigins).toHaveLength(2);
    expect(allowedOrigins?.[0]).toBe('http://127.0.0.1:8080');
    const regex = allowedOrigins?.[1];
    expect(regex).toBeInstanceOf(RegExp);
    expect((regex as RegExp).source).toBe(String.raw`^https:\/\/.*\.example$`);
    expect((regex as RegExp).test('https://app.example')).toBe(true);
    expect((regex as RegExp).test('http://app.example')).toBe(false);
  });

  it('parses a single exact origin', () => {
    expect(readSampleConfig({ WAMP_ALLOWED_ORIGINS: 'https://chat.example.com' }).allowedOrigins).toEqual(['https://chat.example.com']);
  });
});

describe('SampleRpcService.slow (upper clamp, with fake timers)', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('slow(20000) resolves with 10000 after 10000 ms', async () => {
    jest.useFakeTimers();
    let result: number | undefined;
    void new SampleRpcService().slow(20000).then((value) => {
      result = value;
    });
    await jest.advanceTimersByTimeAsync(9999);
    expect(result).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1);
    expect(result).toBe(10000);
  });

  it('slow(10000) resolves with 10000 after 10000 ms', async () => {
    jest.useFakeTimers();
    let result: number | undefined;
    void new SampleRpcService().slow(10000).then((value) => {
      result = value;
    });
    await jest.advanceTimersByTimeAsync(9999);
    expect(result).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1);
    expect(result).toBe(10000);
  });
});
