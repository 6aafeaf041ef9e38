// Procedures WAMP v2 clients register: REGISTER/UNREGISTER, INVOCATION/YIELD/ERROR between a v2
// caller and a v2 callee (Autobahn|JS and raw frames), duplicates, permissions, callees and
// callers that go away, the bounds, and nothing left behind once the sessions are gone.
import { Injectable } from '@nestjs/common';
import autobahn from 'autobahn';
import { WampModule, WampRegistrationError, WampRegistry, WampRpc } from '../../src/index.js';
import { REGISTRATIONS_PER_SESSION } from '../../src/router/client-procedures.js';
import { openV2Session, type V2SessionHandle } from '../support/autobahn-v2.js';
import { clientProcedures } from '../support/engine-state.js';
import {
  CALL,
  CANCEL,
  ERROR,
  INVOCATION,
  RawV2Session,
  REGISTER,
  REGISTERED,
  RESULT,
  UNREGISTER,
  UNREGISTERED,
  YIELD,
} from '../support/raw-v2-session.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { until } from '../support/until.js';

const USER = 'http://example.com/user#';
const CALLEE = { [`${USER}*`]: true };

@Injectable()
class ServerProcedures {
  @WampRpc('http://example.com/rpc#taken', { v2: 'com.example.taken' })
  taken() {
    return 'server';
  }
}

