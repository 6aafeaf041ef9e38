import { Injectable } from '@nestjs/common';
import type { Socket } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import { WebSocket } from 'ws';
import {
  CloseCode,
  type RefusalKind,
  WampBroker,
  WampErrorUri,
  WampModule,
  type WampModuleOptions,
  WampOptionsError,
  WampPublish,
  WampRpc,
  WampSubscribe,
} from '../../src/index.js';
import { WampTestClient, type WebSocketLike } from '../../src/testing/index.js';
import { BareWebSocketPeer, RawWampSocket } from '../support/raw-wamp-socket.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { deferred, Gate, sleep, until, WAIT_MS, within } from '../support/until.js';

const API = 'http://x/api#';
const ADD = `${API}add`;
const HOLD = `${API}hold`;
/** Topics every session may subscribe and publish to (a static rule). */
const TOPIC = 'http://x/t/';
/** PUBLISH here waits for the test's gate; subscribing is immediate. */
const SLOW_PUB = 'http://x/slow-pub/';
/** SUBSCRIBE here waits for the test's gate. */
const SLOW_SUB = 'http://x/slow-sub/';
const BUSY = WampErrorUri.busy;
const INVALID_MESSAGE = WampErrorUri.invalidMessage;

/** With `limits.uriLength: 64`: a procedure URI exactly at the limit, served below. */
const URI_LIMIT = 64;
const pad = (prefix: string, length: number): string => prefix + 'p'.repeat(length - prefix.length);
const PROC_AT_LIMIT = pad(`${API}long-`, URI_LIMIT);

const ALL_KINDS: readonly RefusalKind[] = [
  'invalid-json',
  'malformed',
  'too-long',
  'binary',
  'oversize',
  'too-many-prefixes',
  'too-many-subscriptions',
  'calls-in-flight',
  'pubsub-backlog',
  'rate-limited',
  'heartbeat-timeout',
  'slow-consumer',
];

@Injectable()
class ApiService {
  readonly gate = new Gate();
  /** Opened by the tests of the pub/sub queue; every slow handler waits for it. */
  pubSubGate = deferred();

  @WampRpc(ADD)
  add(a: number, b: number): number {
    return a + b;
  }

  /** Answers only when the test releases `key`: a call that never settles until then. */
  @WampRpc(HOLD)
  hold(key: string): Promise<unknown> {
    return this.gate.wait(key);
  }

  @WampRpc(PROC_AT_LIMIT)
  atLimit(): string {
    return 'at the limit';
  }

  @WampSubscribe(`${SLOW_PUB}*`)
  subscribeToSlowPublications(): boolean {
    return true;
  }

  @WampPublish(`${SLOW_PUB}*`)
  async slowPublish(): Promise<boolean> {
    await this.pubSubGate.promise;
    return true;
  }

  @WampSubscribe(`${SLOW_SUB}*`)
  async slowSubscribe(): Promise<boolean> {
    await this.pubSubGate.promise;
    return true;
  }
}

/** A Nest app with `options` (plus a static rule for TOPIC), the ApiService, and a bystander session. */
class LimitsHarness {
  server!: TestServer;
  /** Opened first; it must keep working whatever the other sessions do. */
  bystander!: WampTestClient;
  private readonly opened: Array<{ close(): Promise<unknown> }> = [];
  private snapshot: Record<RefusalKind, number> = zeroRefusals();

  constructor(private readonly options: WampModuleOptions) {
    beforeAll(async () => {
      this.server = await startApp({
        imports: [WampModule.forRoot({ topics: { [`${TOPIC}*`]: true }, ...this.options })],
        providers: [ApiService],
      });
      this.bystander = await this.server.connect();
    });
    beforeEach(() => {
      this.snapshot = { ...this.broker.stats().refused };
    });
    afterEach(async () => {
      await Promise.all(this.opened.splice(0).map((socket) => socket.close().catch(() => undefined)));
    });
    afterAll(() => this.server?.close());
  }

  get broker(): WampBroker {
    return this.server.app.get(WampBroker);
  }

  get api(): ApiService {
    return this.server.app.get(ApiService);
  }

  /** A bare `ws` session, closed after the test. */
  async raw(): Promise<RawWampSocket> {
    const socket = await RawWampSocket.connect(this.server.url);
    this.opened.push(socket);
    expect((socket.first as unknown[])[0]).toBe(0);
    return socket;
  }

