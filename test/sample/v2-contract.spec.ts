// The sample app's contract, section "WAMP v2 on the same endpoint" (/work/shared/sample-app.md),
// bullet by bullet, against the real sample module (sample/app.module.ts), with a real
// Autobahn|JS 26 client (test/support/autobahn-v2.ts), raw wamp.2.json frames where the exact
// message matters, and nest-wamp's v1 test client on the other side of every bridge. Names are
// written out as the contract states them, not imported from sample/uris.ts.
//
// To show that something did NOT happen, a test waits for a sentinel sent after it by the same
// publisher (one publisher's publications are handled in order, and reach a subscriber in order).
import autobahn from 'autobahn';
import { WampBroker, type WampSession } from '../../src/index.js';
import { WampCallError, type WampTestClient } from '../../src/testing/index.js';
import { AppModule } from '../../sample/app.module.js';
import type { SampleConfig } from '../../sample/sample-config.js';
import { openV2Session, V2SessionOpenError, type V2Session, type V2SessionHandle } from '../support/autobahn-v2.js';
import { MessageInbox } from '../support/raw-socket-inbox.js';
import { RawWamp2Socket } from '../support/raw-wamp2-socket.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { until, within } from '../support/until.js';
import {
  ABORT,
  AUTHENTICATE,
  CALL,
  CHALLENGE,
  ERROR,
  HELLO,
  PUBLISH,
  PUBLISHED,
  RESULT,
  WELCOME,
  CLIENT_ROLES,
} from '../support/wamp2-codes.js';

const REALM = 'sample';
const rpc2 = (name: string): string => `sample.rpc.${name}`;
const user2 = (name: string): string => `sample.user.${name}`;
const feed2 = (name: string): string => `sample.event.feed.${name}`;
const CHAT2 = 'sample.event.chat';
const TIME2 = 'sample.event.time';
const SUB_ONLY2 = 'sample.event.sub_only';
const PUB_ONLY2 = 'sample.event.pub_only';
const FEED_PREFIX2 = 'sample.event.feed';

const rpc1 = (name: string): string => `http://wamp.sample/rpc#${name}`;
const user1 = (name: string): string => `http://wamp.sample/user#${name}`;
const feed1 = (name: string): string => `http://wamp.sample/event#feed/${name}`;
const CHAT1 = 'http://wamp.sample/event#chat';

const ERROR2 = {
  invalidArgument: 'sample.error.invalid_argument',
  calc: 'sample.error.calc',
  runtime: 'wamp.error.runtime_error',
  noSuchProcedure: 'wamp.error.no_such_procedure',
  notAuthorized: 'wamp.error.not_authorized',
  noSuchRealm: 'wamp.error.no_such_realm',
  procedureAlreadyExists: 'wamp.error.procedure_already_exists',
};
const ERROR1 = {
  unauthorized: 'http://api.wamp.ws/error#unauthorized',
  invalidArgument: 'http://wamp.sample/error#invalid-argument',
};

const GUEST = { authid: 'guest', secret: 'secret-password' };
const SALTED = { authid: 'salted', secret: 'salted-password' };
const SALTED_EXTRA = { salt: 'wamp-salt', keylen: 32, iterations: 1000 };

const DEFAULT_CONFIG: SampleConfig = { host: '127.0.0.1', port: 0, authTimeoutMs: 20000, allowedOrigins: undefined };

/** What Autobahn rejects a call, a publish with acknowledge, a subscribe or a register with. */
async function v2Error(promise: Promise<unknown> | undefined): Promise<autobahn.Error> {
  try {
    const result = await within(promise!, 'the router to answer');
    throw new Error(`expected an ERROR, got ${JSON.stringify(result)}`);
  } catch (error) {
    if (error instanceof autobahn.Error || typeof (error as { error?: unknown })?.error === 'string') return error as autobahn.Error;
    throw error;
  }
}

/** What a v1 call is refused with. */
async function callError(promise: Promise<unknown>): Promise<WampCallError> {
  try {
    const result = await promise;
    throw new Error(`expected a CALLERROR, got the result ${JSON.stringify(result)}`);
  } catch (error) {
    if (error instanceof WampCallError) return error;
    throw error;
  }
}

/** Why a v2 session did not open. */
async function openError(opening: Promise<V2SessionHandle>): Promise<V2SessionOpenError> {
  try {
    const handle = await opening;
    await handle.close();
    throw new Error('expected the session to be refused, it opened');
  } catch (error) {
    if (error instanceof V2SessionOpenError) return error;
    throw error;
  }
}

interface ReceivedV2Event {
  readonly args: unknown[];
  readonly kwargs: Record<string, unknown>;
  readonly details: autobahn.Event;
}

