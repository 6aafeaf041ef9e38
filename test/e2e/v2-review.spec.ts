// Findings of the review of the WAMP v2 router, each pinned over real sockets by a test that
// failed before its fix.
import { Injectable } from '@nestjs/common';
import { WampCallId, WampModule, WampRpc, type WampModuleOptions, type WampTraceEntry } from '../../src/index.js';
import { MASKED } from '../../src/transport/frame-trace.js';
import { ABORT, CALL, CANCEL, ERROR, RawV2Session, RESULT } from '../support/raw-v2-session.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { deferred, until } from '../support/until.js';

const GOODBYE = 6;
const PUBLISH = 16;
const PUBLISHED = 17;
const SUBSCRIBE = 32;
const SUBSCRIBED = 33;
const UNSUBSCRIBE = 34;

const BUSY = 'http://api.wamp.ws/error#busy';

/** A procedure whose calls wait until the test releases them. */
@Injectable()
class Held {
  readonly waiting = new Map<string, (value: unknown) => void>();

  @WampRpc('urn:held', { v2: 'com.example.held' })
  held(@WampCallId() callId: string): Promise<unknown> {
    const { promise, resolve } = deferred<unknown>();
    this.waiting.set(callId, resolve);
    return promise;
  }

  @WampRpc('urn:login', { v2: 'com.example.login' })
  login(_user: string, _password: string): string {
    return 'welcome';
  }
}

function appWith(options: WampModuleOptions): Promise<TestServer> {
  return startApp({ imports: [WampModule.forRoot({ topics: { 'urn:news': true }, ...options })], providers: [Held] });
}

