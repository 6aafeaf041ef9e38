// WAMP v2 fuzz, beside the v1 one (fuzz.spec.ts): several wamp.2.json sessions at once send random
// and mutated frames (every message a client may send, with wrong types, missing and extra
// elements, ids 0, negative, 2^53 + 1 and non-integer, invalid URIs, deep and large dicts, kwargs
// that are no dict, messages out of phase, binary frames, invalid UTF-8 and JSON) to a real app
// with @WampRpc, @WampSubscribe and @WampPublish handlers, with and without auth. Sessions the
// server ends for bad input are expected. Asserted on every run: nothing escapes to the process;
// every frame the server sends is a router's message and every close code a defined one; a session
// still open answers a CALL; a v1 session (WampTestClient) and a v2 session (Autobahn|JS) are
// served right while the fuzzing goes on and after it; once the fuzzing sessions are closed the
// engine holds nothing for them (sessions, topics, v2 subscriptions and prefixes, client
// registrations and invocations, opening timers, bytes).
//
//   FUZZ_RUNS=2000 npm run jest -- test/e2e/v2-fuzz.spec.ts   (npm run fuzz)
//   FUZZ_SEED=<seed> replays a failure (fast-check prints the seed and the path).
import { Injectable } from '@nestjs/common';
import autobahn from 'autobahn';
import fc from 'fast-check';
import type { RawData } from 'ws';
import { WampErrorUri, WampKwargs, type WampModuleOptions, WampModule, WampRpc } from '../../src/index.js';
import { CraAuthenticator } from '../../src/auth/cra-authenticator.js';
import { WampEngine } from '../../src/engine/wamp-engine.js';
import { WampCallError, WampTestClient } from '../../src/testing/index.js';
import { openV2Session, type V2SessionHandle } from '../support/autobahn-v2.js';
import { engineLeftovers, NOTHING_LEFT } from '../support/engine-state.js';
import { recordProcessFaults } from '../support/process-faults.js';
import { RawWamp2Socket, type RawCloseInfo } from '../support/raw-wamp2-socket.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { sleep, until, within } from '../support/until.js';
import { FUZZ_EV as EV, FUZZ_RPC as RPC, FuzzProcedures, guardedTopicHandlers } from '../fixtures/fuzz-handlers.js';
import {
  ABORT,
  AUTHENTICATE,
  CALL,
  CANCEL,
  CLIENT_ROLES,
  ERROR,
  GOODBYE,
  HELLO,
  INVOCATION,
  PUBLISH,
  REGISTER,
  REGISTERED,
  RESULT,
  SUBSCRIBE,
  SUBSCRIBED,
  UNREGISTER,
  UNSUBSCRIBE,
  YIELD,
} from '../support/wamp2-codes.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 25);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const SESSIONS = 4;
const MAX_FRAMES = 40;
/** Per property: generous, so that FUZZ_RUNS=2000 fits too. */
const TIMEOUT_MS = Math.max(30_000, RUNS * 400);

const REALM = 'fuzz';
const USER = 'http://example.com/fuzz/user#';
const MAX_ID = 2 ** 53;

/** Unhandled rejections and uncaught exceptions on the real process: none may happen, in any test or run. */
const processFaults = recordProcessFaults();

/** Beside the shared procedures: kwargs back, and one still running when most fuzzing sessions are gone (its result must be dropped). */
@Injectable()
class V2Procedures {
  @WampRpc(`${RPC}kw`)
  kw(@WampKwargs() kwargs: Record<string, unknown>) {
    return kwargs;
  }

  @WampRpc(`${RPC}slow`)
  async slow(value: unknown) {
    await sleep(30);
    return value;
  }
}

const FuzzHandlers = [FuzzProcedures, V2Procedures, guardedTopicHandlers('.')];

const MODULE_OPTIONS: WampModuleOptions = {
  v2: {
    realm: REALM,
    uris: [
      { v1: `${RPC}*`, v2: 'fuzz.rpc.*' },
      { v1: `${EV}*`, v2: 'fuzz.ev.*' },
      { v1: `${USER}*`, v2: 'fuzz.user.*' },
    ],
  },
  topics: {
    [`${EV}open`]: true,
    [`${EV}feed.*`]: true,
    [`${EV}ro.*`]: { subscribe: true, publish: false },
    [`${EV}closed`]: false,
  },
  // Small enough that the fuzz reaches them.
  limits: { subscriptions: 6, callsInFlight: 4, queuedPubSub: 24, uriLength: 512 },
  shutdownGraceMs: 200,
  heartbeatIntervalMs: 0,
};

