// WAMP v2 calls to the server's procedures (@WampRpc handlers and WampRegistry procedures): names
// mapped both ways, results and errors in v2 form, the permission check before existence, the
// Nest pipeline (guards, pipes, interceptors, filters) as for v1, and the v1 limits, counters and
// hooks. Autobahn|JS for what a real client sees, raw frames for the exact wire.
import {
  type ArgumentsHost,
  Catch,
  type CallHandler,
  type CanActivate,
  type ExceptionFilter,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
  ParseIntPipe,
  UseFilters,
  UseGuards,
  UseInterceptors,
  UsePipes,
} from '@nestjs/common';
import { map } from 'rxjs';
import {
  getWampInvocation,
  type OnWampCallError,
  type OnWampCallResult,
  type WampCallErrorInfo,
  type WampCallInvocation,
  WampArgs,
  WampCallId,
  WampException,
  WampKwargs,
  WampModule,
  type WampModuleOptions,
  WampRegistry,
  WampRpc,
  WampSession,
  type WampSession as Session,
} from '../../src/index.js';
import { randomBytes } from 'node:crypto';
import { RedisBackplane } from '../../src/redis/index.js';
import { openV2Session, type V2SessionHandle } from '../support/autobahn-v2.js';
import { describeWithRedis, REDIS_URL } from '../support/redis.js';
import { ABORT, CALL, CANCEL, ERROR, RawV2Session, RESULT } from '../support/raw-v2-session.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { until } from '../support/until.js';

const RPC = 'http://example.com/rpc#';
const ERR = 'http://example.com/error#';
const URIS = [
  { v1: `${RPC}*`, v2: 'com.example.rpc.*' },
  { v1: `${ERR}*`, v2: 'com.example.error.*' },
];

/** Refuses the argument 3. */
@Injectable()
class NotThree implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const invocation = getWampInvocation(context);
    return invocation.kind !== 'call' || invocation.args[0] !== 3;
  }
}

@Injectable()
class Tenfold implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler) {
    return next.handle().pipe(map((value) => (value as number) * 10));
  }
}

class Oops extends Error {}

@Catch(Oops)
class OopsToResult implements ExceptionFilter {
  catch(exception: Oops, host: ArgumentsHost) {
    return { filtered: exception.message, kind: getWampInvocation(host).kind };
  }
}

/** Calls that wait until the test answers them (through `WampBroker`). */
@Injectable()
class Parked {
  readonly calls: Array<{ sessionId: string; callId: string }> = [];

  @WampRpc(`${RPC}park`)
  park(@WampSession() session: Session, @WampCallId() callId: string): Promise<never> {
    this.calls.push({ sessionId: session.id, callId });
    return new Promise(() => {});
  }
}

@Injectable()
class Procedures implements OnWampCallResult, OnWampCallError {
  readonly results: Array<[string, string, unknown]> = [];
  readonly errors: Array<[string, string, WampCallErrorInfo]> = [];

  onWampCallResult(call: WampCallInvocation, result: unknown) {
    this.results.push([call.uri, call.callId, result]);
  }

  onWampCallError(call: WampCallInvocation, error: WampCallErrorInfo) {
    this.errors.push([call.uri, call.callId, error]);
  }

  @WampRpc(`${RPC}add`)
  add(a: number, b: number) {
    return a + b;
  }

  @WampRpc('http://example.com/math#mul', { v2: 'com.example.multiply' })
  multiply(a: number, b: number) {
    return a * b;
  }

  @WampRpc(`${RPC}kw`)
  kw(@WampArgs() args: unknown[], @WampKwargs() kwargs: Record<string, unknown>) {
    return { args, kwargs };
  }

  @WampRpc(`${RPC}nothing`)
  nothing() {
    return undefined;
  }

  @WampRpc(`${RPC}null`)
  nil() {
    return null;
  }

  @WampRpc(`${RPC}whoami`)
  whoami(@WampSession() session: Session) {
    return { v2Id: session.v2Id, protocol: session.protocolVersion };
  }

  @WampRpc(`${RPC}fail`)
  fail() {
    throw new Error('secret detail');
  }

  @WampRpc(`${RPC}refuse`)
  refuse() {
    throw new WampException(`${ERR}refused`, 'refused', { why: 'because' });
  }

  @WampRpc(`${RPC}foreign`)
  foreign() {
    throw new WampException('http://other.example/error#x', 'x');
  }

  @WampRpc(`${RPC}bigint`)
  bigint() {
    return 1n;
  }

  @WampRpc(`${RPC}guarded`)
  @UseGuards(NotThree)
  guarded(value: number) {
    return value;
  }