describe('WAMP v2 review', () => {
  let server: TestServer | undefined;
  const sessions: RawV2Session[] = [];

  async function join(): Promise<RawV2Session> {
    const session = await RawV2Session.join(server!.url);
    sessions.push(session);
    return session;
  }

  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((session) => session.close()));
    if (server) {
      await until(() => server!.broker.sessions().length === 0, 'the sessions to be gone');
      await server.close();
      server = undefined;
    }
  });

  it('keeps a canceled call in limits.callsInFlight while its handler runs, and drops its result', async () => {
    server = await appWith({ limits: { callsInFlight: 1 } });
    const held = server.app.get(Held);
    const raw = await join();
    const first = raw.call('com.example.held');
    await until(() => held.waiting.has(String(first)), 'the first call to run');
    raw.send([CANCEL, first, {}]);
    expect(await raw.answerTo(first)).toEqual([ERROR, CALL, first, {}, 'wamp.error.canceled', ['canceled by the caller']]);
    // Its handler still runs: a second call would be a second one in flight.
    const second = raw.call('com.example.held');
    expect(await raw.answerTo(second)).toEqual([ERROR, CALL, second, {}, BUSY, ['more than 1 calls in flight']]);
    expect(held.waiting.size).toBe(1);
    // Once the handler is done, its result goes nowhere and the place is free again.
    held.waiting.get(String(first))!('late');
    const third = raw.call('com.example.held');
    await until(() => held.waiting.has(String(third)), 'the third call to run');
    held.waiting.get(String(third))!('third');
    expect(await raw.answerTo(third)).toEqual([RESULT, third, {}, ['third']]);
    expect(raw.pending()).toEqual([]);
  });

  it('answers a canceled call once, however often it is canceled; an answer from WampBroker then ends it, unsent', async () => {
    server = await appWith({ limits: { callsInFlight: 1 } });
    const held = server.app.get(Held);
    const raw = await join();
    const [v1Id] = server.broker.sessions().map((session) => session.id);
    const first = raw.call('com.example.held');
    await until(() => held.waiting.has(String(first)), 'the call to run');
    raw.send([CANCEL, first, {}]);
    raw.send([CANCEL, first, {}]);
    expect((await raw.answerTo(first))[4]).toBe('wamp.error.canceled');
    // The second CANCEL did not free its place.
    const second = raw.call('com.example.held');
    expect((await raw.answerTo(second))[4]).toBe(BUSY);
    // The application answers it (as a handler would): nothing is sent, and its place is free.
    expect(server.broker.sendCallResult(v1Id, String(first), 'too late')).toBe(false);
    expect(await raw.callAndWait('com.example.login', ['a', 'b'])).toEqual([RESULT, 3, {}, ['welcome']]);
    expect(raw.pending()).toEqual([]);
  });

  it('applies limits.rate to SUBSCRIBE and PUBLISH too (drop: ERROR busy for requests that get an answer)', async () => {
    server = await appWith({ limits: { rate: { messagesPerSecond: 0.001, burst: 2, onExceed: 'drop' } } });
    const raw = await join();
    raw.send([SUBSCRIBE, raw.nextRequest(), {}, 'urn:news']);
    expect((await raw.next())[0]).toBe(SUBSCRIBED);
    raw.send([PUBLISH, raw.nextRequest(), { acknowledge: true }, 'urn:news', [1]]);
    expect((await raw.next())[0]).toBe(PUBLISHED);
    const publish = raw.nextRequest();
    raw.send([PUBLISH, publish, { acknowledge: true }, 'urn:news', [2]]);
    expect(await raw.next()).toEqual([ERROR, PUBLISH, publish, {}, BUSY, ['message rate exceeded']]);
    const subscribe = raw.nextRequest();
    raw.send([SUBSCRIBE, subscribe, {}, 'urn:other']);
    expect(await raw.next()).toEqual([ERROR, SUBSCRIBE, subscribe, {}, BUSY, ['message rate exceeded']]);
    expect(server.broker.stats().refused['rate-limited']).toBe(2);
  });

  it('applies limits.rate to PUBLISH without acknowledge (close: the session is ended)', async () => {
    server = await appWith({ limits: { rate: { messagesPerSecond: 0.001, burst: 2 } }, shutdownGraceMs: 0 });
    const raw = await join();
    for (let n = 0; n < 3; n++) raw.send([PUBLISH, raw.nextRequest(), {}, 'urn:news', [n]]);
    expect((await raw.socket.closed()).code).toBe(1008);
    expect(server.broker.stats().refused['rate-limited']).toBe(1);
  });

  it('ends a session whose CALL reuses a request id in flight with ABORT alone, at once (no GOODBYE)', async () => {
    server = await appWith({ shutdownGraceMs: 60_000 });
    const held = server.app.get(Held);
    const raw = await join();
    const request = raw.call('com.example.held');
    await until(() => held.waiting.has(String(request)), 'the call to run');
    raw.send([CALL, request, {}, 'com.example.login', ['a', 'b']]);
    expect((await raw.socket.closed()).code).toBe(1002);
    const frames = raw.pending() as unknown[][];
    expect(frames.map((frame) => frame[0])).toEqual([ABORT]);
    expect(frames[0][2]).toBe('wamp.error.protocol_violation');
    expect(frames.some((frame) => frame[0] === GOODBYE)).toBe(false);
  });

  it('ends the prefix subscriptions and registrations that new rights no longer allow (WampBroker.setPermissions)', async () => {
    server = await appWith({
      topics: { 'urn:feed/*': true },
      auth: { handshake: () => ({ authKey: 'user', permissions: { all: true } }), permissions: () => ({}) },
    });
    const [subject, caller] = [await join(), await join()];
    const subscribe = subject.nextRequest();
    subject.send([SUBSCRIBE, subscribe, { match: 'prefix' }, 'urn:feed/']);
    const [, , subscription] = await subject.nextMatching((frame) => frame[0] === SUBSCRIBED, 'SUBSCRIBED');
    await subject.registered('urn:user/echo');
    const v1Id = server.broker.sessions().find((session) => session.v2Id === subject.sessionId)!.id;

    expect(server.broker.setPermissions(v1Id, { rpc: true })).toBe(true);
    expect(server.broker.authorized(v1Id, 'subscribe', 'urn:feed/news')).toBe(false);
    expect((await caller.callAndWait('urn:user/echo', ['x']))[4]).toBe('wamp.error.no_such_procedure');
    const unsubscribe = subject.nextRequest();
    subject.send([UNSUBSCRIBE, unsubscribe, subscription]);
    expect(await subject.next()).toEqual([
      ERROR,
      UNSUBSCRIBE,
      unsubscribe,
      {},
      'wamp.error.no_such_subscription',
      [`no subscription ${subscription}`],
    ]);
    expect(subject.pending()).toEqual([]);
  });

  it('masks the arguments of a maskCalls procedure in a v2 CALL, called by its v2 name (args and kwargs)', async () => {
    const entries: WampTraceEntry[] = [];
    server = await appWith({ trace: { sink: (entry) => void entries.push(entry), maskCalls: ['urn:login'] } });
    const raw = await join();
    expect(await raw.callAndWait('com.example.login', ['alice', 'hunter2'], { otp: '314159' })).toEqual([RESULT, 1, {}, ['welcome']]);
    expect(await raw.callAndWait('com.example.held.nothing', ['visible'])).toEqual(
      expect.arrayContaining([ERROR, CALL, 2, {}, 'wamp.error.no_such_procedure']),
    );
    const received = entries.filter((entry) => entry.direction === 'in').map((entry) => entry.text);
    expect(received.join('\n')).not.toContain('hunter2');
    expect(received.join('\n')).not.toContain('314159');
    expect(received.map((text) => JSON.parse(text) as unknown[]).filter((message) => message[0] === CALL)).toEqual([
      [CALL, 1, {}, 'com.example.login', [MASKED, MASKED], { otp: MASKED }],
      [CALL, 2, {}, 'com.example.held.nothing', ['visible']],
    ]);
  });
});