// --- what the fuzzing sessions send

/**
 * Placeholders replaced at send time (the JSON string, quotes included, becomes a number): the v2 id
 * of fuzzing session n, and the last subscription id, registration id or INVOCATION request this
 * session received, so that UNSUBSCRIBE, UNREGISTER, YIELD and ERROR can name real ones.
 */
const PEER = (n: number): string => `<peer:${n}>`;
const LAST_SUBSCRIPTION = '<last:subscription>';
const LAST_REGISTRATION = '<last:registration>';
const LAST_INVOCATION = '<last:invocation>';

const hostileString = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 16 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      '',
      ' ',
      '.',
      'a..b',
      'a.',
      '.a',
      'a b',
      'a#b',
      'wamp',
      'wamp.error.canceled',
      'wamp.session.count',
      'fuzz.rpc.',
      '*',
      'NaN',
      'null',
      '\u0000',
      '\ud800',
      '\udfff\ud800',
      '😀',
      'e\u0301',
      '\u202e',
      '\ufeff',
      '../../etc/passwd',
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('x', 'é', '😀', 'fuzz.rpc.', 'fuzz.ev.feed.', '['), fc.integer({ min: 200, max: 3000 }))
      .map(([s, n]) => s.repeat(Math.ceil(n / s.length))),
  },
);

const procedureUri = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      'fuzz.rpc.add',
      'fuzz.rpc.echo',
      'fuzz.rpc.kw',
      'fuzz.rpc.async',
      'fuzz.rpc.slow',
      'fuzz.rpc.throws',
      'fuzz.rpc.rejects',
      'fuzz.rpc.missing',
      'fuzz.user.a',
      'fuzz.user.b',
      `${RPC}add`,
    ),
  },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('fuzz.user.', 'fuzz.rpc.', 'wamp.'), hostileString).map(([a, b]) => a + b) },
  { weight: 1, arbitrary: hostileString },
);

/** Mostly the few topics the rules serve, so that subscriptions and publications meet. */
const topicUri = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      'fuzz.ev.open',
      'fuzz.ev.feed.a',
      'fuzz.ev.feed.b',
      'fuzz.ev.ro.a',
      'fuzz.ev.closed',
      'fuzz.ev.guarded.a',
      'fuzz.ev.guarded.deny',
      'fuzz.ev.guarded.throw',
      'fuzz.ev.guarded.rewrite',
    ),
  },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('fuzz.ev.feed.', 'fuzz.ev.guarded.'), hostileString).map(([a, b]) => a + b) },
  { weight: 1, arbitrary: hostileString },
);

const prefixUri = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom('fuzz.ev.feed.', 'fuzz.ev.feed', 'fuzz.ev.', 'fuzz.ev.guarded.', 'fuzz.', '', 'fuzz.ev.guarded.d'),
  },
  { weight: 1, arbitrary: hostileString },
);

/** Not an id: 0, negative, past 2^53, not an integer, not a number. (2^53 + 1 is in the raw texts below: JSON.stringify cannot write it.) */
const badId = fc.constantFrom<unknown>(0, -1, -0, 0.5, 1.5, MAX_ID * 2, 1e300, -MAX_ID, '1', '', null, true, [], {}, [1]);
/** An id: mostly small (so that request ids collide and real ones are named), sometimes huge or bad. */
const id = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 6 }) },
  { weight: 1, arbitrary: fc.constantFrom(MAX_ID, MAX_ID - 1, 2 ** 31, 2 ** 32 + 1) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: MAX_ID }) },
  { weight: 2, arbitrary: badId },
);

const hostileNumber = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -0, -1, 0.5, 1e21, MAX_ID + 2, Number.MIN_VALUE));

function nested(depth: number, wrap: (inner: unknown) => unknown): unknown {
  let inner: unknown = {};
  for (let i = 0; i < depth; i++) inner = wrap(inner);
  return inner;
}

const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: hostileString },
  { weight: 1, arbitrary: hostileNumber },
  { weight: 1, arbitrary: fc.constant(null) },
  {
    weight: 1,
    arbitrary: fc.dictionary(
      fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'polluted'),
      fc.jsonValue({ maxDepth: 2 }),
    ),
  },
  { weight: 1, arbitrary: fc.array(fc.integer(), { minLength: 200, maxLength: 3000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 80 }).map((depth) => nested(depth, (inner) => [inner])) },
);

