import { WampModule, type WampAuthOptions } from '../../src/index.js';
import { WampEngine } from '../../src/engine/wamp-engine.js';
import { RawWamp2Socket } from '../support/raw-wamp2-socket.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { until } from '../support/until.js';
import {
  ABORT,
  AUTHENTICATE,
  CALL,
  CHALLENGE,
  ERROR,
  EVENT,
  GOODBYE,
  HELLO,
  INVOCATION,
  PUBLISH,
  PUBLISHED,
  REGISTER,
  RESULT,
  SUBSCRIBE,
  WELCOME,
  YIELD,
  CLIENT_ROLES,
} from '../support/wamp2-codes.js';

const REALM = 'realm1';
const VIOLATION = 'wamp.error.protocol_violation';

const AUTH: WampAuthOptions = {
  secret: (authKey) => (authKey === 'guest' ? 'secret-password' : null),
  permissions: () => ({ rpc: true, subscribe: true, publish: true }),
  allowAnonymous: true,
  failureDelayMs: 0,
};

/** Where the session stands when the violating message is sent. */
type Phase = 'before HELLO' | 'challenged' | 'established';

/**
 * Each message a client may not send in `phase`, with the ABORT's message: every case of the
 * client rules (direction, state chart, the spec's protocol errors) and of the codec reachable over
 * the wire.
 */