describe('procedures WAMP v2 clients register', () => {
  let server: TestServer;
  const sessions: RawV2Session[] = [];
  const autobahns: V2SessionHandle[] = [];

  /** A raw v2 session; `token` picks its rights (see the handshake below). */
  async function join(token = 'callee'): Promise<RawV2Session> {
    const session = await RawV2Session.join(`${server.url}?token=${token}`);
    sessions.push(session);
    return session;
  }

  async function autobahnSession(token = 'callee'): Promise<autobahn.Session> {
    const handle = await openV2Session(`${server.url}?token=${token}`, { realm: 'realm1' });
    autobahns.push(handle);
    return handle.session;
  }

  beforeAll(async () => {
    server = await startApp({
      imports: [
        WampModule.forRoot({
          v2: { realm: 'realm1', uris: [{ v1: `${USER}*`, v2: 'com.example.user.*' }] },
          auth: {
            handshake: (request) => {
              const token = new URL(request.url ?? '/', 'http://localhost').searchParams.get('token');
              if (token === 'callee') return { authKey: 'callee', permissions: { rpc: true, register: CALLEE } };
              if (token === 'caller') return { authKey: 'caller', permissions: { rpc: true } };
              if (token === 'admin') return { authKey: 'admin', permissions: { all: true } };
              return { authKey: 'nobody', permissions: { rpc: { 'http://example.com/rpc#*': true } } };
            },
            permissions: () => ({}),
          },
          limits: { callsInFlight: 2 },
        }),
      ],
      providers: [ServerProcedures],
    });
  });
  afterEach(async () => {
    await Promise.all([...sessions.splice(0).map((session) => session.close()), ...autobahns.splice(0).map((handle) => handle.close())]);
    // Every test leaves nothing behind once its sessions are gone.
    await until(() => server.broker.sessions().length === 0, 'the sessions to be gone');
    expect(clientProcedures(server).registrationCount).toBe(0);
    expect(clientProcedures(server).pendingInvocationCount).toBe(0);
  });
  afterAll(() => server.close());

  it('serves an Autobahn|JS callee to an Autobahn|JS caller: results, keyword results, errors', async () => {
    const callee = await autobahnSession();
    await callee.register('com.example.user.add', (args) => (args[0] as number) + (args[1] as number));
    await callee.register('com.example.user.pair', (args, kwargs) => new autobahn.Result([args.length, 'two'], { got: kwargs }));
    await callee.register('com.example.user.refuse', () => {
      throw new autobahn.Error('com.example.user.refused', ['no'], { code: 7 });
    });
    const caller = await autobahnSession('caller');
    expect(await caller.call('com.example.user.add', [2, 3])).toBe(5);
    const pair = await caller.call<autobahn.Result>('com.example.user.pair', [1], { k: 'v' });
    expect({ args: pair.args, kwargs: pair.kwargs }).toEqual({ args: [1, 'two'], kwargs: { got: { k: 'v' } } });
    await expect(caller.call('com.example.user.refuse')).rejects.toMatchObject({
      error: 'com.example.user.refused',
      args: ['no'],
      kwargs: { code: 7 },
    });
  });

  it('speaks the Basic Profile on the wire: REGISTERED, INVOCATION with session-scoped ids, YIELD → RESULT, ERROR → ERROR', async () => {
    const callee = await join();
    const registration = await callee.registered('com.example.user.echo');
    const caller = await join('caller');

    const first = caller.call('com.example.user.echo', [1, 2], { a: 1 });
    expect(await callee.nextInvocation()).toEqual([INVOCATION, 1, registration, {}, [1, 2], { a: 1 }]);
    const second = caller.call('com.example.user.echo');
    expect(await callee.nextInvocation()).toEqual([INVOCATION, 2, registration, {}]);

    callee.send([YIELD, 2, {}, [], { only: 'kwargs' }]);
    expect(await caller.answerTo(second)).toEqual([RESULT, second, {}, [], { only: 'kwargs' }]);
    callee.send([ERROR, INVOCATION, 1, {}, 'com.example.user.bad', ['bad input'], { field: 'a' }]);
    expect(await caller.answerTo(first)).toEqual([ERROR, CALL, first, {}, 'com.example.user.bad', ['bad input'], { field: 'a' }]);

    const third = caller.call('com.example.user.echo', ['x']);
    expect(await callee.nextInvocation()).toEqual([INVOCATION, 3, registration, {}, ['x']]);
    callee.send([YIELD, 3, {}]);
    expect(await caller.answerTo(third)).toEqual([RESULT, third, {}]);

    // Answers to invocations the callee does not have pending are ignored; the session goes on.
    callee.send([YIELD, 3, {}, ['again']]);
    callee.send([ERROR, INVOCATION, 99, {}, 'com.example.user.bad']);
    expect(await caller.callAndWait('com.example.taken')).toEqual([RESULT, expect.any(Number), {}, ['server']]);
    expect(callee.socket.isOpen).toBe(true);
  });

  it('refuses a URI registered already, by a client or by the server, and pattern or shared registrations', async () => {
    const first = await join();
    const second = await join();
    await first.registered('com.example.user.one');
    expect(await second.register('com.example.user.one')).toEqual([
      ERROR,
      REGISTER,
      1,
      {},
      'wamp.error.procedure_already_exists',
      ['com.example.user.one is registered already'],
    ]);
    expect((await first.register('com.example.user.one'))[4]).toBe('wamp.error.procedure_already_exists');
    // The server's procedure, by its v2 name, for a session that may register anything.
    const admin = await join('admin');
    expect((await admin.register('com.example.taken'))[4]).toBe('wamp.error.procedure_already_exists');
    expect((await second.register('com.example.user.many', { match: 'prefix' }))[4]).toBe('wamp.error.option_not_allowed');
    expect((await second.register('com.example.user.many', { invoke: 'roundrobin' }))[4]).toBe('wamp.error.option_not_allowed');
  });

  it('refuses WampRegistry.addProcedure of a URI a client holds, naming the client, instead of shadowing its procedure', async () => {
    const registry = server.app.get(WampRegistry);
    const callee = await join();
    const registration = await callee.registered('com.example.user.dynamic');
    const uri = `${USER}dynamic`;
    expect(() => registry.addProcedure(uri, () => 'server')).toThrow(WampRegistrationError);
    expect(() => registry.addProcedure(uri, () => 'server')).toThrow(
      `WAMP procedure "${uri}" is registered twice: by a WAMP v2 client (session ${callee.sessionId}, registration ${registration}) and by WampRegistry.addProcedure("${uri}")`,
    );
    // The client's procedure still answers.
    const caller = await join('caller');
    const call = caller.call('com.example.user.dynamic', ['x']);
    const [, request] = await callee.nextInvocation();
    callee.send([YIELD, request, {}, ['client']]);
    expect(await caller.answerTo(call)).toEqual([RESULT, call, {}, ['client']]);
    // Once the client lets it go, the server may take the URI.
    expect((await callee.unregister(registration))[0]).toBe(UNREGISTERED);
    registry.addProcedure(uri, () => 'server');
    try {
      expect(await caller.callAndWait('com.example.user.dynamic')).toEqual([RESULT, expect.any(Number), {}, ['server']]);
    } finally {
      registry.removeProcedure(uri);
    }
  });

  it('asks the register permission (by the server’s name of the URI) and the caller’s call permission', async () => {
    const nobody = await join('nobody');
    expect(await nobody.register('com.example.user.mine')).toEqual([
      ERROR,
      REGISTER,
      1,
      {},
      'wamp.error.not_authorized',
      ['not authorized to register com.example.user.mine'],
    ]);
    const callee = await join();
    expect((await callee.register('com.example.other.x'))[4]).toBe('wamp.error.not_authorized');
    await callee.registered('com.example.user.mine');
    // nobody may call http://example.com/rpc#* only: not this procedure, and it is not told it exists.
    expect((await nobody.callAndWait('com.example.user.mine'))[4]).toBe('wamp.error.not_authorized');
    expect(callee.pending()).toEqual([]);
  });

  it('unregisters: UNREGISTERED, then no such procedure; unknown registrations; pending callers canceled', async () => {
    const callee = await join();
    const caller = await join('caller');
    const registration = await callee.registered('com.example.user.gone');
    const pending = caller.call('com.example.user.gone');
    await callee.nextInvocation();

    expect(await callee.unregister(registration)).toEqual([UNREGISTERED, 2]);
    expect(await caller.answerTo(pending)).toEqual([
      ERROR,
      CALL,
      pending,
      {},
      'wamp.error.canceled',
      ['the callee unregistered the procedure'],
    ]);
    expect((await caller.callAndWait('com.example.user.gone'))[4]).toBe('wamp.error.no_such_procedure');
    expect(await callee.unregister(registration)).toEqual([
      ERROR,
      UNREGISTER,
      3,
      {},
      'wamp.error.no_such_registration',
      ['no such registration of this session'],
    ]);
    // Another session's registration is not this one's to end.
    const other = await join();
    const others = await other.registered('com.example.user.others');
    expect((await callee.unregister(others))[4]).toBe('wamp.error.no_such_registration');
    const call = caller.call('com.example.user.others', [1]);
    const [, request] = await other.nextInvocation();
    other.send([YIELD, request, {}, ['still there']]);
    expect(await caller.answerTo(call)).toEqual([RESULT, call, {}, ['still there']]);
  });

  it('cancels the calls waiting for a callee that leaves, and frees its URI', async () => {
    const callee = await join();
    const caller = await join('caller');
    await callee.registered('com.example.user.leaving');
    const pending = caller.call('com.example.user.leaving');
    await callee.nextInvocation();
    await callee.close();
    expect(await caller.answerTo(pending)).toEqual([ERROR, CALL, pending, {}, 'wamp.error.canceled', ['the callee left']]);
    expect((await caller.callAndWait('com.example.user.leaving'))[4]).toBe('wamp.error.no_such_procedure');
    const successor = await join();
    expect(await successor.register('com.example.user.leaving')).toEqual([REGISTERED, 1, expect.any(Number)]);
  });

  it('forgets the invocations of a caller that leaves: the callee’s late YIELD is ignored', async () => {
    const callee = await join();
    const caller = await join('caller');
    await callee.registered('com.example.user.slow');
    caller.call('com.example.user.slow');
    const [, request] = await callee.nextInvocation();
    expect(clientProcedures(server).pendingInvocationCount).toBe(1);
    await caller.close();
    await until(() => clientProcedures(server).pendingInvocationCount === 0, 'the invocation to be forgotten');
    callee.send([YIELD, request, {}, ['too late']]);
    const next = await join('caller');
    const call = next.call('com.example.user.slow', ['again']);
    const [, nextRequest] = await callee.nextInvocation();
    expect(nextRequest).toBe((request as number) + 1);
    callee.send([YIELD, nextRequest, {}, ['in time']]);
    expect(await next.answerTo(call)).toEqual([RESULT, call, {}, ['in time']]);
  });

  it('answers a caller’s CANCEL at once and forgets the invocation (no INTERRUPT: the callee’s YIELD is ignored)', async () => {
    const callee = await join();
    const caller = await join('caller');
    await callee.registered('com.example.user.cancelable');
    const call = caller.call('com.example.user.cancelable');
    const [, request] = await callee.nextInvocation();
    caller.send([CANCEL, call, { mode: 'kill' }]);
    expect(await caller.answerTo(call)).toEqual([ERROR, CALL, call, {}, 'wamp.error.canceled', ['canceled by the caller']]);
    expect(clientProcedures(server).pendingInvocationCount).toBe(0);
    callee.send([YIELD, request, {}, ['too late']]);
    expect((await caller.callAndWait('com.example.taken'))[0]).toBe(RESULT);
    expect(caller.pending()).toEqual([]);
  });

  it('bounds the invocations waiting for one callee (limits.callsInFlight) and the registrations of a session', async () => {
    const callee = await join();
    await callee.registered('com.example.user.busy');
    const [one, two] = [await join('caller'), await join('caller')];
    one.call('com.example.user.busy');
    one.call('com.example.user.busy');
    await callee.nextInvocation();
    await callee.nextInvocation();
    const refused = two.call('com.example.user.busy');
    expect(await two.answerTo(refused)).toEqual([
      ERROR,
      CALL,
      refused,
      {},
      'http://api.wamp.ws/error#busy',
      ['the callee has 2 calls in flight'],
    ]);

    for (let i = 1; i < REGISTRATIONS_PER_SESSION; i++) callee.send([REGISTER, callee.nextRequest(), {}, `com.example.user.p${i}`]);
    expect((await callee.register('com.example.user.last'))[4]).toBe('http://api.wamp.ws/error#busy');
    expect(clientProcedures(server).registrationCount).toBe(REGISTRATIONS_PER_SESSION);
  });
});