const peerId = fc.integer({ min: 0, max: SESSIONS - 1 }).map(PEER);
const idList = fc.array(fc.oneof(peerId, id, value), { maxLength: 4 });

/** A dict as the spec wants one, or deep, large, or with keys that matter set to anything. */
const hostileDict: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }) },
  {
    weight: 3,
    arbitrary: fc.dictionary(
      fc.constantFrom(
        '__proto__',
        'constructor',
        'match',
        'invoke',
        'acknowledge',
        'exclude_me',
        'exclude',
        'eligible',
        'mode',
        'receive_progress',
        'disclose_me',
        'timeout',
        'roles',
        'authmethods',
        'authid',
      ),
      fc.oneof(value, idList, fc.constantFrom<unknown>('exact', 'prefix', 'wildcard', 'single', 'roundrobin', 'kill', 'skip', true, false)),
      { maxKeys: 4 },
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 200 }).map((depth) => nested(depth, (inner) => ({ a: inner }))) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 100, max: 3000 }).map((keys) => Object.fromEntries(Array.from({ length: keys }, (_, i) => [`k${i}`, i]))),
  },
  { weight: 1, arbitrary: fc.oneof(value, fc.array(value, { maxLength: 3 })) },
);
const options = fc.oneof({ weight: 3, arbitrary: fc.constant({}) }, { weight: 2, arbitrary: hostileDict });

/** Arguments|list and ArgumentsKw|dict: as the spec says, missing, or of the wrong type. */
const payload: fc.Arbitrary<unknown[]> = fc.oneof(
  { weight: 2, arbitrary: fc.constant<unknown[]>([]) },
  { weight: 4, arbitrary: fc.array(value, { maxLength: 4 }).map((args) => [args]) },
  { weight: 2, arbitrary: fc.tuple(fc.array(value, { maxLength: 3 }), hostileDict) },
  { weight: 1, arbitrary: fc.tuple(value, value) },
  { weight: 1, arbitrary: fc.tuple(fc.array(value, { maxLength: 2 }), hostileDict, value) },
);

const helloDetails: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ roles: CLIENT_ROLES }) },
  {
    weight: 3,
    arbitrary: fc.record(
      {
        roles: fc.oneof(fc.constant<unknown>(CLIENT_ROLES), hostileDict),
        authmethods: fc.oneof(
          fc.subarray(['anonymous', 'wampcra', 'ticket', 'cryptosign']),
          fc.array(hostileString, { maxLength: 2 }),
          value,
        ),
        authid: fc.oneof(fc.constantFrom<unknown>('user', 'nobody', '__proto__'), value),
        authextra: hostileDict,
      },
      { requiredKeys: ['roles'] },
    ),
  },
  { weight: 1, arbitrary: hostileDict },
);
const realm = fc.oneof(
  { weight: 6, arbitrary: fc.constant(REALM) },
  { weight: 1, arbitrary: fc.oneof(fc.constant('realm1'), hostileString) },
);

const hello = fc.tuple(fc.constant(HELLO), realm, helloDetails);
const authenticate = fc.tuple(
  fc.constant(AUTHENTICATE),
  fc.oneof(fc.constantFrom('ticket', 'secret', 'c2lnbmF0dXJl'), hostileString),
  options,
);
const goodbye = fc.tuple(
  fc.constant(GOODBYE),
  options,
  fc.oneof(fc.constantFrom('wamp.close.close_realm', 'wamp.close.goodbye_and_out'), hostileString),
);
const abort = fc.tuple(fc.constant(ABORT), options, fc.oneof(fc.constant('wamp.error.canceled'), hostileString));

interface RequestKit {
  readonly id: fc.Arbitrary<unknown>;
  readonly dict: fc.Arbitrary<unknown>;
  readonly payload: fc.Arbitrary<unknown[]>;
  readonly procedure: fc.Arbitrary<unknown>;
  readonly topic: fc.Arbitrary<unknown>;
  readonly ids: fc.Arbitrary<unknown>;
  /** What an ERROR answers (a client may answer only INVOCATION). */
  readonly errorType: fc.Arbitrary<unknown>;
}