  /** A WampTestClient on a `ws` socket the test can reach (to pause it, or to turn off its pongs). */
  async client(wsOptions: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<{ client: WampTestClient; ws: WebSocket }> {
    const ws = new WebSocket(this.server.url, ['wamp'], { perMessageDeflate: false, ...wsOptions });
    const client = await within(WampTestClient.open(ws as unknown as WebSocketLike), 'WELCOME');
    this.opened.push({
      close: async () => {
        (ws as unknown as { _socket?: Socket })._socket?.resume();
        if (ws.readyState === WebSocket.OPEN) ws.close();
        await within(client.closed, 'the client to close').catch(() => ws.terminate());
      },
    });
    return { client, ws };
  }

  /** A bare TCP WebSocket peer that answers nothing (no pong, no close), destroyed after the test. */
  async bare(): Promise<BareWebSocketPeer> {
    const peer = await BareWebSocketPeer.connect(this.server.port);
    this.opened.push({ close: async () => peer.destroy() });
    return peer;
  }

  /** The refusals counted since the test began, by kind (all of them, zeros included). */
  refusedSinceStart(): Record<RefusalKind, number> {
    const now = this.broker.stats().refused;
    return Object.fromEntries(ALL_KINDS.map((kind) => [kind, now[kind] - this.snapshot[kind]])) as Record<RefusalKind, number>;
  }

  /** Expects exactly `counts` refusals since the test began, and none of any other kind (waiting, bounded, for them). */
  async expectRefused(counts: Partial<Record<RefusalKind, number>>): Promise<void> {
    const expected = { ...zeroRefusals(), ...counts };
    await until(() => isDeepStrictEqual(this.refusedSinceStart(), expected), 'the refusal counters').catch(() => undefined);
    expect(this.refusedSinceStart()).toEqual(expected);
  }

  /** The bystander answers, and a brand-new session works. */
  async expectServerHealthy(): Promise<void> {
    expect(this.bystander.isOpen).toBe(true);
    expect(await within(this.bystander.call(ADD, 2, 3), 'the bystander call')).toBe(5);
    const fresh = await RawWampSocket.connect(this.server.url);
    try {
      fresh.send([2, 'fresh', ADD, 20, 22]);
      expect(await fresh.answerTo('fresh')).toEqual([3, 'fresh', 42]);
    } finally {
      await fresh.close();
    }
  }

  /** Waits (bounded) until the server has forgotten the session. */
  async forgotten(sessionId: string): Promise<void> {
    await until(
      () => this.broker.session(sessionId) === undefined && !this.broker.sessions().some((session) => session.id === sessionId),
      `session ${sessionId} to be forgotten`,
    );
  }
}

function zeroRefusals(): Record<RefusalKind, number> {
  return Object.fromEntries(ALL_KINDS.map((kind) => [kind, 0])) as Record<RefusalKind, number>;
}

/** A round trip on a raw session: every frame it sent before has been handled once this resolves. */
async function roundTrip(socket: RawWampSocket, callId = `sync-${Math.random()}`): Promise<void> {
  socket.send([2, callId, ADD, 1, 1]);
  expect(await socket.answerTo(callId)).toEqual([3, callId, 2]);
}

describe('limits.prefixes (3)', () => {
  const h = new LimitsHarness({ limits: { prefixes: 3 } });

  it('redefining a prefix is fine; one distinct prefix more closes the session with 1008', async () => {
    const socket = await h.raw();
    socket.send([1, 'a', API]);
    socket.send([1, 'b', TOPIC]);
    socket.send([1, 'c', 'http://x/c#']);
    // Redefinitions of the three do not count as more prefixes, however often they come.
    for (let round = 0; round < 5; round++) {
      socket.send([1, 'a', API]);
      socket.send([1, 'b', TOPIC]);
      socket.send([1, 'c', API]);
    }
    socket.send([2, 'c1', 'c:add', 1, 2]);
    expect(await socket.answerTo('c1')).toEqual([3, 'c1', 3]);
    expect(socket.isOpen).toBe(true);
    await h.expectRefused({});

    socket.send([1, 'd', API]);
    // Nothing behind the violation is handled.
    socket.send([2, 'after', 'a:add', 1, 1]);
    expect(await socket.closeCode()).toBe(CloseCode.policyViolation);
    expect(socket.pending()).toEqual([]);
    await h.forgotten(socket.sessionId);
    await h.expectRefused({ 'too-many-prefixes': 1 });
    await h.expectServerHealthy();
  });

  it('the limit is per session: another session has its own three', async () => {
    const first = await h.raw();
    const second = await h.raw();
    for (const socket of [first, second]) {
      socket.send([1, 'a', API]);
      socket.send([1, 'b', API]);
      socket.send([1, 'c', API]);
    }
    await roundTrip(first);
    await roundTrip(second);
    second.send([2, 'c1', 'b:add', 2, 2]);
    expect(await second.answerTo('c1')).toEqual([3, 'c1', 4]);
    expect(first.isOpen && second.isOpen).toBe(true);
    await h.expectRefused({});
  });
});

describe('limits.subscriptions (2)', () => {
  const h = new LimitsHarness({ limits: { subscriptions: 2 } });

  it('a third SUBSCRIBE is ignored, the session goes on, and UNSUBSCRIBE frees a slot', async () => {
    const [t1, t2, t3] = [`${TOPIC}s1`, `${TOPIC}s2`, `${TOPIC}s3`];
    const socket = await h.raw();
    const id = socket.sessionId;
    socket.send([5, t1]);
    socket.send([5, t2]);
    socket.send([5, t3]);
    await roundTrip(socket);
    expect(h.broker.subscribers(t1)).toEqual([id]);
    expect(h.broker.subscribers(t2)).toEqual([id]);
    expect(h.broker.subscribers(t3)).toEqual([]);
    expect(socket.isOpen).toBe(true);
    await h.expectRefused({ 'too-many-subscriptions': 1 });

    // The session is usable: its subscriptions get events, the refused topic does not.
    socket.send([7, t3, 'not subscribed']);
    socket.send([7, t1, 'on t1']);
    expect(await socket.eventOn(t1)).toBe('on t1');
    expect(socket.pending()).toEqual([]);

    // Subscribing again to a topic it already has is not a refusal.
    socket.send([5, t1]);
    await roundTrip(socket);
    await h.expectRefused({ 'too-many-subscriptions': 1 });

    socket.send([6, t1]);
    socket.send([5, t3]);
    await roundTrip(socket);
    expect(h.broker.subscribers(t1)).toEqual([]);
    expect(h.broker.subscribers(t3)).toEqual([id]);
    socket.send([7, t3, 'now subscribed']);
    expect(await socket.eventOn(t3)).toBe('now subscribed');
    await h.expectRefused({ 'too-many-subscriptions': 1 });
    await h.expectServerHealthy();
  });
});

describe(`limits.uriLength (${URI_LIMIT})`, () => {
  const h = new LimitsHarness({ limits: { uriLength: URI_LIMIT } });
  const TOPIC_AT = pad(`${TOPIC}u-`, URI_LIMIT);
  const TOPIC_OVER = pad(`${TOPIC}u-`, URI_LIMIT + 1);
  const ID_AT = 'i'.repeat(URI_LIMIT);
  const ID_OVER = 'i'.repeat(URI_LIMIT + 1);

  it('lengths are as meant', () => {
    expect([PROC_AT_LIMIT.length, TOPIC_AT.length, ID_AT.length]).toEqual([URI_LIMIT, URI_LIMIT, URI_LIMIT]);
    expect([TOPIC_OVER.length, ID_OVER.length]).toEqual([URI_LIMIT + 1, URI_LIMIT + 1]);
  });

  it('a CALL to a longer procedure URI gets CALLERROR invalid-message and the session goes on', async () => {
    const socket = await h.raw();
    socket.send([2, 'c1', `${PROC_AT_LIMIT}p`]);
    const answer = (await socket.answerTo('c1')) as unknown[];
    expect(answer).toEqual([4, 'c1', INVALID_MESSAGE, expect.any(String)]);
    expect(socket.isOpen).toBe(true);
    // The same id is free again; a procedure exactly at the limit is served.
    socket.send([2, 'c1', PROC_AT_LIMIT]);
    expect(await socket.answerTo('c1')).toEqual([3, 'c1', 'at the limit']);
    await h.expectRefused({ 'too-long': 1 });
    await h.expectServerHealthy();
  });

  it('a CURI whose text is within the limit is fine', async () => {
    const socket = await h.raw();
    socket.send([1, 'api', API]);
    socket.send([2, 'c1', `api:${PROC_AT_LIMIT.slice(API.length)}`]);
    expect(await socket.answerTo('c1')).toEqual([3, 'c1', 'at the limit']);
    await h.expectRefused({});
  });

  it('everything exactly at the limit works: call id, prefix, prefix URI, SUBSCRIBE, PUBLISH, UNSUBSCRIBE', async () => {
    const socket = await h.raw();
    socket.send([2, ID_AT, ADD, 1, 2]);
    expect(await socket.answerTo(ID_AT)).toEqual([3, ID_AT, 3]);
    const prefix = 'q'.repeat(URI_LIMIT);
    socket.send([1, prefix, pad(API, URI_LIMIT)]);
    socket.send([5, TOPIC_AT]);
    socket.send([7, TOPIC_AT, 'at the limit']);
    expect(await socket.eventOn(TOPIC_AT)).toBe('at the limit');
    expect(h.broker.subscribers(TOPIC_AT)).toEqual([socket.sessionId]);
    socket.send([6, TOPIC_AT]);
    await roundTrip(socket);
    expect(h.broker.subscribers(TOPIC_AT)).toEqual([]);
    expect(socket.isOpen).toBe(true);
    await h.expectRefused({});
  });

  it.each([
    ['SUBSCRIBE with a longer topic', [5, TOPIC_OVER]],
    ['UNSUBSCRIBE with a longer topic', [6, TOPIC_OVER]],
    ['PUBLISH with a longer topic', [7, TOPIC_OVER, 'event']],
    ['PREFIX with a longer prefix', [1, 'q'.repeat(URI_LIMIT + 1), API]],
    ['PREFIX with a longer URI', [1, 'api', pad(API, URI_LIMIT + 1)]],
    ['CALL with a longer call id', [2, ID_OVER, ADD, 1, 2]],
    ['CALL with a longer call id and a longer procedure URI', [2, ID_OVER, `${PROC_AT_LIMIT}p`]],
  ])('%s closes the session with 1008', async (_name, frame) => {
    // The server side may subscribe anyone to any topic: a PUBLISH that got through would reach it.
    const observer = await h.raw();
    expect(h.broker.subscribe(observer.sessionId, TOPIC_OVER)).toBe(true);
    const socket = await h.raw();
    socket.send(frame);
    socket.send([2, 'after', ADD, 1, 1]);
    expect(await socket.closeCode()).toBe(CloseCode.policyViolation);
    expect(socket.pending()).toEqual([]);
    await h.forgotten(socket.sessionId);
    await h.expectRefused({ 'too-long': 1 });
    await h.expectServerHealthy();
    await roundTrip(observer);
    expect(observer.pending()).toEqual([]);
  });
});

describe('limits.callsInFlight (2)', () => {
  const h = new LimitsHarness({ limits: { callsInFlight: 2 } });

  it('a third concurrent CALL gets CALLERROR busy; after one settles a new call works', async () => {
    const socket = await h.raw();
    socket.send([2, 'h1', HOLD, 'k1']);
    socket.send([2, 'h2', HOLD, 'k2']);
    socket.send([2, 'c3', ADD, 1, 2]);
    expect(await socket.answerTo('c3')).toEqual([4, 'c3', BUSY, expect.any(String)]);
    socket.send([2, 'c4', HOLD, 'k4']);
    expect(await socket.answerTo('c4')).toEqual([4, 'c4', BUSY, expect.any(String)]);
    await h.expectRefused({ 'calls-in-flight': 2 });
    expect(socket.isOpen).toBe(true);

    // Other sessions have their own allowance.
    const other = await h.raw();
    other.send([2, 'o1', HOLD, 'o1']);
    other.send([2, 'o2', ADD, 2, 2]);
    expect(await other.answerTo('o2')).toEqual([3, 'o2', 4]);
    h.api.gate.release('o1');
    expect(await other.answerTo('o1')).toEqual([3, 'o1', 'o1']);

    h.api.gate.release('k1', 'first');
    expect(await socket.answerTo('h1')).toEqual([3, 'h1', 'first']);
    socket.send([2, 'c3', ADD, 3, 4]);
    expect(await socket.answerTo('c3')).toEqual([3, 'c3', 7]);
    h.api.gate.release('k2', 'second');
    expect(await socket.answerTo('h2')).toEqual([3, 'h2', 'second']);
    expect(socket.pending()).toEqual([]);
    await h.expectRefused({ 'calls-in-flight': 2 });
    await h.expectServerHealthy();
  });

  it('calls that never settle do not block the session’s pub/sub, prefixes or other sessions', async () => {
    const topic = `${TOPIC}while-held`;
    const socket = await h.raw();
    socket.send([2, 'h1', HOLD, 'never-1']);
    socket.send([2, 'h2', HOLD, 'never-2']);
    socket.send([1, 't', TOPIC]);
    socket.send([5, 't:while-held']);
    socket.send([7, 't:while-held', 'still flowing']);
    expect(await socket.eventOn(topic)).toBe('still flowing');
    expect(h.broker.subscribers(topic)).toEqual([socket.sessionId]);
    socket.send([6, topic]);
    socket.send([7, topic, 'after unsubscribing']);
    await until(() => h.broker.subscribers(topic).length === 0, 'the UNSUBSCRIBE');
    expect(socket.isOpen).toBe(true);
    await h.expectServerHealthy();
    await h.expectRefused({});
    // The session closes with its calls still pending: the late answers go nowhere.
    await socket.close();
    await h.forgotten(socket.sessionId);
    h.api.gate.release('never-1');
    h.api.gate.release('never-2');
    expect(h.broker.sendCallResult(socket.sessionId, 'h1', 'x')).toBe(false);
  });
});

describe('limits.queuedPubSub (3)', () => {
  const h = new LimitsHarness({ limits: { queuedPubSub: 3 } });

  beforeEach(() => {
    h.api.pubSubGate = deferred();
  });
  afterEach(() => h.api.pubSubGate.resolve());

  it('three PUBLISHes waiting for a slow handler are kept, in order, and delivered once it is done', async () => {
    const topic = `${SLOW_PUB}kept`;
    const observer = await h.raw();
    observer.send([5, topic]);
    await roundTrip(observer);
    expect(h.broker.subscribers(topic)).toEqual([observer.sessionId]);
    const socket = await h.raw();
    socket.send([7, topic, 1, true]);
    socket.send([7, topic, 2, true]);
    socket.send([7, topic, 3, true]);
    // Calls do not wait in that queue.
    await roundTrip(socket);
    expect(socket.isOpen).toBe(true);
    h.api.pubSubGate.resolve();
    expect([await observer.eventOn(topic), await observer.eventOn(topic), await observer.eventOn(topic)]).toEqual([1, 2, 3]);
    expect(socket.isOpen).toBe(true);
    await h.expectRefused({});
  });

  it('the 4th PUBLISH waiting for a slow handler closes the session with 1008', async () => {
    const topic = `${SLOW_PUB}overflow`;
    const socket = await h.raw();
    for (let i = 1; i <= 3; i++) socket.send([7, topic, i]);
    await roundTrip(socket);
    expect(socket.isOpen).toBe(true);
    socket.send([7, topic, 4]);
    expect(await socket.closeCode()).toBe(CloseCode.policyViolation);
    await h.forgotten(socket.sessionId);
    await h.expectRefused({ 'pubsub-backlog': 1 });
    await h.expectServerHealthy();
  });

  it('the 4th SUBSCRIBE waiting for a slow handler closes the session with 1008', async () => {
    const socket = await h.raw();
    for (let i = 1; i <= 3; i++) socket.send([5, `${SLOW_SUB}${i}`]);
    await roundTrip(socket);
    expect(socket.isOpen).toBe(true);
    socket.send([5, `${SLOW_SUB}4`]);
    expect(await socket.closeCode()).toBe(CloseCode.policyViolation);
    await h.forgotten(socket.sessionId);
    await h.expectRefused({ 'pubsub-backlog': 1 });
    await h.expectServerHealthy();
  });

  it('SUBSCRIBE, UNSUBSCRIBE and PUBLISH share the one queue', async () => {
    const socket = await h.raw();
    socket.send([5, `${SLOW_SUB}a`]);
    socket.send([7, `${TOPIC}x`, 'queued behind the slow SUBSCRIBE']);
    socket.send([6, `${SLOW_SUB}a`]);
    await roundTrip(socket);
    expect(socket.isOpen).toBe(true);
    socket.send([5, `${TOPIC}y`]);
    expect(await socket.closeCode()).toBe(CloseCode.policyViolation);
    await h.expectRefused({ 'pubsub-backlog': 1 });
  });
});

describe('limits.rate { messagesPerSecond: 5, burst: 5, onExceed: "close" }', () => {
  const h = new LimitsHarness({ limits: { rate: { messagesPerSecond: 5, burst: 5, onExceed: 'close' } } });

  it('a burst of 10 frames: the first 5 are handled, then the session is closed with 1008', async () => {
    const socket = await h.raw();
    for (let i = 1; i <= 10; i++) socket.send([2, `c${i}`, ADD, i, 0]);
    expect(await socket.closeCode()).toBe(CloseCode.policyViolation);
    expect(socket.pending()).toEqual([1, 2, 3, 4, 5].map((i) => [3, `c${i}`, i]));
    await h.forgotten(socket.sessionId);
    await h.expectRefused({ 'rate-limited': 1 });
    // The bucket is per session: the bystander and new sessions are unaffected.
    await h.expectServerHealthy();
  });
});

describe('limits.rate { messagesPerSecond: 5, burst: 5, onExceed: "drop" }', () => {
  const h = new LimitsHarness({ limits: { rate: { messagesPerSecond: 5, burst: 5, onExceed: 'drop' } } });

  it('extra CALLs get CALLERROR busy, extra PUBLISHes are dropped, the session stays open and tokens come back', async () => {
    const topic = `${TOPIC}rate`;
    const observer = await h.raw();
    observer.send([5, topic]);
    await roundTrip(observer, 'observer-sync');

    const socket = await h.raw();
    for (let i = 1; i <= 5; i++) socket.send([2, `c${i}`, ADD, i, 0]);
    socket.send([2, 'x1', ADD, 1, 1]);
    socket.send([7, topic, 'dropped']);
    socket.send([2, 'x2', ADD, 1, 1]);
    for (let i = 1; i <= 5; i++) expect(await socket.answerTo(`c${i}`)).toEqual([3, `c${i}`, i]);
    expect(await socket.answerTo('x1')).toEqual([4, 'x1', BUSY, expect.any(String)]);
    expect(await socket.answerTo('x2')).toEqual([4, 'x2', BUSY, expect.any(String)]);
    expect(socket.isOpen).toBe(true);
    await h.expectRefused({ 'rate-limited': 3 });

    // Time is the subject here: at 5 per second, 500 ms bring back two tokens (and a half).
    await sleep(500);
    socket.send([7, topic, 'kept']);
    socket.send([2, 'c6', ADD, 6, 0]);
    expect(await socket.answerTo('c6')).toEqual([3, 'c6', 6]);
    // Events of one publisher arrive in order: 'kept' first means 'dropped' never went out.
    expect(await observer.eventOn(topic)).toBe('kept');
    expect(observer.pending()).toEqual([]);
    expect(socket.isOpen).toBe(true);
    await h.expectRefused({ 'rate-limited': 3 });
    await h.expectServerHealthy();
  });
});

describe('maxPayload (1024)', () => {
  const h = new LimitsHarness({ maxPayload: 1024 });

  it('an oversize frame closes the session with 1009 and is counted', async () => {
    const socket = await h.raw();
    socket.send([2, 'big', ADD, 'x'.repeat(2000)]);
    expect(await socket.closeCode()).toBe(CloseCode.messageTooBig);
    expect(socket.pending()).toEqual([]);
    await h.forgotten(socket.sessionId);
    await h.expectRefused({ oversize: 1 });
    await h.expectServerHealthy();
  });

  it('an oversize frame from a peer that never answers the close frame is counted too', async () => {
    const peer = await h.bare();
    const sessionId = (peer.messages()[0] as unknown[])[1] as string;
    peer.sendText(JSON.stringify([2, 'big', ADD, 'x'.repeat(2000)]));
    expect(await peer.closeFrameCode()).toBe(CloseCode.messageTooBig);
    peer.destroy();
    await h.forgotten(sessionId);
    await h.expectRefused({ oversize: 1 });
  });

  it('a client that closes with 1009 on its own was refused nothing', async () => {
    const socket = await h.raw();
    await roundTrip(socket);
    await socket.close(CloseCode.messageTooBig);
    await h.forgotten(socket.sessionId);
    await h.expectRefused({});
  });
});

/** Large events through the broker, paced so that a subscriber that reads keeps up. */
const BIG = 16 * 1024;
const HIGH_WATER_MARK = 64 * 1024;
/** At least this many events; more (up to MAX_EVENTS) only if the kernel's buffers absorbed them all. */
const EVENTS = 500;
const MAX_EVENTS = 4000;
const bigEvent = (i: number): { i: number; pad: string } => ({ i, pad: 'x'.repeat(BIG) });

/**
 * Publishes EVENTS large events (more, up to MAX_EVENTS, until `triggered()` holds: how much a
 * socket that is not read absorbs depends on the kernel), 10 at a time, each batch once the fast
 * subscriber has read the previous one. Returns how many were published.
 */
async function publishPaced(broker: WampBroker, topic: string, fast: WampTestClient, triggered: () => boolean): Promise<number> {
  let published = 0;
  while (published < EVENTS || (!triggered() && published < MAX_EVENTS)) {
    for (let batch = 0; batch < 10; batch++) broker.publish(topic, bigEvent(published++));
    await until(() => fast.eventsOn(topic).length === published, `the fast subscriber to get ${published} events`);
  }
  return published;
}

/** Two subscribers of `topic`: a reading one, and one whose TCP socket is paused (it reads nothing). */
async function fastAndSlow(h: LimitsHarness, topic: string): Promise<{ fast: WampTestClient; slow: WampTestClient; slowSocket: Socket }> {
  const { client: fast } = await h.client();
  const { client: slow, ws } = await h.client();
  fast.subscribe(topic, () => undefined);
  slow.subscribe(topic, () => undefined);
  await until(() => h.broker.subscribers(topic).length === 2, 'both subscriptions');
  const slowSocket = (ws as unknown as { _socket: Socket })._socket;
  slowSocket.pause();
  return { fast, slow, slowSocket };
}

describe('slowConsumer { highWaterMark: 64 KiB, action: "drop" }', () => {
  const h = new LimitsHarness({ slowConsumer: { highWaterMark: HIGH_WATER_MARK, action: 'drop' } });

  it('a subscriber that stops reading loses events, the others get all of them, and the buffer stays bounded', async () => {
    const topic = `${TOPIC}big-drop`;
    const { fast, slow, slowSocket } = await fastAndSlow(h, topic);
    const published = await publishPaced(h.broker, topic, fast, () => h.broker.stats().eventsDropped > 0);

    expect(fast.eventsOn(topic).map((event) => (event as { i: number }).i)).toEqual([...Array(published).keys()]);
    const stats = h.broker.stats();
    expect(stats.eventsDropped).toBeGreaterThan(0);
    expect(stats.eventsDropped).toBeLessThan(published);
    const frameBytes = Buffer.byteLength(JSON.stringify([8, topic, bigEvent(published)]));
    expect(stats.maxBufferedBytes).toBeGreaterThan(HIGH_WATER_MARK);
    // Above the mark nothing more is sent: at most one event (and its frame header) over it.
    expect(stats.maxBufferedBytes).toBeLessThanOrEqual(HIGH_WATER_MARK + frameBytes + 14);
    expect(h.broker.sessions().map((session) => session.id)).toContain(slow.sessionId);

    // Reading again, the slow session gets what was not dropped, in order, and works as before.
    slowSocket.resume();
    expect(await within(slow.call(ADD, 1, 2), 'a call on the resumed session', 10_000)).toBe(3);
    const got = slow.eventsOn(topic).map((event) => (event as { i: number }).i);
    expect(got.length + stats.eventsDropped).toBe(published);
    expect(got).toEqual([...got].sort((a, b) => a - b));
    h.broker.publish(topic, 'small, after resuming');
    expect(await slow.nextEvent(topic, WAIT_MS, (event) => event === 'small, after resuming')).toBe('small, after resuming');
    expect(await fast.nextEvent(topic, WAIT_MS, (event) => event === 'small, after resuming')).toBe('small, after resuming');
    expect(h.broker.stats().eventsDropped).toBe(stats.eventsDropped);
    await h.expectRefused({});
  });
});

describe('slowConsumer { highWaterMark: 64 KiB, action: "close" }', () => {
  const h = new LimitsHarness({ slowConsumer: { highWaterMark: HIGH_WATER_MARK, action: 'close' } });

  it('a subscriber that stops reading is closed (once, counted once); the others get every event', async () => {
    const topic = `${TOPIC}big-close`;
    const { fast, slow, slowSocket } = await fastAndSlow(h, topic);
    const published = await publishPaced(h.broker, topic, fast, () => h.broker.stats().refused['slow-consumer'] > 0);

    expect(fast.eventsOn(topic).map((event) => (event as { i: number }).i)).toEqual([...Array(published).keys()]);
    expect(h.broker.stats().eventsDropped).toBe(0);
    expect(h.broker.session(slow.sessionId)?.isOpen ?? false).toBe(false);
    // Reading again, the slow client finds the close frame behind the events it was sent.
    slowSocket.resume();
    const { code } = await within(slow.closed, 'the slow session to close', 10_000);
    expect([CloseCode.policyViolation, 1006]).toContain(code);
    await h.forgotten(slow.sessionId);
    await h.expectRefused({ 'slow-consumer': 1 });
    expect(fast.isOpen).toBe(true);
    expect(await fast.call(ADD, 1, 1)).toBe(2);
  });
});

describe('heartbeatIntervalMs: 100', () => {
  const h = new LimitsHarness({ heartbeatIntervalMs: 100 });

  it('a client that answers pings (ws does) stays connected across several intervals', async () => {
    const { client } = await h.client();
    // Time is the subject: six intervals.
    await sleep(600);
    expect(client.isOpen).toBe(true);
    expect(await within(client.call(ADD, 1, 2), 'a call after six intervals')).toBe(3);
    expect(h.broker.session(client.sessionId)).toBeDefined();
    await h.expectRefused({});
  });

  it('a peer that never answers pings is cut off within a few intervals and its session removed', async () => {
    const topic = `${TOPIC}heartbeat`;
    const peer = await h.bare();
    const sessionId = (peer.messages()[0] as unknown[])[1] as string;
    peer.send([5, topic]);
    await until(() => h.broker.subscribers(topic).includes(sessionId), 'the peer’s subscription');
    const started = Date.now();
    await within(peer.ended, 'the server to cut the peer off', 1000);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(peer.frames.some((frame) => frame.opcode === 0x9)).toBe(true);
    await h.forgotten(sessionId);
    expect(h.broker.subscribers(topic)).toEqual([]);
    await h.expectRefused({ 'heartbeat-timeout': 1 });
    expect(h.bystander.isOpen).toBe(true);
    await h.expectServerHealthy();
  });

  it('a peer that never answers the close frame after a violation is cut off within a few intervals too', async () => {
    const peer = await h.bare();
    const sessionId = (peer.messages()[0] as unknown[])[1] as string;
    peer.sendText('{');
    expect(await peer.closeFrameCode()).toBe(CloseCode.invalidPayload);
    // It answers neither the close frame nor pings: it must not hold its session for ws's 30 s close timeout.
    await within(peer.ended, 'the server to cut the peer off', 1000);
    await h.forgotten(sessionId);
    expect(h.refusedSinceStart()['invalid-json']).toBe(1);
  });

  it('a ws client whose pongs are turned off is cut off as well', async () => {
    const { client } = await h.client({ autoPong: false });
    expect(await client.call(ADD, 2, 2)).toBe(4);
    const { code } = await within(client.closed, 'the server to cut the client off', 1000);
    expect(code).toBe(1006);
    await h.forgotten(client.sessionId);
    await h.expectRefused({ 'heartbeat-timeout': 1 });
  });
});

describe('heartbeatIntervalMs: 0', () => {
  const h = new LimitsHarness({ heartbeatIntervalMs: 0 });

  it('disables the heartbeat: a peer that never answers pings is neither pinged nor cut off', async () => {
    const peer = await h.bare();
    const sessionId = (peer.messages()[0] as unknown[])[1] as string;
    // Time is the subject: a while with nothing happening.
    await sleep(300);
    expect(peer.socket.destroyed).toBe(false);
    expect(peer.frames.some((frame) => frame.opcode === 0x9)).toBe(false);
    expect(h.broker.session(sessionId)).toBeDefined();
    peer.send([2, 'c1', ADD, 1, 2]);
    await until(() => peer.messages().length === 2, 'the answer');
    expect(peer.messages()[1]).toEqual([3, 'c1', 3]);
    await h.expectRefused({});
  });
});

describe('invalid limit options fail bootstrap', () => {
  it.each([
    ['limits.prefixes', { limits: { prefixes: 0 } }],
    ['limits.rate.messagesPerSecond', { limits: { rate: { messagesPerSecond: -5 } } }],
    ['slowConsumer.highWaterMark', { slowConsumer: { highWaterMark: 1.5 } }],
    ['heartbeatIntervalMs', { heartbeatIntervalMs: -1 }],
    ['maxPayload', { maxPayload: 0 }],
  ] as Array<[string, WampModuleOptions]>)('%s', async (option, options) => {
    const attempt = startApp({ imports: [WampModule.forRoot(options)], providers: [ApiService] });
    await expect(attempt).rejects.toThrow(WampOptionsError);
    await expect(attempt).rejects.toThrow(`"${option}"`);
  });
});