/** A v2 subscription whose events queue up for bounded waits. */
class V2Events {
  /** Every event's first argument, in arrival order (taken or not). */
  readonly received: unknown[] = [];
  private readonly inbox = new MessageInbox();

  private constructor(readonly topic: string) {}

  static async subscribe(session: V2Session, topic: string, options?: Record<string, unknown>): Promise<V2Events> {
    const events = new V2Events(topic);
    await within(
      session.subscribe(
        topic,
        (args, kwargs, details) => {
          events.received.push(args?.[0]);
          events.inbox.deliver({ args: args ?? [], kwargs: kwargs ?? {}, details });
        },
        options,
      ),
      `SUBSCRIBED for ${topic}`,
    );
    return events;
  }

  /** The next event (or the next that `predicate` accepts), waiting (bounded) for it. */
  async next(predicate: (event: ReceivedV2Event) => boolean = () => true): Promise<ReceivedV2Event> {
    return (await this.inbox.take((event) => predicate(event as ReceivedV2Event), `an event on ${this.topic}`)) as ReceivedV2Event;
  }

  /** The next event's only argument. */
  async nextValue(predicate: (value: unknown) => boolean = () => true): Promise<unknown> {
    return (await this.next((event) => predicate(event.args[0]))).args[0];
  }

  /** The events received and not taken yet: their first argument. */
  pendingValues(): unknown[] {
    return this.inbox.pending().map((event) => (event as ReceivedV2Event).args[0]);
  }
}

const ofType = (type: string) => (event: unknown) => (event as { type?: unknown })?.type === type;
const isMessage = (text: string) => (event: unknown) => ofType('message')(event) && (event as { message?: unknown }).message === text;
/** user-list's order is not part of the contract. */
const byClientId = (users: Array<{ clientId: string }>) => [...users].sort((a, b) => a.clientId.localeCompare(b.clientId));

/** One sample app per suite; the sessions opened through it are closed after each test, and the server must have forgotten them. */
function useSample(config: () => SampleConfig) {
  const context = {
    server: undefined as unknown as TestServer,
    v1Clients: [] as WampTestClient[],
    v2Handles: [] as V2SessionHandle[],
    rawSockets: [] as RawWamp2Socket[],
    get broker(): WampBroker {
      return context.server.app.get(WampBroker);
    },
    /** A v2 session: wampcra as `user`, or anonymous. */
    async v2(user?: { authid: string; secret: string }): Promise<V2Session> {
      const handle = await openV2Session(
        context.server.url,
        user ? { realm: REALM, authid: user.authid, secret: user.secret } : { realm: REALM, authmethods: ['anonymous'] },
      );
      context.v2Handles.push(handle);
      return handle.session;
    },
    /** A v1 session: WAMP-CRA as `user`, or anonymous. */
    async v1(user?: { authid: string; secret: string }): Promise<WampTestClient> {
      const client = await context.server.connect();
      context.v1Clients.push(client);
      await client.authenticate(user?.authid ?? null, user?.secret ?? '');
      return client;
    },
    /** A raw wamp.2.json connection (`protocols` offered), closed after the test. */
    async raw(protocols?: string[]): Promise<RawWamp2Socket> {
      const socket = await RawWamp2Socket.connect(context.server.url, { protocols });
      context.rawSockets.push(socket);
      return socket;
    },
    /** A raw connection that has sent HELLO (anonymous) and got WELCOME. */
    async rawAnonymous(): Promise<RawWamp2Socket> {
      const socket = await context.raw();
      socket.send([HELLO, REALM, { roles: CLIENT_ROLES, authmethods: ['anonymous'] }]);
      expect((await socket.next())[0]).toBe(WELCOME);
      return socket;
    },
    /** The server's view of a v2 session (found by its v2 id). */
    sessionOf(session: V2Session): WampSession {
      const found = context.broker.sessions().find((candidate) => candidate.v2Id === session.id);
      if (!found) throw new Error(`no session with v2 id ${session.id}`);
      return found;
    },
    /** The v2 id of a v1 client's session. */
    v2IdOf(client: WampTestClient): number {
      return context.broker.session(client.sessionId)!.v2Id;
    },
  };
  beforeAll(async () => {
    context.server = await startApp({ imports: [AppModule.forConfig(config())] });
  });
  afterEach(async () => {
    await Promise.all([
      ...context.v2Handles.splice(0).map((handle) => handle.close()),
      ...context.rawSockets.splice(0).map((socket) => socket.close()),
      ...context.v1Clients.splice(0).map((client) => (client.isOpen ? client.close() : client.closed)),
    ]);
    await until(() => context.broker.sessions().length === 0, 'every session to be gone');
  });
  afterAll(() => context.server?.close());
  return context;
}