/** Every request a welcomed client may send, its fields drawn from `kit`. */
function requestOf(kit: RequestKit): fc.Arbitrary<unknown[]> {
  const { id: anId, dict, payload: args, procedure, topic, ids, errorType } = kit;
  const either = <T>(first: fc.Arbitrary<T>, second: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
    fc.oneof({ weight: 3, arbitrary: first }, { weight: 1, arbitrary: second });
  return fc.oneof(
    { weight: 5, arbitrary: fc.tuple(fc.constant(CALL), anId, dict, procedure, args).map(([t, r, o, u, p]) => [t, r, o, u, ...p]) },
    { weight: 1, arbitrary: fc.tuple(fc.constant(CANCEL), anId, either(fc.constantFrom({ mode: 'kill' }, { mode: 'skip' }, {}), dict)) },
    {
      weight: 2,
      arbitrary: fc.tuple(
        fc.constant(REGISTER),
        anId,
        fc.oneof(dict, fc.constantFrom({ match: 'prefix' }, { invoke: 'roundrobin' })),
        fc.oneof({ weight: 2, arbitrary: fc.constantFrom('fuzz.user.a', 'fuzz.user.b') }, { weight: 1, arbitrary: procedure }),
      ),
    },
    { weight: 1, arbitrary: fc.tuple(fc.constant(UNREGISTER), anId, either(fc.constant(LAST_REGISTRATION), anId)) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.constant(YIELD), either(fc.constant(LAST_INVOCATION), anId), dict, args)
        .map(([t, r, o, p]) => [t, r, o, ...p]),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constant(ERROR), errorType, either(fc.constant(LAST_INVOCATION), anId), dict)
        .chain((head) => fc.tuple(either(fc.constant('fuzz.user.refused'), procedure), args).map(([uri, p]) => [...head, uri, ...p])),
    },
    { weight: 3, arbitrary: fc.tuple(fc.constant(SUBSCRIBE), anId, dict, topic) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.constant(SUBSCRIBE), anId, fc.constantFrom({ match: 'prefix' }, { match: 'wildcard' }), prefixUri),
    },
    { weight: 1, arbitrary: fc.tuple(fc.constant(UNSUBSCRIBE), anId, either(fc.constant(LAST_SUBSCRIPTION), anId)) },
    {
      weight: 5,
      arbitrary: fc
        .tuple(
          fc.constant(PUBLISH),
          anId,
          fc.oneof(
            dict,
            fc.record({ acknowledge: fc.boolean(), exclude_me: fc.boolean(), exclude: ids, eligible: ids }, { requiredKeys: [] }),
          ),
          topic,
          args,
        )
        .map(([t, r, o, u, p]) => [t, r, o, u, ...p]),
    },
  );
}

/** Requests as the spec shapes them (valid ids, dicts, lists, URIs mostly valid), with hostile values inside. */
const wellFormedRequest = requestOf({
  id: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1, max: 6 }) }, { weight: 1, arbitrary: fc.constantFrom(MAX_ID, 2 ** 32 + 1) }),
  dict: fc.oneof(
    { weight: 4, arbitrary: fc.constant({}) },
    {
      weight: 1,
      arbitrary: fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'x_custom', 'toString'), fc.jsonValue({ maxDepth: 2 })),
    },
  ),
  payload: fc.oneof(
    { weight: 1, arbitrary: fc.constant<unknown[]>([]) },
    { weight: 4, arbitrary: fc.array(value, { maxLength: 4 }).map((args) => [args]) },
    {
      weight: 2,
      arbitrary: fc.tuple(fc.array(value, { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 8 }), value, { maxKeys: 4 })),
    },
  ),
  procedure: fc.oneof({ weight: 8, arbitrary: procedureUri }, { weight: 1, arbitrary: hostileString }),
  topic: topicUri,
  ids: fc.array(fc.oneof({ weight: 3, arbitrary: peerId }, { weight: 1, arbitrary: fc.integer({ min: 1, max: MAX_ID }) }), {
    maxLength: 4,
  }),
  errorType: fc.constant(INVOCATION),
});

/** Requests with any field of the wrong kind: ids 0, negative, past 2^53 or no integer; dicts that are deep, large or no dict; kwargs of the wrong type. */
const malformedRequest = requestOf({
  id,
  dict: options,
  payload,
  procedure: procedureUri,
  topic: topicUri,
  ids: idList,
  errorType: fc.constantFrom<unknown>(INVOCATION, CALL, SUBSCRIBE, 0, '68', null),
});

/** A message type as it should be, or not quite. */
const messageType = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(1, 2, 3, 4, 5, 6, 8, 16, 17, 32, 33, 34, 35, 36, 48, 49, 50, 64, 65, 66, 67, 68, 69, 70) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(0, -1, 1.5, '48', null, true, [48], {}, 71, 255, MAX_ID) },
);