  @WampRpc(`${RPC}parsed`)
  @UsePipes(ParseIntPipe)
  parsed(value: number) {
    return value + 1;
  }

  @WampRpc(`${RPC}tenfold`)
  @UseInterceptors(Tenfold)
  tenfold(value: number) {
    return value;
  }

  @WampRpc(`${RPC}filtered`)
  @UseFilters(OopsToResult)
  filtered() {
    throw new Oops('caught');
  }
}

function appWith(options: WampModuleOptions): Promise<TestServer> {
  return startApp({
    imports: [WampModule.forRoot({ v2: { realm: 'realm1', uris: URIS }, ...options })],
    providers: [Procedures, Parked, NotThree, Tenfold],
  });
}

describe('WAMP v2 CALL to the server’s procedures', () => {
  let server: TestServer;
  const sessions: RawV2Session[] = [];
  const autobahns: V2SessionHandle[] = [];

  async function join(): Promise<RawV2Session> {
    const session = await RawV2Session.join(server.url);
    sessions.push(session);
    return session;
  }

  beforeAll(async () => {
    server = await appWith({ limits: { callsInFlight: 3 } });
    server.app.get(WampRegistry).addProcedure(`${RPC}runtime`, (call) => `runtime ${String(call.args[0])}`);
  });
  afterEach(async () => {
    await Promise.all([...sessions.splice(0).map((session) => session.close()), ...autobahns.splice(0).map((handle) => handle.close())]);
    server.app.get(Parked).calls.length = 0;
  });
  afterAll(() => server.close());

  it('serves Autobahn|JS: decorated and runtime procedures by their v2 names, results as one argument', async () => {
    const handle = await openV2Session(server.url, { realm: 'realm1' });
    autobahns.push(handle);
    const { session } = handle;
    expect(await session.call('com.example.rpc.add', [2, 3])).toBe(5);
    expect(await session.call('com.example.multiply', [4, 5])).toBe(20);
    expect(await session.call('com.example.rpc.runtime', ['x'])).toBe('runtime x');
    expect(await session.call('com.example.rpc.whoami')).toEqual({ v2Id: session.id, protocol: 2 });
    // The v1 URI is not a valid v2 URI; an unmapped name is the server's own.
    await expect(session.call('com.example.math.mul', [1, 2])).rejects.toMatchObject({ error: 'wamp.error.no_such_procedure' });
  });

  it('answers on the wire: RESULT [50, request, {}, [P]]; undefined → no Arguments; kwargs reach @WampKwargs()', async () => {
    const raw = await join();
    expect(await raw.callAndWait('com.example.rpc.add', [2, 3])).toEqual([RESULT, 1, {}, [5]]);
    expect(await raw.callAndWait('com.example.rpc.nothing')).toEqual([RESULT, 2, {}]);
    expect(await raw.callAndWait('com.example.rpc.null')).toEqual([RESULT, 3, {}, [null]]);
    expect(await raw.callAndWait('com.example.rpc.kw', [1, 2], { a: 'b' })).toEqual([
      RESULT,
      4,
      {},
      [{ args: [1, 2], kwargs: { a: 'b' } }],
    ]);
    expect(await raw.callAndWait('com.example.rpc.kw')).toEqual([RESULT, 5, {}, [{ args: [], kwargs: {} }]]);
  });

  it('maps errors to v2 names: desc (and details) as Arguments', async () => {
    const raw = await join();
    expect(await raw.callAndWait('com.example.rpc.fail')).toEqual([ERROR, CALL, 1, {}, 'wamp.error.runtime_error', ['internal error']]);
    expect(await raw.callAndWait('com.example.rpc.refuse')).toEqual([
      ERROR,
      CALL,
      2,
      {},
      'com.example.error.refused',
      ['refused', { why: 'because' }],
    ]);
    expect(await raw.callAndWait('com.example.rpc.foreign')).toEqual([ERROR, CALL, 3, {}, 'http://other.example/error#x', ['x']]);
    expect(await raw.callAndWait('com.example.rpc.none')).toEqual([
      ERROR,
      CALL,
      4,
      {},
      'wamp.error.no_such_procedure',
      ['not found error'],
    ]);
    expect(await raw.callAndWait('com.example.rpc.bigint')).toEqual([ERROR, CALL, 5, {}, 'wamp.error.runtime_error', ['internal error']]);
  });

  it('runs guards, pipes, interceptors and exception filters as for v1', async () => {
    const handle = await openV2Session(server.url, { realm: 'realm1' });
    autobahns.push(handle);
    const { session } = handle;
    expect(await session.call('com.example.rpc.guarded', [4])).toBe(4);
    await expect(session.call('com.example.rpc.guarded', [3])).rejects.toMatchObject({ error: 'wamp.error.not_authorized' });
    expect(await session.call('com.example.rpc.parsed', ['41'])).toBe(42);
    await expect(session.call('com.example.rpc.parsed', ['x'])).rejects.toMatchObject({ error: 'wamp.error.invalid_argument' });
    expect(await session.call('com.example.rpc.tenfold', [4])).toBe(40);
    expect(await session.call('com.example.rpc.filtered')).toEqual({ filtered: 'caught', kind: 'call' });
  });

  it('counts v2 calls by outcome and tells the call hooks, with the server’s names', async () => {
    const procedures = server.app.get(Procedures);
    const before = server.broker.stats().calls;
    procedures.results.length = 0;
    procedures.errors.length = 0;
    const raw = await join();
    await raw.callAndWait('com.example.rpc.add', [1, 1]);
    await raw.callAndWait('com.example.rpc.fail');
    await raw.callAndWait('com.example.rpc.none');
    const after = server.broker.stats().calls;
    expect(after.result - before.result).toBe(1);
    expect(after.internal - before.internal).toBe(1);
    expect(after['not-found'] - before['not-found']).toBe(1);
    expect(procedures.results).toEqual([[`${RPC}add`, '1', 2]]);
    expect(procedures.errors).toEqual([
      [`${RPC}fail`, '2', expect.objectContaining({ uri: 'http://api.wamp.ws/error#internal' })],
      [`${RPC}none`, '3', expect.objectContaining({ uri: 'http://api.wamp.ws/error#notfound' })],
    ]);
  });

  it('lets WampBroker (and its cluster view) answer a pending v2 call by the session’s v1 id and the request id', async () => {
    const parked = server.app.get(Parked);
    const raw = await join();
    const first = raw.call('com.example.rpc.park');
    const second = raw.call('com.example.rpc.park');
    await until(() => parked.calls.length === 2, 'two parked calls');
    expect(parked.calls.map((call) => call.callId)).toEqual([String(first), String(second)]);

    expect(server.broker.sendCallResult(parked.calls[0].sessionId, parked.calls[0].callId, { late: true })).toBe(true);
    expect(await raw.answerTo(first)).toEqual([RESULT, first, {}, [{ late: true }]]);
    expect(server.broker.sendCallResult(parked.calls[0].sessionId, parked.calls[0].callId, 'again')).toBe(false);
    expect(await server.broker.cluster.sendCallError(parked.calls[1].sessionId, parked.calls[1].callId, `${ERR}moved`, 'moved', [1])).toBe(
      true,
    );
    expect(await raw.answerTo(second)).toEqual([ERROR, CALL, second, {}, 'com.example.error.moved', ['moved', [1]]]);
  });

  it('refuses a call past limits.callsInFlight with error#busy, and forgets the pending calls of a closed session', async () => {
    const parked = server.app.get(Parked);
    const raw = await join();
    const refusedBefore = server.broker.stats().refused['calls-in-flight'];
    for (let i = 0; i < 3; i++) raw.call('com.example.rpc.park');
    await until(() => parked.calls.length === 3, 'three parked calls');
    const fourth = raw.call('com.example.rpc.park');
    expect(await raw.answerTo(fourth)).toEqual([ERROR, CALL, fourth, {}, 'http://api.wamp.ws/error#busy', ['more than 3 calls in flight']]);
    expect(server.broker.stats().refused['calls-in-flight']).toBe(refusedBefore + 1);

    await raw.close();
    await until(() => server.broker.session(parked.calls[0].sessionId) === undefined, 'the session to be gone');
    for (const call of parked.calls) expect(server.broker.sendCallResult(call.sessionId, call.callId, 'late')).toBe(false);
  });

  it('answers CANCEL of a pending call with ERROR wamp.error.canceled at once and drops its result', async () => {
    const parked = server.app.get(Parked);
    const raw = await join();
    const request = raw.call('com.example.rpc.park');
    await until(() => parked.calls.length === 1, 'the parked call');
    raw.send([CANCEL, request, { mode: 'skip' }]);
    expect(await raw.answerTo(request)).toEqual([ERROR, CALL, request, {}, 'wamp.error.canceled', ['canceled by the caller']]);
    expect(server.broker.sendCallResult(parked.calls[0].sessionId, parked.calls[0].callId, 'late')).toBe(false);
    // A CANCEL for a call no longer pending is ignored: the next answer is the next call's.
    raw.send([CANCEL, request, {}]);
    expect(await raw.callAndWait('com.example.rpc.add', [1, 2])).toEqual([RESULT, request + 1, {}, [3]]);
  });

  it('aborts a session that reuses the request id of a call in flight (protocol violation)', async () => {
    const parked = server.app.get(Parked);
    const raw = await join();
    raw.send([CALL, 1, {}, 'com.example.rpc.park']);
    await until(() => parked.calls.length === 1, 'the parked call');
    raw.send([CALL, 1, {}, 'com.example.rpc.add', [1, 2]]);
    const abort = await raw.nextMatching((frame) => frame[0] === ABORT, 'ABORT');
    expect(abort).toEqual([ABORT, { message: expect.stringContaining('still in flight') }, 'wamp.error.protocol_violation']);
    expect((await raw.socket.closed()).code).toBe(1002);
  });
});

