import fc from 'fast-check';
import { CraProcedure, WampBroker, WampErrorUri, type WampModuleOptions, WampModule } from '../../src/index.js';
import { CraAuthenticator } from '../../src/auth/cra-authenticator.js';
import { WampEngine } from '../../src/engine/wamp-engine.js';
import { WampCallError, WampTestClient } from '../../src/testing/index.js';
import { RawWampSocket } from '../support/raw-wamp-socket.js';
import { recordProcessFaults } from '../support/process-faults.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { until, within } from '../support/until.js';
import { FUZZ_EV as EV, FUZZ_RPC as RPC, FuzzProcedures, guardedTopicHandlers } from '../fixtures/fuzz-handlers.js';

// Fuzz: several sessions at once send random frames (garbage text, random JSON, well-shaped WAMP
// messages with hostile values, binary frames, invalid UTF-8). Sessions the server closes for
// bad input are expected. After every run the server must still serve a well-behaved session
// correctly, forget every fuzzing session once it is gone, and never have let an error escape.
//
//   FUZZ_RUNS=2000 npm run jest -- test/e2e/fuzz.spec.ts   (npm run fuzz)
//   FUZZ_SEED=<seed> replays a failure fast-check reported.

const RUNS = Number(process.env.FUZZ_RUNS ?? 25);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const SESSIONS = 4;
const MAX_FRAMES = 40;
/** Per property: generous, so that FUZZ_RUNS=2000 fits too. */
const TIMEOUT_MS = Math.max(30_000, RUNS * 300);

/** Unhandled rejections and uncaught exceptions on the real process: none may happen, in any test or run. */
const processFaults = recordProcessFaults();

const FuzzHandlers = [FuzzProcedures, guardedTopicHandlers('/')];

const TOPICS: WampModuleOptions['topics'] = {
  [`${EV}open`]: true,
  [`${EV}feed/*`]: true,
  [`${EV}ro/*`]: { subscribe: true, publish: false },
  [`${EV}closed`]: false,
};

// --- what the fuzzing sessions send

/** Replaced, at send time, by the id of fuzzing session n (for exclude and eligible lists). */
const PEER = (n: number): string => `<peer:${n}>`;

const hostileString = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 16 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      'hasOwnProperty',
      '',
      ' ',
      ':',
      'x:',
      ':y',
      'ev:',
      '__proto__:x',
      'constructor:prototype',
      '*',
      '/*',
      'NaN',
      '-0',
      '1e309',
      'Infinity',
      '-1',
      '0.5',
      'null',
      'undefined',
      'true',
      '\u0000',
      '\ud800',
      '\udfff\ud800',
      '😀',
      'é',
      'e\u0301',
      '\u202e',
      '\ufeff',
      '%00',
      '../../etc/passwd',
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('x', 'é', '😀', RPC, '[', '"'), fc.integer({ min: 500, max: 4000 }))
      .map(([s, n]) => s.repeat(Math.ceil(n / s.length))),
  },
);

const knownUri = fc.constantFrom(
  `${RPC}add`,
  `${RPC}echo`,
  `${RPC}async`,
  `${RPC}throws`,
  `${RPC}rejects`,
  `${RPC}missing`,
  `${EV}open`,
  `${EV}feed/a`,
  `${EV}feed/b`,
  `${EV}feed/`,
  `${EV}ro/a`,
  `${EV}closed`,
  `${EV}guarded/a`,
  `${EV}guarded/deny`,
  `${EV}guarded/throw`,
  `${EV}guarded/rewrite`,
  'rpc:add',
  'rpc:echo',
  'rpc:throws',
  'ev:feed/a',
  'ev:guarded/rewrite',
  'ev:open',
  'cra:authreq',
  CraProcedure.authreq,
  CraProcedure.auth,
);

const uri = fc.oneof(
  { weight: 4, arbitrary: knownUri },
  { weight: 2, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(`${EV}feed/`, `${EV}guarded/`, 'ev:feed/', RPC), hostileString).map(([a, b]) => a + b) },
);

/** Mostly the few topics the rules serve, so that subscriptions and publications meet. */
const topic = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      `${EV}open`,
      `${EV}feed/a`,
      'ev:feed/a',
      `${EV}ro/a`,
      `${EV}guarded/a`,
      'ev:guarded/rewrite',
      `${EV}guarded/deny`,
      `${EV}guarded/throw`,
    ),
  },
  { weight: 2, arbitrary: uri },
);
const procedure = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(`${RPC}add`, `${RPC}echo`, 'rpc:echo', `${RPC}async`, `${RPC}throws`, `${RPC}rejects`, `${RPC}missing`),
  },
  { weight: 2, arbitrary: uri },
);