/** Shapes that are almost right: a type and elements of any kind and number. */
const almostRight: fc.Arbitrary<unknown[]> = fc
  .tuple(messageType, fc.array(fc.oneof(id, value, hostileDict, procedureUri), { maxLength: 7 }))
  .map(([type, rest]) => [type, ...rest]);

/** A valid message with one element dropped or one added. */
const mutated: fc.Arbitrary<unknown[]> = fc.tuple(wellFormedRequest, fc.nat(), fc.boolean(), value).map(([message, at, drop, extra]) => {
  const copy = [...message];
  if (drop && copy.length > 1) copy.splice(1 + (at % (copy.length - 1)), 1);
  else copy.splice(1 + (at % copy.length), 0, extra);
  return copy;
});

/** Numbers JSON.stringify cannot write, spliced into otherwise valid frames. */
const rawNumber = fc.constantFrom(
  'NaN',
  'Infinity',
  '-Infinity',
  '1e400',
  '-1e400',
  '9007199254740993',
  '18446744073709551617',
  '0x10',
  '01',
  '1.',
  '.5',
  '+1',
);
const rawText = fc
  .tuple(rawNumber, fc.integer({ min: 0, max: 8 }))
  .map(
    ([n, i]) =>
      [
        `[${n},"${REALM}",{"roles":{}}]`,
        `[48,${n},{},"fuzz.rpc.echo",[1]]`,
        `[48,1,{},"fuzz.rpc.echo",[${n}],{"k":${n}}]`,
        `[32,${n},{},"fuzz.ev.open"]`,
        `[34,7,${n}]`,
        `[70,${n},{},[1]]`,
        `[64,2,{},"fuzz.user.a"]${n}`,
        `[16,3,{"acknowledge":true,"exclude":[${n}]},"fuzz.ev.open",[1]]`,
        `[48,4,{"a":1,"a":2},"fuzz.rpc.echo",[{"__proto__":{"polluted":${n}}}]]`,
      ][i],
  );

type Action =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'binary'; readonly data: Uint8Array }
  | { readonly kind: 'bytes'; readonly data: Uint8Array }
  | { readonly kind: 'yield' };

const text = (frame: unknown): Action => ({ kind: 'text', text: JSON.stringify(frame) ?? 'null' });
const YIELD_TURN: Action = { kind: 'yield' };

/** A session that mostly follows the protocol, with hostile values: it lives long enough to reach deep. */
const politeAction: fc.Arbitrary<Action> = fc.oneof(
  { weight: 60, arbitrary: wellFormedRequest.map(text) },
  { weight: 1, arbitrary: fc.oneof(malformedRequest, mutated, hello, authenticate).map(text) },
  { weight: 15, arbitrary: fc.constant(YIELD_TURN) },
);

/** Anything at all, in any phase: most of these sessions are ended by the server after a frame or two. */
const hostileAction: fc.Arbitrary<Action> = fc.oneof(
  { weight: 2, arbitrary: wellFormedRequest.map(text) },
  { weight: 3, arbitrary: malformedRequest.map(text) },
  { weight: 3, arbitrary: almostRight.map(text) },
  { weight: 3, arbitrary: mutated.map(text) },
  { weight: 2, arbitrary: fc.oneof(hello, authenticate, goodbye, abort).map(text) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map(text) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((raw): Action => ({ kind: 'text', text: raw })) },
  { weight: 1, arbitrary: rawText.map((raw): Action => ({ kind: 'text', text: raw })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((data): Action => ({ kind: 'binary', data })) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 32 }).map((data): Action => ({ kind: 'bytes', data })) },
  { weight: 2, arbitrary: fc.constant(YIELD_TURN) },
);

/** How a polite session opens: HELLO (anonymous, or naming an authid and a method), maybe AUTHENTICATE at once, maybe a bad HELLO. */
const opening: fc.Arbitrary<Action[]> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Action[]>([text([HELLO, REALM, { roles: CLIENT_ROLES }])]) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom(['wampcra'], ['ticket'], ['ticket', 'anonymous']), fc.constantFrom('user', 'nobody'), fc.option(authenticate))
      .map(([authmethods, authid, answer]) => [
        text([HELLO, REALM, { roles: CLIENT_ROLES, authmethods, authid }]),
        ...(answer ? [text(answer)] : []),
      ]),
  },
  { weight: 1, arbitrary: hello.map((message) => [text(message)]) },
);