const CASES: readonly {
  readonly phase: Phase;
  readonly what: string;
  readonly send: unknown[] | string;
  readonly message: string;
  readonly reason?: string;
}[] = [
  { phase: 'before HELLO', what: 'invalid JSON', send: '[1, "realm1", {', message: 'invalid JSON' },
  { phase: 'before HELLO', what: 'JSON that is not a list', send: '{"hello": 1}', message: 'a WAMP message is a non-empty list' },
  { phase: 'before HELLO', what: 'an empty list', send: [], message: 'a WAMP message is a non-empty list' },
  { phase: 'before HELLO', what: 'an unknown message type', send: [99, {}], message: 'unknown message type 99' },
  {
    phase: 'before HELLO',
    what: 'a message type that is not an integer',
    send: ['HELLO', REALM, {}],
    message: 'unknown message type of JSON type string',
  },
  {
    phase: 'before HELLO',
    what: 'HELLO without details',
    send: [HELLO, REALM],
    message: 'HELLO is [HELLO, Realm|uri, Details|dict]',
  },
  {
    phase: 'before HELLO',
    what: 'HELLO without roles',
    send: [HELLO, REALM, {}],
    message: 'HELLO.Details.roles must be a dict announcing at least one of publisher, subscriber, caller, callee',
  },
  {
    phase: 'before HELLO',
    what: 'HELLO with only router roles',
    send: [HELLO, REALM, { roles: { broker: {} } }],
    message: 'HELLO.Details.roles must announce at least one of publisher, subscriber, caller, callee',
  },
  {
    phase: 'before HELLO',
    what: 'HELLO with authmethods not a list of strings',
    send: [HELLO, REALM, { roles: CLIENT_ROLES, authmethods: 'wampcra' }],
    message: 'HELLO.Details.authmethods must be a list of strings',
  },
  {
    phase: 'before HELLO',
    what: 'HELLO with an authid that is not a string',
    send: [HELLO, REALM, { roles: CLIENT_ROLES, authid: 7 }],
    message: 'HELLO.Details.authid must be a string',
  },
  {
    phase: 'before HELLO',
    what: 'HELLO with an invalid realm URI',
    send: [HELLO, 'no spaces allowed', { roles: CLIENT_ROLES }],
    message: 'HELLO.Realm is not a valid URI (loose rule)',
    reason: 'wamp.error.invalid_uri',
  },
  {
    phase: 'before HELLO',
    what: 'a router-only message (WELCOME)',
    send: [WELCOME, 1, { roles: { broker: {} } }],
    message: 'WELCOME is sent by routers only',
  },
  {
    phase: 'before HELLO',
    what: 'a router-only message (CHALLENGE)',
    send: [CHALLENGE, 'wampcra', {}],
    message: 'CHALLENGE is sent by routers only',
  },
  {
    phase: 'before HELLO',
    what: 'AUTHENTICATE before HELLO',
    send: [AUTHENTICATE, 'signature', {}],
    message: 'AUTHENTICATE before the session was established (HELLO expected)',
  },
  {
    phase: 'before HELLO',
    what: 'GOODBYE before HELLO',
    send: [GOODBYE, {}, 'wamp.close.close_realm'],
    message: 'GOODBYE before the session was established (HELLO expected)',
  },
  {
    phase: 'before HELLO',
    what: 'CALL before HELLO',
    send: [CALL, 1, {}, 'app.rpc.x'],
    message: 'CALL before the session was established (HELLO expected)',
  },
  {
    phase: 'before HELLO',
    what: 'a request with an invalid URI before HELLO',
    send: [SUBSCRIBE, 1, {}, 'not a uri!'],
    message: 'SUBSCRIBE before the session was established (HELLO expected)',
  },
  {
    phase: 'before HELLO',
    what: 'ERROR before HELLO',
    send: [ERROR, INVOCATION, 1, {}, 'app.error.x'],
    message: 'ERROR before the session was established (HELLO expected)',
  },
  {
    phase: 'challenged',
    what: 'a CALL while authenticating',
    send: [CALL, 1, {}, 'app.rpc.x'],
    message: 'CALL while authenticating (AUTHENTICATE expected)',
  },
  {
    phase: 'challenged',
    what: 'a second HELLO while authenticating',
    send: [HELLO, REALM, { roles: CLIENT_ROLES }],
    message: 'HELLO while authenticating (AUTHENTICATE expected)',
  },
  {
    phase: 'challenged',
    what: 'GOODBYE while authenticating',
    send: [GOODBYE, {}, 'wamp.close.close_realm'],
    message: 'GOODBYE while authenticating (AUTHENTICATE expected)',
  },
  {
    phase: 'challenged',
    what: 'AUTHENTICATE without a signature',
    send: [AUTHENTICATE],
    message: 'AUTHENTICATE is [AUTHENTICATE, Signature|string, Extra|dict]',
  },
  { phase: 'challenged', what: 'a router-only message (RESULT)', send: [RESULT, 1, {}], message: 'RESULT is sent by routers only' },
  {
    phase: 'established',
    what: 'a second HELLO',
    send: [HELLO, REALM, { roles: CLIENT_ROLES }],
    message: 'HELLO after the session was established',
  },
  {
    phase: 'established',
    what: 'AUTHENTICATE without a CHALLENGE',
    send: [AUTHENTICATE, 'signature', {}],
    message: 'AUTHENTICATE without a CHALLENGE',
  },
  {
    phase: 'established',
    what: 'ERROR for a CALL',
    send: [ERROR, CALL, 1, {}, 'app.error.x'],
    message: 'ERROR for a CALL request: a client answers only INVOCATION',
  },
  {
    phase: 'established',
    what: 'ERROR for a PUBLISH',
    send: [ERROR, PUBLISH, 1, {}, 'app.error.x'],
    message: 'ERROR for a PUBLISH request: a client answers only INVOCATION',
  },
  { phase: 'established', what: 'a router-only message (EVENT)', send: [EVENT, 1, 2, {}], message: 'EVENT is sent by routers only' },
  {
    phase: 'established',
    what: 'a router-only message (PUBLISHED)',
    send: [PUBLISHED, 1, 2],
    message: 'PUBLISHED is sent by routers only',
  },
  {
    phase: 'established',
    what: 'a router-only message (INVOCATION)',
    send: [INVOCATION, 1, 2, {}],
    message: 'INVOCATION is sent by routers only',
  },
  {
    phase: 'established',
    what: 'a CALL without its URI',
    send: [CALL, 1, {}],
    message: 'CALL is [CALL, Request|id, Options|dict, Procedure|uri, Arguments|list?, ArgumentsKw|dict?]',
  },
  {
    phase: 'established',
    what: 'a request id that is not an id',
    send: [REGISTER, -1, {}, 'app.rpc.x'],
    message: 'REGISTER.Request must be an integer in [1, 2^53]',
  },
  { phase: 'established', what: 'YIELD with Arguments not a list', send: [YIELD, 1, {}, 'x'], message: 'YIELD.Arguments must be a list' },
  { phase: 'established', what: 'invalid JSON after WELCOME', send: '[48, 1, {}, "app.rpc.x"', message: 'invalid JSON' },
];