const prefix = fc.oneof(fc.constantFrom('rpc', 'ev', 'cra', 'x', '__proto__', 'constructor', 'http', ''), hostileString);
const prefixUri = fc.oneof(fc.constantFrom(RPC, EV, `${EV}feed/`, 'http://api.wamp.ws/procedure#', ''), hostileString);

const hostileNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -0, -1, 0.5, 1e21, -1e-7, Number.MAX_SAFE_INTEGER + 2, Number.MIN_VALUE),
);

const peerId = fc.integer({ min: 0, max: SESSIONS - 1 }).map(PEER);
const sessionList = fc.array(fc.oneof(peerId, hostileString, fc.jsonValue({ maxDepth: 1 })), { maxLength: 4 });

const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: hostileString },
  { weight: 1, arbitrary: hostileNumber },
  { weight: 1, arbitrary: fc.constant(null) },
  {
    weight: 1,
    arbitrary: fc.dictionary(
      fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'polluted'),
      fc.jsonValue({ maxDepth: 2 }),
    ),
  },
  { weight: 1, arbitrary: fc.array(fc.integer(), { minLength: 200, maxLength: 3000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 60 }).map((depth) => nested(depth)) },
);

function nested(depth: number): unknown {
  let inner: unknown = [];
  for (let i = 0; i < depth; i++) inner = [inner];
  return inner;
}

/** A message type as it should be, or not quite. */
const messageType = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 9 }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(-1, 1.5, '2', '7', null, true, [2], {}, Infinity, 10, 255) },
);

/** Messages of the right shape (which hostile values may still get refused, e.g. over-long URIs). */
const wellShaped: fc.Arbitrary<unknown[]> = fc.oneof(
  // WAMP-CRA steps, so that sessions of the auth run get past it (anonymously) now and then.
  fc.constantFrom<unknown[]>(
    [2, 'q', CraProcedure.authreq, null],
    [2, 'a', CraProcedure.auth, null],
    [2, 'q', CraProcedure.authreq],
    [2, 'a', CraProcedure.auth],
    [2, 'k', CraProcedure.authreq, 'user', {}],
    [2, 'k', CraProcedure.authreq, 'nobody', { __proto__: null }],
    [2, 's', CraProcedure.auth, 'not-a-signature'],
  ),
  fc.constantFrom<unknown[]>([1, 'ev', EV], [1, 'rpc', RPC], [1, 'cra', 'http://api.wamp.ws/procedure#']),
  fc.tuple(fc.constant(1), prefix, prefixUri),
  fc.tuple(fc.constant(2), hostileString, procedure).chain((head) => fc.array(value, { maxLength: 4 }).map((args) => [...head, ...args])),
  fc.tuple(fc.constant(2), fc.constantFrom('a', 'b', 'c'), procedure, value),
  fc.tuple(fc.constant(5), topic),
  fc.tuple(fc.constant(5), topic),
  fc.tuple(fc.constant(6), topic),
  fc.tuple(fc.constant(7), topic, value),
  fc.tuple(fc.constant(7), topic, value),
  fc.tuple(fc.constant(7), topic, value, fc.oneof(fc.boolean(), sessionList, value)),
  fc.tuple(fc.constant(7), topic, value, fc.oneof(sessionList, value), fc.oneof(sessionList, value)),
);

/** Shapes that are almost right. */
const almostRight: fc.Arbitrary<unknown[]> = fc.oneof(
  fc.tuple(messageType, value, value),
  fc
    .tuple(fc.constantFrom(1, 2, 5, 6, 7), value)
    .chain(([type, first]) => fc.array(value, { maxLength: 6 }).map((rest) => [type, first, ...rest])),
);

/** Numbers JSON.stringify cannot write, spliced into otherwise valid frames. */
const rawNumber = fc.constantFrom(
  'NaN',
  'Infinity',
  '-Infinity',
  '1e400',
  '-1e400',
  '-0',
  '1e-400',
  '9007199254740993',
  '0x10',
  '01',
  '1.',
  '.5',
  '+1',
);
const rawText = fc.tuple(rawNumber, knownUri, fc.integer({ min: 0, max: 6 })).map(([n, u, i]) => {
  const q = JSON.stringify(u);
  return [
    `[${n},${q}]`,
    `[2,"c",${q},${n}]`,
    `[7,${q},${n}]`,
    `[${n}]`,
    `[2,${n},${q}]`,
    `[5,${q}]${n}`,
    `[7,${q},{"a":${n}},[${n}],[${n}]]`,
  ][i];
});