const sessionPlan = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        opening,
        fc.array(politeAction, { maxLength: MAX_FRAMES, size: 'max' }),
        fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: goodbye }),
      )
      .map(([open, actions, bye]) => [...open, ...actions, ...(bye ? [text(bye)] : [])]),
  },
  { weight: 1, arbitrary: fc.array(hostileAction, { maxLength: MAX_FRAMES, size: 'max' }) },
);

const run = fc.array(sessionPlan, { minLength: SESSIONS, maxLength: SESSIONS });

// --- one fuzzing session

/** The messages a router may send to a client (WELCOME, ABORT, CHALLENGE, GOODBYE, ERROR, PUBLISHED, SUBSCRIBED, UNSUBSCRIBED, EVENT, RESULT, REGISTERED, UNREGISTERED, INVOCATION). */
const ROUTER_MESSAGES = [2, 3, 4, 6, 8, 17, 33, 35, 36, 50, 65, 67, 68];
/** Close codes a fuzzing session may get: normal (after GOODBYE), protocol error, unsupported data, invalid data, policy, too big. */
const DEFINED_CLOSE_CODES = [1000, 1002, 1003, 1007, 1008, 1009];

class FuzzingSession {
  /** Everything the server sent, in order. */
  readonly received: unknown[] = [];
  /** Set once the server ended the session (its ABORT or GOODBYE came, or it closed the connection). */
  endedByServer = false;
  // Until one came, a valid id the session does not hold.
  private subscription = 1;
  private registration = 1;
  private invocation = 1;
  /** The v2 id WELCOME gave, once it came. */
  v2Id = 0;
  private closedByUs = false;
  readonly closeInfo: Promise<RawCloseInfo>;

  private constructor(readonly socket: RawWamp2Socket) {
    socket.ws.on('message', (raw: RawData, isBinary: boolean) => {
      const data = Buffer.isBuffer(raw) ? raw : Buffer.from(raw as ArrayBuffer);
      let message: unknown;
      try {
        message = isBinary ? { binary: true } : JSON.parse(data.toString('utf8'));
      } catch {
        message = { unparsable: data.toString('utf8') };
      }
      this.received.push(message);
      if (!Array.isArray(message)) return;
      if (message[0] === 2) this.v2Id = message[1] as number;
      if (message[0] === ABORT || message[0] === GOODBYE) this.endedByServer = true;
      if (message[0] === SUBSCRIBED) this.subscription = message[2] as number;
      if (message[0] === REGISTERED) this.registration = message[2] as number;
      if (message[0] === INVOCATION) this.invocation = message[1] as number;
    });
    this.closeInfo = socket.closed(60_000).then((info) => {
      if (!this.closedByUs) this.endedByServer = true;
      return info;
    });
  }

  static async open(url: string): Promise<FuzzingSession> {
    return new FuzzingSession(await RawWamp2Socket.connect(url));
  }

  async play(actions: readonly Action[], peers: readonly FuzzingSession[]): Promise<void> {
    for (const step of actions) {
      if (!this.socket.isOpen) return; // ended by the server for bad input: expected
      switch (step.kind) {
        case 'text':
          this.socket.send(this.resolve(step.text, peers));
          break;
        case 'binary':
          this.socket.ws.send(Buffer.from(step.data), { binary: true });
          break;
        case 'bytes':
          this.socket.ws.send(Buffer.from(step.data), { binary: false });
          break;
        case 'yield':
          await new Promise((resolve) => setImmediate(resolve));
          break;
      }
    }
  }

  /**
   * A session the server has not ended answers a CALL (all it sent before was handled first), or
   * is ended meanwhile (a CALL before WELCOME is a protocol violation). Returns what happened.
   */
  async barrier(request: number, token: string): Promise<'answered' | 'ended'> {
    if (!this.socket.isOpen || this.endedByServer) return 'ended';
    this.socket.send([CALL, request, {}, 'fuzz.rpc.echo', [token]]);
    const answer = await until(
      () => this.endedByServer || this.received.some((message) => isAnswerTo(message, request)),
      `a fuzzing session to answer CALL ${request} or to be ended`,
      5000,
    ).then(() => this.received.find((message) => isAnswerTo(message, request)) as unknown[] | undefined);
    if (!answer) return 'ended';
    // Its echo, or (with limits.callsInFlight calls of its own still running) the limit's refusal.
    if (answer[0] === ERROR) expect(answer.slice(0, 5)).toEqual([ERROR, CALL, request, {}, WampErrorUri.busy]);
    else expect(answer).toEqual([RESULT, request, {}, [[token]]]);
    return 'answered';
  }