// ---------------------------------------------------------------------------------------------

describe('the sample app over WAMP v2 (default config)', () => {
  const sample = useSample(() => DEFAULT_CONFIG);

  describe('the endpoint and the realm', () => {
    it.each([
      ['wamp.2.json only', ['wamp.2.json']],
      ['both, v1 first', ['wamp', 'wamp.2.json']],
      ['both, v2 first', ['wamp.2.json', 'wamp']],
    ])('ws://HOST:PORT/ws accepts wamp.2.json (%s → v2)', async (_name, protocols) => {
      const socket = await sample.raw(protocols);
      expect(socket.protocol).toBe('wamp.2.json');
      // In v2 the client speaks first: the router says nothing until HELLO.
      socket.send([HELLO, REALM, { roles: CLIENT_ROLES, authmethods: ['anonymous'] }]);
      expect(await socket.next()).toEqual([WELCOME, expect.any(Number), expect.objectContaining({ realm: REALM })]);
    });

    it("the page's v2 client: GET /vendor/autobahn.min.js is Autobahn|JS's browser build; no other file is served from there", async () => {
      const base = `http://127.0.0.1:${sample.server.port}`;
      const response = await within(fetch(`${base}/vendor/autobahn.min.js`), 'GET /vendor/autobahn.min.js');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/javascript/);
      expect(await within(response.text(), 'its body')).toMatch(/autobahn/);
      for (const path of ['/vendor/autobahn.js', '/vendor/package.json', '/vendor/..%2F..%2Fpackage.json', '/vendor/toString']) {
        const refused = await within(fetch(`${base}${path}`), `GET ${path}`);
        expect([path, refused.status]).toEqual([path, 404]);
        await refused.arrayBuffer();
      }
    });

    it('a HELLO for any other realm → ABORT wamp.error.no_such_realm', async () => {
      const socket = await sample.raw();
      socket.send([HELLO, 'realm1', { roles: CLIENT_ROLES }]);
      expect(await socket.next()).toEqual([ABORT, expect.any(Object), ERROR2.noSuchRealm]);
      await socket.closed();
      const refused = await openError(openV2Session(sample.server.url, { realm: 'elsewhere', authmethods: ['anonymous'] }));
      expect(refused.reason).toBe(ERROR2.noSuchRealm);
    });
  });

  describe('authentication', () => {
    it('wampcra as guest: WELCOME names guest, whoami answers the v2 id (a number) and the auth key', async () => {
      const handle = await openV2Session(sample.server.url, { realm: REALM, authid: GUEST.authid, secret: GUEST.secret });
      sample.v2Handles.push(handle);
      expect(handle.welcome).toMatchObject({ authid: 'guest', authmethod: 'wampcra' });
      const { session } = handle;
      expect(Number.isSafeInteger(session.id)).toBe(true);
      expect(await session.call(rpc2('whoami'))).toEqual({ sessionId: session.id, authKey: 'guest' });
    });

    it('wampcra as salted: CHALLENGE.extra carries salt, keylen and iterations; the key auth_cra.derive_key makes signs', async () => {
      const extras: Record<string, unknown>[] = [];
      const handle = await openV2Session(sample.server.url, {
        realm: REALM,
        authmethods: ['wampcra'],
        authid: SALTED.authid,
        onchallenge: (_session, method, extra) => {
          extras.push({ method, ...extra });
          const key = autobahn.auth_cra.derive_key(SALTED.secret, extra.salt as string, extra.iterations as number, extra.keylen as number);
          return autobahn.auth_cra.sign(key, extra.challenge as string);
        },
      });
      sample.v2Handles.push(handle);
      expect(extras).toEqual([expect.objectContaining({ method: 'wampcra', challenge: expect.any(String), ...SALTED_EXTRA })]);
      expect(await handle.session.call(rpc2('whoami'))).toEqual({ sessionId: handle.session.id, authKey: 'salted' });
    });

    it('salted: a signature made with the raw secret (no key derivation) → ABORT not_authorized', async () => {
      const refused = await openError(
        openV2Session(sample.server.url, {
          realm: REALM,
          authmethods: ['wampcra'],
          authid: SALTED.authid,
          onchallenge: (_session, _method, extra) => autobahn.auth_cra.sign(SALTED.secret, extra.challenge as string),
        }),
      );
      expect(refused.reason).toBe(ERROR2.notAuthorized);
    });

    it.each([
      ['a wrong secret', { authid: 'guest', secret: 'wrong-password' }],
      ['an unknown authid', { authid: 'mallory', secret: 'secret-password' }],
    ])('wampcra with %s → ABORT wamp.error.not_authorized', async (_name, user) => {
      const refused = await openError(openV2Session(sample.server.url, { realm: REALM, ...user }));
      expect(refused.reason).toBe(ERROR2.notAuthorized);
    });

    it('anonymous: whoami answers the v2 id and a null auth key', async () => {
      const session = await sample.v2();
      expect(await session.call(rpc2('whoami'))).toEqual({ sessionId: session.id, authKey: null });
    });

    it('whoami answers each caller in its own protocol: a v1 caller gets its v1 id', async () => {
      const v1 = await sample.v1(GUEST);
      const v2 = await sample.v2(GUEST);
      expect(await v1.call(rpc1('whoami'))).toEqual({ sessionId: v1.sessionId, authKey: 'guest' });
      expect(await v2.call(rpc2('whoami'))).toEqual({ sessionId: v2.id, authKey: 'guest' });
      // Every session has both ids: distinct forms of one session.
      const server = sample.sessionOf(v2);
      expect(server.id).toMatch(/^[\w-]{22}$/);
      expect(server.v2Id).toBe(v2.id);
      expect(Number.isSafeInteger(sample.v2IdOf(v1))).toBe(true);
    });
  });

  describe('RPC by v2 names', () => {
    it.each([
      ['guest', GUEST],
      ['salted', SALTED],
    ])('%s calls add, echo, calc, whoami, slow; fail → wamp.error.runtime_error', async (name, user) => {
      const session = await sample.v2(user);
      expect(await session.call(rpc2('add'), [2, 3])).toBe(5);
      expect(await session.call(rpc2('echo'), [{ a: [1, 'two', null] }])).toEqual({ a: [1, 'two', null] });
      expect(await session.call(rpc2('calc'), ['+', 2])).toBe(2);
      expect(await session.call(rpc2('calc'), ['=', '3'])).toBe(5);
      expect(await session.call(rpc2('whoami'))).toEqual({ sessionId: session.id, authKey: name });
      expect(await session.call(rpc2('slow'), [1])).toBe(1);
      expect((await v2Error(session.call(rpc2('fail')))).error).toBe(ERROR2.runtime);
    });

    it('errors by their v2 names: invalid_argument, calc; an unknown procedure → no_such_procedure', async () => {
      const session = await sample.v2(GUEST);
      expect((await v2Error(session.call(rpc2('add'), ['2', 3]))).error).toBe(ERROR2.invalidArgument);
      expect((await v2Error(session.call(rpc2('calc'), ['%', 1]))).error).toBe(ERROR2.calc);
      expect(await session.call(rpc2('calc'), ['/', 7])).toBe(7);
      expect((await v2Error(session.call(rpc2('calc'), ['=', 0]))).error).toBe(ERROR2.calc); // 7 / 0
      expect((await v2Error(session.call(rpc2('no_such_thing')))).error).toBe(ERROR2.noSuchProcedure);
      expect((await v2Error(session.call('com.example.unknown'))).error).toBe(ERROR2.noSuchProcedure);
    });

    it('anonymous calls add, echo, calc, whoami and slow; fail → not_authorized (the permission check comes before existence)', async () => {
      const session = await sample.v2();
      expect(await session.call(rpc2('add'), [1, 2])).toBe(3);
      expect(await session.call(rpc2('echo'), ['x'])).toBe('x');
      expect(await session.call(rpc2('calc'), ['C', 0])).toBe(0);
      expect(await session.call(rpc2('slow'), [0])).toBe(0);
      expect((await v2Error(session.call(rpc2('fail')))).error).toBe(ERROR2.notAuthorized);
      // Not permitted and unknown: not_authorized, not no_such_procedure.
      expect((await v2Error(session.call(rpc2('no_such_thing')))).error).toBe(ERROR2.notAuthorized);
    });

    it('payloads: RESULT is [50, request, {}, [P]]; v1 CALL arguments a, b are v2 Arguments [a, b]', async () => {
      const socket = await sample.rawAnonymous();
      socket.send([CALL, 1, {}, rpc2('echo'), [{ nested: [1, 'two'] }]]);
      expect(await socket.next()).toEqual([RESULT, 1, {}, [{ nested: [1, 'two'] }]]);
      socket.send([CALL, 2, {}, rpc2('add'), [40, 2]]);
      expect(await socket.next()).toEqual([RESULT, 2, {}, [42]]);
      socket.send([CALL, 3, {}, rpc2('add'), ['40', 2]]);
      // ERROR's Arguments and ArgumentsKw (the description, the details) are the router's to choose.
      expect((await socket.next()).slice(0, 5)).toEqual([ERROR, CALL, 3, expect.any(Object), ERROR2.invalidArgument]);
    });

    it('calc keeps its state per session, whatever the protocol', async () => {
      const v2 = await sample.v2(GUEST);
      const v1 = await sample.v1(GUEST);
      expect(await v2.call(rpc2('calc'), ['+', 2])).toBe(2);
      expect(await v1.call(rpc1('calc'), '*', 10)).toBe(10);
      expect(await v2.call(rpc2('calc'), ['=', 3])).toBe(5);
      expect(await v1.call(rpc1('calc'), '=', 4)).toBe(40);
    });
  });

  describe('PubSub by v2 names, across protocols', () => {
    it('a v1 publish reaches v2 subscribers as Arguments [P], and a v2 publish reaches v1 subscribers (feed, exact topic)', async () => {
      const v1 = await sample.v1(GUEST);
      const v2 = await sample.v2(SALTED);
      v1.subscribe(feed1('bridge'), () => undefined);
      const events = await V2Events.subscribe(v2, feed2('bridge'));
      await v1.call(rpc1('whoami')); // the SUBSCRIBE was handled before this answer

      v1.publish(feed1('bridge'), { from: 'v1' });
      const event = await events.next();
      expect(event.args).toEqual([{ from: 'v1' }]);
      expect(event.kwargs).toEqual({});

      v2.publish(feed2('bridge'), [{ from: 'v2' }]);
      expect(await v1.nextEvent(feed1('bridge'), 3000, (value) => (value as { from?: string }).from === 'v2')).toEqual({ from: 'v2' });
    });

    it('a prefix subscription to sample.event.feed (match: "prefix") gets every feed, with details.topic the v2 name', async () => {
      const v1 = await sample.v1(GUEST);
      const anonymous = await sample.v2();
      const events = await V2Events.subscribe(anonymous, FEED_PREFIX2, { match: 'prefix' });
      v1.publish(feed1('alpha'), 'a');
      v1.publish(feed1('beta_2'), 'b');
      const first = await events.next();
      const second = await events.next();
      expect([first.args, first.details.topic]).toEqual([['a'], feed2('alpha')]);
      expect([second.args, second.details.topic]).toEqual([['b'], feed2('beta_2')]);
      // The chat is not a feed.
      v1.subscribe(CHAT1, () => undefined);
      await v1.nextEvent(CHAT1, 3000, ofType('user-list'));
      v1.publish(CHAT1, { type: 'message', message: 'not a feed' });
      v1.publish(feed1('alpha'), 'sentinel');
      expect((await events.next()).args).toEqual(['sentinel']);
      expect(events.pendingValues()).toEqual([]);
    });

    it('the clock reaches v2 subscribers of sample.event.time', async () => {
      const session = await sample.v2();
      const events = await V2Events.subscribe(session, TIME2);
      const tick = await within(events.next(), 'a tick', 2500);
      expect(tick.args).toEqual([{ now: expect.any(Number) }]);
    });

    it('sub_only: subscribing is allowed, publishing is not (ERROR not_authorized); pub_only: the reverse', async () => {
      const session = await sample.v2(GUEST);
      await V2Events.subscribe(session, SUB_ONLY2);
      const denied = await v2Error(session.publish(SUB_ONLY2, ['x'], {}, { acknowledge: true }));
      expect(denied.error).toBe(ERROR2.notAuthorized);
      expect((await v2Error(session.subscribe(PUB_ONLY2, () => undefined))).error).toBe(ERROR2.notAuthorized);
      const published = await within(session.publish(PUB_ONLY2, ['x'], {}, { acknowledge: true })!, 'PUBLISHED');
      expect(Number.isSafeInteger(published.id)).toBe(true);
    });

    it('time: publishing is denied (not_authorized) even to a named user', async () => {
      const session = await sample.v2(GUEST);
      expect((await v2Error(session.publish(TIME2, [{ now: 1 }], {}, { acknowledge: true }))).error).toBe(ERROR2.notAuthorized);
    });

    it('anonymous: may subscribe to chat, feeds and time but not sub_only; may publish nothing', async () => {
      const session = await sample.v2();
      for (const topic of [CHAT2, feed2('anon'), TIME2]) await V2Events.subscribe(session, topic);
      expect((await v2Error(session.subscribe(SUB_ONLY2, () => undefined))).error).toBe(ERROR2.notAuthorized);
      for (const topic of [CHAT2, feed2('anon'), PUB_ONLY2]) {
        const denied = await v2Error(session.publish(topic, [{ type: 'message', message: 'hi' }], {}, { acknowledge: true }));
        expect([topic, denied.error]).toEqual([topic, ERROR2.notAuthorized]);
      }
    });

    it('acknowledge: PUBLISHED, also for a chat message the handler drops (empty)', async () => {
      const session = await sample.v2(GUEST);
      const events = await V2Events.subscribe(session, CHAT2);
      await events.nextValue(ofType('user-list'));
      const dropped = await within(session.publish(CHAT2, [{ type: 'message', message: '' }], {}, { acknowledge: true })!, 'PUBLISHED');
      expect(Number.isSafeInteger(dropped.id)).toBe(true);
      await within(
        session.publish(CHAT2, [{ type: 'message', message: 'kept' }], {}, { acknowledge: true, exclude_me: false })!,
        'PUBLISHED',
      );
      expect(await events.nextValue()).toMatchObject({ type: 'message', message: 'kept' });
      expect(events.pendingValues()).toEqual([]);
    });

    it('acknowledge on the wire: [17, request, publication]; a refusal [8, 16, request, details, not_authorized]', async () => {
      const anonymous = await sample.rawAnonymous();
      anonymous.send([PUBLISH, 7, { acknowledge: true }, feed2('raw'), ['x']]);
      expect((await anonymous.next()).slice(0, 5)).toEqual([ERROR, PUBLISH, 7, expect.any(Object), ERROR2.notAuthorized]);
      const guest = await sample.raw();
      guest.send([HELLO, REALM, { roles: CLIENT_ROLES, authmethods: ['wampcra'], authid: GUEST.authid }]);
      const [, , extra] = (await guest.next()) as [number, string, { challenge: string }];
      guest.send([AUTHENTICATE, autobahn.auth_cra.sign(GUEST.secret, extra.challenge), {}]);
      expect((await guest.next())[0]).toBe(WELCOME);
      guest.send([PUBLISH, 8, { acknowledge: true }, feed2('raw'), ['x']]);
      expect(await guest.next()).toEqual([PUBLISHED, 8, expect.any(Number)]);
    });

    it('payloads: a v2 PUBLISH with several arguments reaches v1 as its first; with kwargs only, as the kwargs object', async () => {
      const v1 = await sample.v1(GUEST);
      const v2 = await sample.v2(GUEST);
      v1.subscribe(feed1('payloads'), () => undefined);
      await v1.call(rpc1('whoami'));
      v2.publish(feed2('payloads'), ['first', 'second'], { ignored: true });
      v2.publish(feed2('payloads'), [], { only: 'kwargs' });
      v2.publish(feed2('payloads'), [{ single: true }]);
      v2.publish(feed2('payloads'), ['end']);
      await v1.nextEvent(feed1('payloads'), 3000, (event) => event === 'end');
      expect(v1.eventsOn(feed1('payloads'))).toEqual(['first', { only: 'kwargs' }, { single: true }, 'end']);
    });

    it('exclude_me: a v2 publisher is excluded unless it says exclude_me: false; a v1 publisher gets its own event unless it excludes itself', async () => {
      const v2 = await sample.v2(GUEST);
      const v1 = await sample.v1(GUEST);
      const v2Events = await V2Events.subscribe(v2, feed2('me'));
      v1.subscribe(feed1('me'), () => undefined);
      await v1.call(rpc1('whoami'));

      v2.publish(feed2('me'), ['v2 default']);
      v2.publish(feed2('me'), ['v2 exclude_me false'], {}, { exclude_me: false });
      expect(await v2Events.nextValue()).toBe('v2 exclude_me false');
      expect(await v1.nextEvent(feed1('me'))).toBe('v2 default');
      expect(await v1.nextEvent(feed1('me'))).toBe('v2 exclude_me false');

      v1.publish(feed1('me'), 'v1 default');
      v1.publish(feed1('me'), 'v1 excludeMe', true);
      v1.publish(feed1('me'), 'v1 end');
      expect(await v1.nextEvent(feed1('me'))).toBe('v1 default');
      expect(await v1.nextEvent(feed1('me'))).toBe('v1 end');
      expect(await v2Events.nextValue()).toBe('v1 default');
      expect(await v2Events.nextValue()).toBe('v1 excludeMe');
      expect(await v2Events.nextValue()).toBe('v1 end');
      expect(v1.eventsOn(feed1('me'))).toEqual(['v2 default', 'v2 exclude_me false', 'v1 default', 'v1 end']);
    });

    it('exclude/eligible: a v2 PUBLISH names sessions of either protocol by their v2 ids, a v1 PUBLISH by their v1 ids', async () => {
      const topic2 = feed2('lists');
      const topic1 = feed1('lists');
      const a2 = await sample.v2(GUEST);
      const b2 = await sample.v2(SALTED);
      const c1 = await sample.v1(GUEST);
      const d1 = await sample.v1(SALTED);
      const a2Events = await V2Events.subscribe(a2, topic2);
      const b2Events = await V2Events.subscribe(b2, topic2);
      for (const client of [c1, d1]) {
        client.subscribe(topic1, () => undefined);
        await client.call(rpc1('whoami'));
      }
      const [c1V2Id, d1V2Id] = [sample.v2IdOf(c1), sample.v2IdOf(d1)];
      const b2V1Id = sample.sessionOf(b2).id;

      // From a v2 publisher: v2 ids, whichever protocol the session speaks.
      a2.publish(topic2, ['v2 exclude b2 c1'], {}, { exclude: [b2.id, c1V2Id] });
      a2.publish(topic2, ['v2 eligible d1 b2'], {}, { eligible: [d1V2Id, b2.id] });
      a2.publish(topic2, ['v2 eligible c1 d1, exclude d1'], {}, { eligible: [c1V2Id, d1V2Id], exclude: [d1V2Id] });
      a2.publish(topic2, ['v2 end']);
      // From a v1 publisher: v1 ids, whichever protocol the session speaks.
      c1.publish(topic1, 'v1 exclude b2', [b2V1Id]);
      c1.publish(topic1, 'v1 eligible b2 d1', [], [b2V1Id, d1.sessionId]);
      c1.publish(topic1, 'v1 end');

      for (const client of [c1, d1]) {
        for (const end of ['v2 end', 'v1 end']) await client.nextEvent(topic1, 3000, (event) => event === end);
      }
      for (const end of ['v2 end', 'v1 end']) await b2Events.nextValue((value) => value === end);
      await a2Events.nextValue((value) => value === 'v1 end'); // a2 does not get its own 'v2 end'
      // The two publishers' events may interleave: each publisher's are compared, in order.
      const from = (prefix: string, events: unknown[]) => events.filter((event) => String(event).startsWith(prefix));
      const got = {
        a2: a2Events.received,
        b2: b2Events.received,
        c1: c1.eventsOn(topic1),
        d1: d1.eventsOn(topic1),
      };
      const byPublisher = Object.fromEntries(
        Object.entries(got).map(([name, events]) => [name, [from('v2 ', events), from('v1 ', events)]]),
      );
      expect(byPublisher).toEqual({
        // a2 is the v2 publisher: excluded from its own events by default.
        a2: [[], ['v1 exclude b2', 'v1 end']],
        b2: [
          ['v2 eligible d1 b2', 'v2 end'],
          ['v1 eligible b2 d1', 'v1 end'],
        ],
        // c1 is the v1 publisher: it gets its own events by default.
        c1: [
          ['v2 eligible c1 d1, exclude d1', 'v2 end'],
          ['v1 exclude b2', 'v1 end'],
        ],
        d1: [
          ['v2 exclude b2 c1', 'v2 eligible d1 b2', 'v2 end'],
          ['v1 exclude b2', 'v1 eligible b2 d1', 'v1 end'],
        ],
      });
    });
  });

  describe('client procedures (sample.user.*)', () => {
    it('guest registers sample.user.NAME; v2 callers and v1 callers (http://wamp.sample/user#NAME) reach it', async () => {
      const callee = await sample.v2(GUEST);
      const seen: unknown[] = [];
      await within(
        callee.register(user2('greet'), (args, kwargs) => {
          seen.push({ args, kwargs });
          return `hello ${String(args[0])}`;
        }),
        'REGISTERED',
      );
      const v2Caller = await sample.v2(SALTED);
      expect(await v2Caller.call(user2('greet'), ['v2'])).toBe('hello v2');
      const v1Caller = await sample.v1(SALTED);
      expect(await v1Caller.call(user1('greet'), 'v1')).toBe('hello v1');
      expect(seen).toEqual([
        { args: ['v2'], kwargs: {} },
        { args: ['v1'], kwargs: {} },
      ]);
    });

    it("salted registers too; the callee's error reaches a v1 caller as CALLERROR with the error's v1 URI", async () => {
      const callee = await sample.v2(SALTED);
      await within(
        callee.register(user2('picky'), () => {
          throw new autobahn.Error('sample.error.invalid_argument', ['not that']);
        }),
        'REGISTERED',
      );
      const v1Caller = await sample.v1(GUEST);
      expect((await callError(v1Caller.call(user1('picky'), 1))).uri).toBe(ERROR1.invalidArgument);
      const v2Caller = await sample.v2(GUEST);
      expect((await v2Error(v2Caller.call(user2('picky'), [1]))).error).toBe(ERROR2.invalidArgument);
    });

    it('anonymous may not register (not_authorized), nor may a named user outside sample.user.', async () => {
      const anonymous = await sample.v2();
      expect((await v2Error(anonymous.register(user2('mine'), () => 1))).error).toBe(ERROR2.notAuthorized);
      const guest = await sample.v2(GUEST);
      expect((await v2Error(guest.register('sample.rpc.mine', () => 1))).error).toBe(ERROR2.notAuthorized);
      expect((await v2Error(guest.register('com.example.mine', () => 1))).error).toBe(ERROR2.notAuthorized);
    });

    it('a second REGISTER of the same URI → wamp.error.procedure_already_exists', async () => {
      const first = await sample.v2(GUEST);
      const second = await sample.v2(SALTED);
      await within(
        first.register(user2('twice'), () => 1),
        'REGISTERED',
      );
      expect((await v2Error(second.register(user2('twice'), () => 2))).error).toBe(ERROR2.procedureAlreadyExists);
      expect((await v2Error(first.register(user2('twice'), () => 3))).error).toBe(ERROR2.procedureAlreadyExists);
    });

    it('an anonymous v1 caller gets http://api.wamp.ws/error#unauthorized; an anonymous v2 caller not_authorized', async () => {
      const callee = await sample.v2(GUEST);
      let invoked = 0;
      await within(
        callee.register(user2('private'), () => ++invoked),
        'REGISTERED',
      );
      const v1Anonymous = await sample.v1();
      expect((await callError(v1Anonymous.call(user1('private')))).uri).toBe(ERROR1.unauthorized);
      const v2Anonymous = await sample.v2();
      expect((await v2Error(v2Anonymous.call(user2('private')))).error).toBe(ERROR2.notAuthorized);
      expect(invoked).toBe(0);
    });
  });

  describe('chat', () => {
    it('user-list, user-joined, message and user-left carry clientId (v1 id), sessionId (v2 id) and username, across protocols', async () => {
      const v1 = await sample.v1(GUEST);
      v1.subscribe(CHAT1, () => undefined);
      await v1.nextEvent(CHAT1, 3000, ofType('user-list'));
      const v1Stamp = { clientId: v1.sessionId, sessionId: sample.v2IdOf(v1), username: 'guest' };

      const handle = await openV2Session(sample.server.url, { realm: REALM, authid: SALTED.authid, secret: SALTED.secret });
      sample.v2Handles.push(handle);
      const v2 = handle.session;
      const v2Stamp = { clientId: sample.sessionOf(v2).id, sessionId: v2.id, username: 'salted' };
      const events = await V2Events.subscribe(v2, CHAT2);

      const list = (await events.nextValue(ofType('user-list'))) as { users: Array<{ clientId: string }> };
      expect(byClientId(list.users)).toEqual(byClientId([v1Stamp, v2Stamp]));
      expect(await v1.nextEvent(CHAT1, 3000, ofType('user-joined'))).toEqual({ type: 'user-joined', ...v2Stamp });

      v2.publish(CHAT2, [{ type: 'message', message: 'from v2', clientId: 'forged', sessionId: 1, username: 'mallory' }]);
      expect(await v1.nextEvent(CHAT1, 3000, isMessage('from v2'))).toEqual({ type: 'message', message: 'from v2', ...v2Stamp });
      v1.publish(CHAT1, { type: 'message', message: 'from v1' });
      expect(await events.nextValue(isMessage('from v1'))).toEqual({ type: 'message', message: 'from v1', ...v1Stamp });

      await handle.close();
      expect(await v1.nextEvent(CHAT1, 3000, ofType('user-left'))).toEqual({ type: 'user-left', ...v2Stamp });
    });

    it('an anonymous v2 session is anonymous-<first 6 characters of its v1 id>', async () => {
      const session = await sample.v2();
      const v1Id = sample.sessionOf(session).id;
      const events = await V2Events.subscribe(session, CHAT2);
      expect(await events.nextValue(ofType('user-list'))).toEqual({
        type: 'user-list',
        users: [{ clientId: v1Id, sessionId: session.id, username: `anonymous-${v1Id.slice(0, 6)}` }],
      });
    });
  });
});

describe('WAMP_AUTH_TIMEOUT_MS over WAMP v2', () => {
  const sample = useSample(() => ({ ...DEFAULT_CONFIG, authTimeoutMs: 300 }));

  it('closes a connection that has not completed HELLO/WELCOME in time; established sessions stay open', async () => {
    const established = await sample.v2(GUEST);
    const challenged = await sample.raw();
    challenged.send([HELLO, REALM, { roles: CLIENT_ROLES, authmethods: ['wampcra'], authid: 'guest' }]);
    expect((await challenged.next())[0]).toBe(CHALLENGE); // left unanswered
    const started = Date.now();
    const silent = await sample.raw(); // says nothing at all
    await silent.closed();
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await challenged.closed();
    // The established session was opened before both, so its own timeout has passed as well.
    expect(await established.call(rpc2('add'), [1, 2])).toBe(3);
  });
});