type Action =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'texts'; readonly texts: readonly string[] }
  | { readonly kind: 'binary'; readonly data: Uint8Array }
  | { readonly kind: 'bytes'; readonly data: Uint8Array }
  | { readonly kind: 'yield' };

const text = (frame: unknown): Action => ({ kind: 'text', text: JSON.stringify(frame) ?? 'null' });
const YIELD: Action = { kind: 'yield' };

/** A session that mostly follows the protocol, with hostile values: it lives long enough to reach deep. */
/** Anonymous WAMP-CRA in one go (authreq answers at once, so auth may follow without waiting). */
const ANONYMOUS_LOGIN: Action = {
  kind: 'texts',
  texts: [JSON.stringify([2, 'login-q', CraProcedure.authreq, null]), JSON.stringify([2, 'login-a', CraProcedure.auth, null])],
};

const politeAction: fc.Arbitrary<Action> = fc.oneof(
  { weight: 10, arbitrary: wellShaped.map(text) },
  { weight: 1, arbitrary: fc.constant(ANONYMOUS_LOGIN) },
  { weight: 2, arbitrary: fc.constant(YIELD) },
);

/** Anything at all: most of these sessions are closed by the server after a frame or two. */
const hostileAction: fc.Arbitrary<Action> = fc.oneof(
  { weight: 6, arbitrary: wellShaped.map(text) },
  { weight: 4, arbitrary: almostRight.map(text) },
  { weight: 2, arbitrary: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 8 }).map(text) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map(text) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((raw): Action => ({ kind: 'text', text: raw })) },
  { weight: 1, arbitrary: rawText.map((raw): Action => ({ kind: 'text', text: raw })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((data): Action => ({ kind: 'binary', data })) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 32 }).map((data): Action => ({ kind: 'bytes', data })) },
  { weight: 2, arbitrary: fc.constant(YIELD) },
);

/** The prefixes the CURIs in the pools use, declared first by half of the polite sessions. */
const PREFIXES: Action = { kind: 'texts', texts: [JSON.stringify([1, 'ev', EV]), JSON.stringify([1, 'rpc', RPC])] };

const sessionPlan = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.boolean(), fc.array(politeAction, { maxLength: MAX_FRAMES, size: 'max' }))
      .map(([declare, actions]) => (declare ? [PREFIXES, ...actions] : actions)),
  },
  { weight: 1, arbitrary: fc.array(hostileAction, { maxLength: MAX_FRAMES, size: 'max' }) },
);

const run = fc.array(sessionPlan, { minLength: SESSIONS, maxLength: SESSIONS });

// --- one run

function withPeers(text: string, peers: readonly string[]): string {
  for (let n = 0; n < peers.length; n++) text = text.replaceAll(PEER(n), peers[n]);
  return text;
}

async function fuzzSession(socket: RawWampSocket, actions: readonly Action[], peers: readonly string[]): Promise<void> {
  for (const step of actions) {
    if (!socket.isOpen) return; // closed by the server for bad input: expected
    switch (step.kind) {
      case 'text':
        socket.sendText(withPeers(step.text, peers));
        break;
      case 'texts':
        for (const one of step.texts) socket.sendText(withPeers(one, peers));
        break;
      case 'binary':
        socket.sendBinary(Buffer.from(step.data));
        break;
      case 'bytes':
        socket.sendTextBytes(Buffer.from(step.data));
        break;
      case 'yield':
        await new Promise((resolve) => setImmediate(resolve));
        break;
    }
  }
}

/** The socket was closed (by the server, for bad input), or it answers a CALL (with a result or an error). */
async function stillAnswers(socket: RawWampSocket, callId: string): Promise<void> {
  if (!socket.isOpen) return;
  socket.send([2, callId, `${RPC}echo`, callId]);
  const outcome = await new Promise<unknown[] | 'closed'>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`an open fuzzing session did not answer ${callId} within 5000 ms`)), 5000);
    const done = (result: unknown[] | 'closed'): void => {
      clearTimeout(timer);
      socket.ws.off('message', onMessage);
      resolve(result);
    };
    const onMessage = (data: Buffer): void => {
      const message: unknown = JSON.parse(data.toString('utf8'));
      if (Array.isArray(message) && (message[0] === 3 || message[0] === 4) && message[1] === callId) done(message);
    };
    socket.ws.on('message', onMessage);
    void socket.closed.then(() => done('closed'));
  });
  if (outcome === 'closed') return;
  expect([3, 4]).toContain(outcome[0]);
  if (outcome[0] === 3) expect(outcome[2]).toEqual([callId]);
}