  async close(): Promise<void> {
    this.closedByUs = !this.endedByServer;
    await this.socket.close();
  }

  private resolve(text: string, peers: readonly FuzzingSession[]): string {
    let resolved = text
      .replaceAll(JSON.stringify(LAST_SUBSCRIPTION), String(this.subscription))
      .replaceAll(JSON.stringify(LAST_REGISTRATION), String(this.registration))
      .replaceAll(JSON.stringify(LAST_INVOCATION), String(this.invocation));
    // A peer not welcomed (yet or ever) has no v2 id: an id no session has stands in.
    for (let n = 0; n < peers.length; n++) resolved = resolved.replaceAll(JSON.stringify(PEER(n)), String(peers[n].v2Id || MAX_ID));
    return resolved;
  }
}

function isAnswerTo(message: unknown, request: number): boolean {
  return (
    Array.isArray(message) &&
    ((message[0] === RESULT && message[1] === request) || (message[0] === ERROR && message[1] === CALL && message[2] === request))
  );
}

// --- the well-behaved sessions

/** A v1 session (nest-wamp's test client) and a v2 session (Autobahn|JS) subscribed to each other's checking topic. */
class WellBehaved {
  private readonly v2Events: unknown[] = [];

  private constructor(
    readonly v1: WampTestClient,
    readonly v2: V2SessionHandle,
  ) {}

  static async open(server: TestServer, auth: boolean): Promise<WellBehaved> {
    const v1 = await WampTestClient.connect(server.url);
    try {
      if (auth) await within(v1.authenticate(), 'anonymous WAMP-CRA');
      v1.subscribe(`${EV}feed.v1`, () => undefined);
      const v2 = await openV2Session(server.url, { realm: REALM, ...(auth ? { authmethods: ['anonymous'] } : {}) });
      const checker = new WellBehaved(v1, v2);
      await v2.session.subscribe('fuzz.ev.feed.v2', (args) => checker.v2Events.push(args?.[0]));
      await until(() => server.broker.subscribers(`${EV}feed.v1`).includes(v1.sessionId), 'the v1 checking subscription');
      return checker;
    } catch (error) {
      await v1.close();
      throw error;
    }
  }

  /** Calls, an error, and an event each way between the protocols, all answered right. */
  async check(token: string): Promise<void> {
    const { v1 } = this;
    const v2 = this.v2.session;
    expect(await within(v1.call(`${RPC}add`, 2, 3), 'v1 add')).toBe(5);
    expect(await within(v1.call(`${RPC}echo`, '__proto__', { constructor: 1 }), 'v1 echo')).toEqual(['__proto__', { constructor: 1 }]);
    const v1Failure = await within(v1.call(`${RPC}throws`), 'v1 throws').catch((error: unknown) => error);
    expect(v1Failure).toBeInstanceOf(WampCallError);
    expect((v1Failure as WampCallError).uri).toBe(WampErrorUri.internal);

    expect(await within(v2.call('fuzz.rpc.add', [2, 3]), 'v2 add')).toBe(5);
    expect(await within(v2.call('fuzz.rpc.kw', [], { token }), 'v2 kwargs')).toEqual({ token });
    expect(await within(v2.call('fuzz.rpc.async', [{ token }]), 'v2 async')).toEqual({ token });
    const v2Failure = await within(v2.call('fuzz.rpc.throws'), 'v2 throws').catch((error: unknown) => error);
    expect(v2Failure).toBeInstanceOf(autobahn.Error);
    expect((v2Failure as autobahn.Error).error).toBe('wamp.error.runtime_error');

    // v2 → v1 and v1 → v2.
    const acknowledged = v2.publish('fuzz.ev.feed.v1', [{ token }], {}, { acknowledge: true });
    await within(acknowledged ?? Promise.reject(new Error('no acknowledgement asked')), 'the v2 publication acknowledged');
    expect(await v1.nextEvent(`${EV}feed.v1`, 3000, (event) => (event as { token?: unknown })?.token === token)).toEqual({ token });
    v1.publish(`${EV}feed.v2`, { token });
    await until(() => this.v2Events.some((event) => (event as { token?: unknown })?.token === token), 'the v1 event at the v2 session');
  }

  async close(): Promise<void> {
    await Promise.all([this.v1.close(), this.v2.close()]);
  }
}