describe('WAMP v2 protocol violations: ABORT wamp.error.protocol_violation, then the connection is closed', () => {
  let server: TestServer;
  const sockets: RawWamp2Socket[] = [];

  beforeAll(async () => {
    server = await startApp({ imports: [WampModule.forRoot({ path: '/ws', v2: { realm: REALM }, auth: AUTH })] });
  });
  afterAll(() => server.close());

  afterEach(async () => {
    await Promise.all(sockets.splice(0).map((socket) => socket.close()));
    // Nothing is left of the aborted sessions.
    await until(() => server.broker.sessions().length === 0, 'every session to be gone');
    expect(server.app.get(WampEngine)['router2']!.opening.pendingState).toEqual({ deadlines: 0, goodbyes: 0, exchanges: 0 });
  });

  async function sessionIn(phase: Phase): Promise<RawWamp2Socket> {
    const socket = await RawWamp2Socket.connect(server.url);
    sockets.push(socket);
    if (phase === 'challenged') {
      socket.send([HELLO, REALM, { roles: CLIENT_ROLES, authmethods: ['wampcra'], authid: 'guest' }]);
      expect((await socket.next())[0]).toBe(CHALLENGE);
    } else if (phase === 'established') {
      socket.send([HELLO, REALM, { roles: CLIENT_ROLES }]);
      expect((await socket.next())[0]).toBe(WELCOME);
    }
    return socket;
  }

  /** The ABORT and the close a violation gets, and the refusal counted as v1's malformed frames are. */
  async function expectAborted(socket: RawWamp2Socket, message: string, reason = VIOLATION, malformedBefore: number): Promise<void> {
    expect(await socket.next()).toEqual([ABORT, { message }, reason]);
    expect(await socket.closed()).toEqual({ code: 1002, reason: 'protocol violation' });
    expect(socket.pending()).toEqual([]);
    expect(server.broker.stats().refused.malformed).toBe(malformedBefore + 1);
  }

  it.each(CASES)('$phase: $what', async ({ phase, send, message, reason }) => {
    const socket = await sessionIn(phase);
    const malformed = server.broker.stats().refused.malformed;
    socket.send(send);
    await expectAborted(socket, message, reason, malformed);
  });

  it.each(['before HELLO', 'established'] as const)('%s: a binary frame', async (phase) => {
    const socket = await sessionIn(phase);
    const malformed = server.broker.stats().refused.malformed;
    socket.ws.send(Buffer.from(JSON.stringify([HELLO, REALM, { roles: CLIENT_ROLES }])), { binary: true });
    await expectAborted(socket, 'binary frames are not wamp.2.json', VIOLATION, malformed);
  });

  it('counts a session aborted for a violation as closed', async () => {
    const before = server.broker.stats().sessionsClosed;
    const socket = await sessionIn('established');
    socket.send([HELLO, REALM, { roles: CLIENT_ROLES }]);
    expect((await socket.next())[0]).toBe(ABORT);
    await socket.closed();
    await until(() => server.broker.stats().sessionsClosed === before + 1, 'the session to be counted closed');
  });
});