/** A well-formed session gets right answers for calls and a pub/sub round trip. */
async function wellFormedSessionWorks(
  server: TestServer,
  broker: WampBroker,
  token: string,
  authenticate: boolean,
): Promise<WampTestClient> {
  const client = await WampTestClient.connect(server.url);
  if (authenticate) await within(client.authenticate(), 'anonymous WAMP-CRA');
  expect(await within(client.call(`${RPC}add`, 2, 3), 'add')).toBe(5);
  expect(await within(client.call(`${RPC}async`, { token }), 'async')).toEqual({ token });
  expect(await within(client.call(`${RPC}echo`, '__proto__', { constructor: 1 }), 'echo')).toEqual(['__proto__', { constructor: 1 }]);
  const failure = await within(client.call(`${RPC}throws`), 'throws').catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(WampCallError);
  expect((failure as WampCallError).uri).toBe(WampErrorUri.internal);

  for (const topic of [`${EV}feed/check`, `${EV}guarded/check`, `${EV}guarded/rewrite`]) client.subscribe(topic, () => undefined);
  await until(() => broker.subscribers(`${EV}guarded/rewrite`).includes(client.sessionId), 'the checking subscriptions');
  client.publish(`${EV}feed/check`, { token });
  expect(await client.nextEvent(`${EV}feed/check`, 3000, (event) => (event as { token?: unknown })?.token === token)).toEqual({ token });
  client.publish(`${EV}guarded/check`, { token });
  expect(await client.nextEvent(`${EV}guarded/check`, 3000, (event) => (event as { token?: unknown })?.token === token)).toEqual({ token });
  client.publish(`${EV}guarded/rewrite`, token);
  expect(await client.nextEvent(`${EV}guarded/rewrite`, 3000, (event) => (event as { rewritten?: unknown })?.rewritten === token)).toEqual({
    rewritten: token,
  });
  return client;
}

function fuzzProperty(server: () => TestServer, auth: boolean) {
  let round = 0;
  return fc.asyncProperty(run, async (perSession) => {
    const app = server();
    const broker = app.app.get(WampBroker);
    const authenticator = app.app.get(WampEngine).authenticator as CraAuthenticator | undefined;
    const token = `run-${++round}`;
    const sockets = await Promise.all(perSession.map(() => RawWampSocket.connect(app.url)));
    let checker: WampTestClient | undefined;
    try {
      const peers = sockets.map((socket) => socket.sessionId);
      await Promise.all(sockets.map((socket, i) => fuzzSession(socket, perSession[i], peers)));
      // Every session the server kept open still answers: a CALL is answered after all it sent before.
      await Promise.all(sockets.map((socket) => stillAnswers(socket, `barrier-${token}`)));
      // While the fuzzing sessions are still there (the polite ones still open), a new session is served right.
      checker = await wellFormedSessionWorks(app, broker, token, auth);
    } finally {
      await Promise.all([...sockets.map((socket) => socket.close()), checker?.close()]);
    }
    await until(() => broker.sessions().length === 0 && broker.topics().length === 0, 'the registry and topic index to empty', 5000);
    const stats = broker.stats();
    expect(stats.sessions).toBe(0);
    expect(stats.topics).toBe(0);
    expect(stats.sessionsOpened).toBe(stats.sessionsClosed);
    if (authenticator) expect(authenticator.pendingState).toEqual({ exchanges: 0, failures: 0, timers: 0 });
    expect(Object.keys(Object.prototype)).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(processFaults).toEqual([]);
  });
}

describe(`fuzz: ${SESSIONS} concurrent sessions sending random frames (${RUNS} runs each)`, () => {
  describe('without auth', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startApp({ imports: [WampModule.forRoot({ topics: TOPICS })], providers: FuzzHandlers });
    });
    afterAll(() => server.close());

    it(
      'the server stays healthy and forgets every fuzzing session',
      async () => {
        await fc.assert(
          fuzzProperty(() => server, false),
          { numRuns: RUNS, seed: SEED },
        );
      },
      TIMEOUT_MS,
    );
  });

  describe('with auth (anonymous allowed)', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startApp({
        imports: [
          WampModule.forRoot({
            topics: TOPICS,
            auth: {
              allowAnonymous: true,
              failureDelayMs: 0,
              maxAttempts: 3,
              secret: async (authKey) => {
                await Promise.resolve();
                return authKey === 'user' ? 'secret' : null;
              },
              permissions: () => ({ all: true }),
            },
          }),
        ],
        providers: FuzzHandlers,
      });
    });
    afterAll(() => server.close());

    it(
      'the server stays healthy, forgets every fuzzing session and keeps no WAMP-CRA state',
      async () => {
        await fc.assert(
          fuzzProperty(() => server, true),
          { numRuns: RUNS, seed: SEED },
        );
      },
      TIMEOUT_MS,
    );
  });
});