describe('WAMP v2 CALL with permissions and a rate limit', () => {
  let server: TestServer;
  const sessions: RawV2Session[] = [];

  async function join(token: string): Promise<RawV2Session> {
    const session = await RawV2Session.join(`${server.url}?token=${token}`);
    sessions.push(session);
    return session;
  }

  beforeAll(async () => {
    server = await appWith({
      auth: {
        allowAnonymous: true,
        handshake: (request) => {
          const token = new URL(request.url ?? '/', 'http://localhost').searchParams.get('token');
          return token === 'full' ? { authKey: 'full', permissions: { all: true } } : { authKey: 'limited', permissions: LIMITED };
        },
        permissions: () => LIMITED,
      },
      limits: { rate: { messagesPerSecond: 0.001, burst: 4, onExceed: 'drop' } },
    });
  });
  afterEach(() => Promise.all(sessions.splice(0).map((session) => session.close())));
  afterAll(() => server.close());

  const LIMITED = { rpc: { [`${RPC}add`]: true, [`${RPC}missing`]: true } };

  it('checks the permission before existence: not_authorized, then no_such_procedure', async () => {
    const limited = await join('limited');
    expect(await limited.callAndWait('com.example.rpc.add', [1, 2])).toEqual([RESULT, 1, {}, [3]]);
    expect((await limited.callAndWait('com.example.rpc.fail'))[4]).toBe('wamp.error.not_authorized');
    expect((await limited.callAndWait('com.example.rpc.unknown'))[4]).toBe('wamp.error.not_authorized');
    expect((await limited.callAndWait('com.example.rpc.missing'))[4]).toBe('wamp.error.no_such_procedure');
  });

  it('applies limits.rate to CALLs (drop: ERROR error#busy, the session goes on)', async () => {
    const full = await join('full');
    const rateLimitedBefore = server.broker.stats().refused['rate-limited'];
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await full.callAndWait('com.example.rpc.add', [i, 1]));
    expect(answers.slice(0, 4).map((answer) => answer[0])).toEqual([RESULT, RESULT, RESULT, RESULT]);
    expect(answers[4]).toEqual([ERROR, CALL, 5, {}, 'http://api.wamp.ws/error#busy', ['message rate exceeded']]);
    expect(server.broker.stats().refused['rate-limited']).toBe(rateLimitedBefore + 1);
    expect(full.socket.isOpen).toBe(true);
  });
});

