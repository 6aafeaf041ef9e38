// Calls across protocols: v1 clients (WampTestClient) calling procedures v2 clients registered,
// by their v1 names, with results and errors in v1 form; and v2 clients (Autobahn|JS) calling a
// v1 application's @WampRpc handlers, unchanged but for the v2 names.
import { Injectable } from '@nestjs/common';
import autobahn from 'autobahn';
import { WampErrorUri, WampException, WampModule, WampRpc } from '../../src/index.js';
import { WampTestClient } from '../../src/testing/index.js';
import { openV2Session, type V2SessionHandle } from '../support/autobahn-v2.js';
import { clientProcedures } from '../support/engine-state.js';
import { ERROR, INVOCATION, RawV2Session, YIELD } from '../support/raw-v2-session.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { until } from '../support/until.js';

const RPC = 'http://example.com/rpc#';
const USER = 'http://example.com/user#';
const ERR = 'http://example.com/error#';

/** A v1 application's procedures, as they were before v2 came. */
@Injectable()
class Calculator {
  @WampRpc(`${RPC}add`)
  add(a: number, b: number) {
    return a + b;
  }

  @WampRpc(`${RPC}divide`)
  divide(a: number, b: number) {
    if (b === 0) throw new WampException(`${ERR}division-by-zero`, 'cannot divide by zero', { a });
    return a / b;
  }
}