// --- the property

function fuzzProperty(server: () => TestServer, auth: boolean) {
  let round = 0;
  return fc.asyncProperty(run, async (plans) => {
    const app = server();
    const token = `run-${++round}`;
    const authenticator = app.app.get(WampEngine).authenticator as CraAuthenticator | undefined;
    const checker = await WellBehaved.open(app, auth);
    const sessions: FuzzingSession[] = [];
    try {
      sessions.push(...(await Promise.all(plans.map(() => FuzzingSession.open(app.url)))));
      // The well-behaved sessions are served while the fuzzing goes on...
      await Promise.all([...sessions.map((session, i) => session.play(plans[i], sessions)), checker.check(`${token}-during`)]);
      // ...every session the server kept still answers (after all it sent before)...
      const barrier = 2 ** 52 + round;
      await Promise.all(sessions.map((session) => session.barrier(barrier, token)));
      // ...and they are served right after it.
      await checker.check(`${token}-after`);
    } finally {
      await Promise.all([...sessions.map((session) => session.close()), checker.close()]);
    }
    // Every frame the server sent was a router's message, and every connection it closed, it closed with a defined code.
    for (const session of sessions) {
      for (const message of session.received) {
        expect(Array.isArray(message) && ROUTER_MESSAGES.includes(message[0] as number)).toBe(true);
      }
      const { code } = await session.closeInfo;
      if (session.endedByServer) expect(DEFINED_CLOSE_CODES).toContain(code);
    }
    await until(() => app.broker.stats().sessions === 0, 'every session gone', 5000);
    // The slow handler's results still to come are dropped; nothing else is held.
    await until(() => JSON.stringify(engineLeftovers(app)) === JSON.stringify(NOTHING_LEFT), 'the engine to hold nothing', 5000).catch(
      () => undefined,
    );
    expect(engineLeftovers(app)).toEqual(NOTHING_LEFT);
    const stats = app.broker.stats();
    expect(stats.sessionsOpened).toBe(stats.sessionsClosed);
    if (authenticator) expect(authenticator.pendingState).toEqual({ exchanges: 0, failures: 0, timers: 0 });
    expect(Object.keys(Object.prototype)).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(processFaults).toEqual([]);
  });
}

/** fast-check's report names the seed and path; the seed is printed once more, plainly, so that FUZZ_SEED can replay it. */
async function assertReplayable<Ts extends unknown[]>(property: fc.IAsyncProperty<Ts>): Promise<void> {
  const seed = SEED ?? Date.now() ^ (Math.random() * 0x1_0000_0000);
  try {
    await fc.assert(property, { numRuns: RUNS, seed });
  } catch (error) {
    console.error(`v2 fuzz failed: replay with FUZZ_SEED=${seed} npm run jest -- test/e2e/v2-fuzz.spec.ts`);
    throw error;
  }
}

describe(`WAMP v2 fuzz: ${SESSIONS} concurrent wamp.2.json sessions sending random frames (${RUNS} runs each)`, () => {
  describe('without auth', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startApp({ imports: [WampModule.forRoot(MODULE_OPTIONS)], providers: FuzzHandlers });
    });
    afterAll(() => server?.close());

    it(
      'the server stays healthy, serves v1 and v2 sessions right, and forgets every fuzzing session',
      async () => {
        await assertReplayable(fuzzProperty(() => server, false));
      },
      TIMEOUT_MS,
    );
  });

  describe('with auth (anonymous allowed, WAMP-CRA and tickets)', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startApp({
        imports: [
          WampModule.forRoot({
            ...MODULE_OPTIONS,
            auth: {
              allowAnonymous: true,
              failureDelayMs: 0,
              maxAttempts: 3,
              secret: async (authKey) => {
                await Promise.resolve();
                return authKey === 'user' ? 'secret' : null;
              },
              ticket: async (authKey, ticket) => {
                await Promise.resolve();
                return authKey === 'user' && ticket === 'ticket';
              },
              permissions: (authKey) =>
                authKey === null ? { rpc: true, subscribe: true, publish: true, register: { [`${USER}a`]: true } } : { all: true },
            },
          }),
        ],
        providers: FuzzHandlers,
      });
    });
    afterAll(() => server?.close());

    it(
      'the server stays healthy, serves v1 and v2 sessions right, forgets every fuzzing session and keeps no authentication state',
      async () => {
        await assertReplayable(fuzzProperty(() => server, true));
      },
      TIMEOUT_MS,
    );
  });
});