const describeRedis = await describeWithRedis();

describeRedis('WAMP v2 calls answered from another instance (WampBroker.cluster over Redis)', () => {
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    const channelPrefix = `v2-rpc-${randomBytes(4).toString('hex')}`;
    [a, b] = await Promise.all([
      appWith({ backplane: new RedisBackplane({ url: REDIS_URL, channelPrefix }) }),
      appWith({ backplane: new RedisBackplane({ url: REDIS_URL, channelPrefix }) }),
    ]);
  });
  afterAll(() => Promise.all([a?.close(), b?.close()]));

  it('answers a v2 caller on instance b from instance a, once', async () => {
    const raw = await RawV2Session.join(b.url);
    const parked = b.app.get(Parked);
    const request = raw.call('com.example.rpc.park');
    await until(() => parked.calls.length === 1, 'the parked call');
    const [{ sessionId, callId }] = parked.calls;
    // Until a hears b's answers (b's request channel is subscribed a moment after it starts).
    await until(async () => (await a.broker.cluster.sessions()).some((session) => session.id === sessionId), 'a to see the session on b');
    expect(a.broker.sendCallResult(sessionId, callId, 'local only')).toBe(false);
    expect(await a.broker.cluster.sendCallResult(sessionId, callId, { from: 'a' })).toBe(true);
    expect(await raw.answerTo(request)).toEqual([RESULT, request, {}, [{ from: 'a' }]]);
    expect(await a.broker.cluster.sendCallResult(sessionId, callId, 'again')).toBe(false);
    await raw.close();
  });
});