describe('calls between v1 and v2 clients', () => {
  let server: TestServer;
  const v1Clients: WampTestClient[] = [];
  const v2Sessions: RawV2Session[] = [];
  const autobahns: V2SessionHandle[] = [];

  async function v1(token: string): Promise<WampTestClient> {
    const client = await WampTestClient.connect(`${server.url}?token=${token}`);
    v1Clients.push(client);
    return client;
  }

  async function v2(token = 'member'): Promise<RawV2Session> {
    const session = await RawV2Session.join(`${server.url}?token=${token}`);
    v2Sessions.push(session);
    return session;
  }

  beforeAll(async () => {
    server = await startApp({
      imports: [
        WampModule.forRoot({
          v2: {
            realm: 'realm1',
            uris: [
              { v1: `${RPC}*`, v2: 'com.example.rpc.*' },
              { v1: `${USER}*`, v2: 'com.example.user.*' },
              { v1: `${ERR}*`, v2: 'com.example.error.*' },
            ],
          },
          auth: {
            handshake: (request) => {
              const token = new URL(request.url ?? '/', 'http://localhost').searchParams.get('token');
              if (token === 'member') return { authKey: 'member', permissions: { rpc: true, register: { [`${USER}*`]: true } } };
              return { authKey: 'guest', permissions: { rpc: { [`${RPC}*`]: true } } };
            },
            permissions: () => ({}),
          },
        }),
      ],
      providers: [Calculator],
    });
  });
  afterEach(async () => {
    await Promise.all([
      ...v1Clients.splice(0).map((client) => client.close()),
      ...v2Sessions.splice(0).map((session) => session.close()),
      ...autobahns.splice(0).map((handle) => handle.close()),
    ]);
    await until(() => server.broker.sessions().length === 0, 'the sessions to be gone');
    const procedures = clientProcedures(server);
    expect([procedures.registrationCount, procedures.pendingInvocationCount]).toEqual([0, 0]);
  });
  afterAll(() => server.close());

  it('lets a v1 client call an Autobahn|JS callee by the v1 name: first argument, or kwargs when there are none', async () => {
    const handle = await openV2Session(`${server.url}?token=member`, { realm: 'realm1' });
    autobahns.push(handle);
    const { session } = handle;
    await session.register('com.example.user.add', (args) => (args[0] as number) + (args[1] as number));
    await session.register('com.example.user.many', (args) => new autobahn.Result([args[0], 'ignored'], { ignored: true }));
    await session.register('com.example.user.named', (_args, kwargs) => new autobahn.Result([], { echoed: kwargs }));
    await session.register('com.example.user.nothing', () => undefined);

    const client = await v1('member');
    const before = server.broker.stats().calls.result;
    expect(await client.call(`${USER}add`, 2, 3)).toBe(5);
    expect(await client.call(`${USER}many`, 'first')).toBe('first');
    expect(await client.call(`${USER}named`)).toEqual({ echoed: {} });
    expect(await client.call(`${USER}nothing`)).toBeNull();
    expect(server.broker.stats().calls.result - before).toBe(4);
  });

  it('gives a v1 caller the callee’s error as CALLERROR: URI by its v1 name, desc and details from the arguments', async () => {
    const handle = await openV2Session(`${server.url}?token=member`, { realm: 'realm1' });
    autobahns.push(handle);
    const { session } = handle;
    await session.register('com.example.user.refuse', () => {
      throw new autobahn.Error('com.example.error.refused', ['not now', { retry: 5 }]);
    });
    await session.register('com.example.user.crash', () => {
      throw new TypeError('boom');
    });
    const client = await v1('member');
    await expect(client.call(`${USER}refuse`)).rejects.toMatchObject({ uri: `${ERR}refused`, desc: 'not now', details: { retry: 5 } });
    // Autobahn sends a plain exception as wamp.error.runtime_error: a v1 caller sees error#internal.
    await expect(client.call(`${USER}crash`)).rejects.toMatchObject({ uri: WampErrorUri.internal });
  });

  it('passes keyword-only errors as details, and a non-string first argument leaves the URI as desc', async () => {
    const raw = await v2();
    await raw.registered('com.example.user.raw');
    const client = await v1('member');

    const keywordOnly = client.call(`${USER}raw`);
    const [, first] = await raw.nextInvocation();
    raw.send([ERROR, INVOCATION, first, {}, 'com.example.error.kw', [], { field: 'x' }]);
    await expect(keywordOnly).rejects.toMatchObject({ uri: `${ERR}kw`, desc: 'com.example.error.kw', details: { field: 'x' } });

    const numeric = client.call(`${USER}raw`);
    const [, second] = await raw.nextInvocation();
    raw.send([ERROR, INVOCATION, second, {}, 'com.example.error.num', [42]]);
    await expect(numeric).rejects.toMatchObject({ uri: `${ERR}num`, desc: 'com.example.error.num', details: 42 });
  });

  it('checks the v1 caller’s call permission: a caller without it gets error#unauthorized and the callee hears nothing', async () => {
    const handle = await openV2Session(`${server.url}?token=member`, { realm: 'realm1' });
    autobahns.push(handle);
    let invoked = 0;
    await handle.session.register('com.example.user.private', () => ++invoked);
    const guest = await v1('guest');
    await expect(guest.call(`${USER}private`)).rejects.toMatchObject({ uri: WampErrorUri.unauthorized });
    await expect(guest.call(`${USER}unknown`)).rejects.toMatchObject({ uri: WampErrorUri.unauthorized });
    const member = await v1('member');
    await expect(member.call(`${USER}unknown`)).rejects.toMatchObject({ uri: WampErrorUri.notFound });
    expect(await member.call(`${USER}private`)).toBe(1);
    expect(invoked).toBe(1);
  });

  it('cancels a v1 caller’s call when the v2 callee leaves (CALLERROR wamp.error.canceled)', async () => {
    const session = await v2();
    await session.registered('com.example.user.leaving');
    const client = await v1('member');
    const call = client.call(`${USER}leaving`, 1);
    expect(await session.nextInvocation()).toEqual([INVOCATION, 1, expect.any(Number), {}, [1]]);
    await session.close();
    await expect(call).rejects.toMatchObject({ uri: 'wamp.error.canceled', desc: 'the callee left' });
  });

  it('forgets a v1 caller’s invocations when it leaves', async () => {
    const session = await v2();
    await session.registered('com.example.user.slow');
    const client = await v1('member');
    void client.call(`${USER}slow`).catch(() => undefined);
    const [, request] = await session.nextInvocation();
    const procedures = clientProcedures(server);
    expect(procedures.pendingInvocationCount).toBe(1);
    await client.close();
    await until(() => procedures.pendingInvocationCount === 0, 'the invocation to be forgotten');
    session.send([YIELD, request, {}, ['late']]);
    expect(session.socket.isOpen).toBe(true);
  });

  it('lets a v2 client call a v1 application’s @WampRpc handlers by their v2 names, errors mapped', async () => {
    const handle = await openV2Session(`${server.url}?token=guest`, { realm: 'realm1' });
    autobahns.push(handle);
    const { session } = handle;
    expect(await session.call('com.example.rpc.add', [2, 3])).toBe(5);
    expect(await session.call('com.example.rpc.divide', [6, 3])).toBe(2);
    await expect(session.call('com.example.rpc.divide', [6, 0])).rejects.toMatchObject({
      error: 'com.example.error.division-by-zero',
      args: ['cannot divide by zero', { a: 6 }],
    });
    // The same handler, from v1, as before.
    const client = await v1('guest');
    await expect(client.call(`${RPC}divide`, 6, 0)).rejects.toMatchObject({ uri: `${ERR}division-by-zero`, details: { a: 6 } });
  });
});
