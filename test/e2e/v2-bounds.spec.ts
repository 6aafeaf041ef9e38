// README "What one connection can cost", for WAMP v2 sessions: what the server holds for a
// wamp.2.json connection that floods (CALLs to a slow procedure past limits.callsInFlight,
// REGISTER past the 256 registrations of a session with long URIs, SUBSCRIBE exact and prefix past
// limits.subscriptions, acknowledged PUBLISH) and reads nothing, and for a subscriber that reads
// nothing of a large fan-out, measured in bytes (the session's `bytesHeld`), never in time, and
// compared with the bound computed from the options. Each limit of the v2 side is shown refusing
// (the refusal read off the wire once the peer reads again) and holding its state to the limit;
// other sessions of both protocols are answered meanwhile; nothing is left once the peers go.
import { Injectable } from '@nestjs/common';
import { WampModule, WampRpc } from '../../src/index.js';
import { REGISTRATIONS_PER_SESSION } from '../../src/router/client-procedures.js';
import { WampTestClient } from '../../src/testing/index.js';
import { clientProcedures, engineLeftovers, NOTHING_LEFT, topicIndex, v2SessionBytesHeld } from '../support/engine-state.js';
import { connectionBound, HeldBytesProbe, turn, writeUntilBackedUp } from '../support/held-bytes.js';
import { RawV2Session } from '../support/raw-v2-session.js';
import { BareWebSocketPeer } from '../support/raw-wamp-socket.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { Gate, until, within } from '../support/until.js';
import {
  CALL,
  CLIENT_ROLES,
  ERROR,
  EVENT,
  HELLO,
  INVOCATION,
  PUBLISH,
  PUBLISHED,
  REGISTER,
  REGISTERED,
  RESULT,
  SUBSCRIBE,
  SUBSCRIBED,
  WELCOME,
} from '../support/wamp2-codes.js';
import { clientFrame } from '../support/websocket-frames.js';

const REALM = 'bounds';
const RPC = 'http://example.com/bounds/rpc#';
const EV = 'http://example.com/bounds/event#';
const USER = 'http://example.com/bounds/user#';

const MAX_PAYLOAD = 8192;
const HIGH_WATER_MARK = 16 * 1024;
const CALLS_IN_FLIGHT = 8;
const SUBSCRIPTIONS = 32;
const URI_LENGTH = 2048;
/** What the slow procedure answers, once released: an asynchronous result still to come while it waits. */
const SLOW_RESULT = 'r'.repeat(4096);
/**
 * README: reading (2 × maxPayload + 14, 64 KiB, 80 KiB) + writing (the mark, 16 KiB, twice the
 * largest frame sent) + callsInFlight × the largest result of an asynchronous handler.
 */
const BOUND =
  connectionBound({ maxPayload: MAX_PAYLOAD, highWaterMark: HIGH_WATER_MARK, largestAnswer: MAX_PAYLOAD + 64 }) +
  CALLS_IN_FLIGHT * (SLOW_RESULT.length + 64);
/** How much a flood may write at most before the server must have stopped reading it. */
const FLOOD_BYTES = 64 * 1024 * 1024;

const BUSY = 'http://api.wamp.ws/error#busy';

let gate = new Gate();
let slowStarted = 0;

@Injectable()
class BoundedProcedures {
  @WampRpc(`${RPC}echo`)
  echo(value: unknown) {
    return value;
  }

  /** Runs until the test releases it. */
  @WampRpc(`${RPC}slow`)
  async slow() {
    slowStarted++;
    await gate.wait('slow');
    return SLOW_RESULT;
  }
}

/** A wamp.2.json peer written by hand on a bare socket: it says HELLO, takes WELCOME, then writes whatever it is given, and reads only when told. */
class V2FloodPeer {
  private lastRequest = 1;
  private readonly parsed: unknown[][] = [];

  private constructor(
    readonly bare: BareWebSocketPeer,
    readonly v2Id: number,
  ) {}

  static async join(server: TestServer): Promise<V2FloodPeer> {
    const bare = await BareWebSocketPeer.connect(server.port, '/ws', '127.0.0.1', 'wamp.2.json');
    bare.send([HELLO, REALM, { roles: CLIENT_ROLES }]);
    await bare.frame(0x1, 'WELCOME');
    const welcome = bare.messages()[0] as unknown[];
    expect(welcome[0]).toBe(WELCOME);
    const peer = new V2FloodPeer(bare, welcome[1] as number);
    // Request 1: the topic `fill` publishes to, to fill what the kernel buffers for the peer.
    bare.send([SUBSCRIBE, 1, {}, peer.fillTopic]);
    await peer.received((message) => message[0] === SUBSCRIBED, 'SUBSCRIBED to the fill topic');
    return peer;
  }

  get fillTopic(): string {
    return `bounds.ev.fill.${this.v2Id}`;
  }

  /** A request with the next request id, as one masked text frame. */
  frame(type: number, ...rest: unknown[]): Buffer {
    return clientFrame(0x1, JSON.stringify([type, ++this.lastRequest, ...rest]), { mask: Buffer.from([1, 2, 3, 4]) });
  }

  /** The request id the next `frame` gets. */
  get nextRequest(): number {
    return this.lastRequest + 1;
  }

  /** The text messages received so far, parsed (each once). */
  private messages(): unknown[][] {
    const texts = this.bare.frames.filter((frame) => frame.opcode === 0x1);
    for (const frame of texts.slice(this.parsed.length)) this.parsed.push(JSON.parse(frame.payload.toString('utf8')) as unknown[]);
    return this.parsed;
  }

  /** The messages received so far that `predicate` accepts, waiting (bounded) until there are `count`. */
  async received(predicate: (message: unknown[]) => boolean, what: string, count = 1): Promise<unknown[][]> {
    const matching = (): unknown[][] => this.messages().filter(predicate);
    await until(() => matching().length >= count, what, 10_000);
    return matching();
  }
}

describe('what one WAMP v2 connection can cost (bytes held, against the README bound)', () => {
  let server: TestServer;
  const floods: V2FloodPeer[] = [];
  const sessions: RawV2Session[] = [];

  /** The bytes the server holds for `peer`'s connection, sampled. */
  const probeOf = (peer: V2FloodPeer): HeldBytesProbe => new HeldBytesProbe(server, () => v2SessionBytesHeld(server, peer.v2Id));

  async function flooder(): Promise<V2FloodPeer> {
    const peer = await V2FloodPeer.join(server);
    floods.push(peer);
    return peer;
  }

  async function session(): Promise<RawV2Session> {
    const joined = await RawV2Session.join(server.url, REALM);
    sessions.push(joined);
    return joined;
  }

  /** Sessions of both protocols are answered while (or after) a peer misbehaves. */
  async function othersAreAnswered(): Promise<void> {
    const v1 = await WampTestClient.connect(server.url);
    try {
      expect(await within(v1.call(`${RPC}echo`, 'v1 still here'), 'a v1 echo')).toBe('v1 still here');
    } finally {
      await v1.close();
    }
    const v2 = await session();
    expect(await v2.callAndWait('bounds.rpc.echo', ['v2 still here'])).toEqual([RESULT, 1, {}, ['v2 still here']]);
  }

  /**
   * Has `peer` stop reading and flood: first `count` requests from `next()` (their answers are
   * small and go into the kernel's buffers, which on loopback take megabytes), then events to its
   * fill topic until the server drops them (the kernel's buffers are full and the peer's backlog is
   * at the mark), then more requests until the server stops reading the peer. Returns the most the
   * server held for the peer meanwhile.
   */
  async function floodUnread(peer: V2FloodPeer, next: () => Buffer, count: number): Promise<number> {
    const probe = probeOf(peer);
    peer.bare.socket.pause();
    let sent = 0;
    await writeUntilBackedUp(peer.bare.socket, () => (sent++ < count ? next() : undefined), {
      maxBytes: FLOOD_BYTES,
      afterEach: () => probe.sample(),
    });
    await fill(peer, probe);
    const backedUp = await writeUntilBackedUp(peer.bare.socket, next, { maxBytes: FLOOD_BYTES, afterEach: () => probe.sample() });
    await turn();
    probe.sample();
    expect(backedUp).toBe(true); // the server stopped reading the peer: its writes pile up on the peer's side
    return probe.max;
  }

  /** Publishes events of almost maxPayload to `peer`'s fill topic until the server drops some for it (bounded). */
  async function fill(peer: V2FloodPeer, probe: HeldBytesProbe): Promise<void> {
    const publisher = await session();
    const droppedBefore = server.broker.stats().eventsDropped;
    const event = 'f'.repeat(MAX_PAYLOAD - 200);
    for (let batch = 0; batch < 200 && server.broker.stats().eventsDropped === droppedBefore; batch++) {
      for (let i = 0; i < 49; i++) publisher.send([PUBLISH, publisher.nextRequest(), {}, peer.fillTopic, [event]]);
      const last = publisher.nextRequest();
      publisher.send([PUBLISH, last, { acknowledge: true }, peer.fillTopic, [event]]);
      await publisher.nextMatching((frame) => frame[0] === PUBLISHED && frame[1] === last, 'the batch published');
      probe.sample();
    }
    expect(server.broker.stats().eventsDropped).toBeGreaterThan(droppedBefore);
  }

  beforeAll(async () => {
    server = await startApp({
      imports: [
        WampModule.forRoot({
          maxPayload: MAX_PAYLOAD,
          limits: { callsInFlight: CALLS_IN_FLIGHT, subscriptions: SUBSCRIPTIONS, uriLength: URI_LENGTH },
          slowConsumer: { highWaterMark: HIGH_WATER_MARK, timeoutMs: 60_000 },
          heartbeatIntervalMs: 0,
          shutdownGraceMs: 200,
          topics: { [`${EV}*`]: true },
          v2: {
            realm: REALM,
            uris: [
              { v1: `${RPC}*`, v2: 'bounds.rpc.*' },
              { v1: `${EV}*`, v2: 'bounds.ev.*' },
              { v1: `${USER}*`, v2: 'bounds.user.*' },
            ],
          },
        }),
      ],
      providers: [BoundedProcedures],
    });
  });
  beforeEach(() => {
    gate = new Gate();
    slowStarted = 0;
  });
  afterEach(async () => {
    gate.release('slow');
    for (const peer of floods.splice(0)) peer.bare.destroy();
    await Promise.all(sessions.splice(0).map((joined) => joined.close()));
    await until(() => server.broker.stats().sessions === 0, 'every session gone', 10_000);
    // The slow calls' results, released above, find their sessions gone: nothing is kept of them either.
    await until(() => server.broker.stats().bytesHeld === 0, 'nothing held');
    expect(engineLeftovers(server)).toEqual(NOTHING_LEFT);
  });
  afterAll(() => server?.close());

  it(`CALLs to a slow procedure past limits.callsInFlight (${CALLS_IN_FLIGHT}) from a peer that reads nothing: ${CALLS_IN_FLIGHT} run, the rest get error#busy, held ≤ the bound`, async () => {
    const peer = await flooder();
    const refusedBefore = server.broker.stats().refused['calls-in-flight'];
    const held = await floodUnread(peer, () => peer.frame(CALL, {}, 'bounds.rpc.slow', ['x'.repeat(1000)]), CALLS_IN_FLIGHT + 32);
    expect(held).toBeGreaterThan(HIGH_WATER_MARK / 2);
    expect(held).toBeLessThanOrEqual(BOUND);
    expect(slowStarted).toBe(CALLS_IN_FLIGHT);
    expect(server.broker.stats().refused['calls-in-flight'] - refusedBefore).toBeGreaterThan(0);
    await othersAreAnswered();

    // Read again: the first call past the limit (requests 2 to 9 run; request 1 was the fill topic's SUBSCRIBE) was
    // refused, the ones in flight are answered once released.
    peer.bare.socket.resume();
    const first = CALLS_IN_FLIGHT + 2;
    const [refusal] = await peer.received((message) => message[0] === ERROR && message[2] === first, 'the first refusal');
    expect(refusal).toEqual([ERROR, CALL, first, {}, BUSY, [`more than ${CALLS_IN_FLIGHT} calls in flight`]]);
    gate.release('slow');
    const results = await peer.received((message) => message[0] === RESULT, 'the results of the calls in flight', CALLS_IN_FLIGHT);
    expect(results.slice(0, CALLS_IN_FLIGHT).map((message) => message[1])).toEqual(
      Array.from({ length: CALLS_IN_FLIGHT }, (_, i) => i + 2),
    );
    expect(results[0]).toEqual([RESULT, 2, {}, [SLOW_RESULT]]);
  });

  it(`REGISTER of long URIs past ${REGISTRATIONS_PER_SESSION} registrations from a peer that reads nothing: ${REGISTRATIONS_PER_SESSION} kept, the rest get error#busy, held ≤ the bound`, async () => {
    const peer = await flooder();
    let n = 0;
    const longUri = (i: number): string => `bounds.user.p${i}.${'u'.repeat(URI_LENGTH - 40)}`;
    const held = await floodUnread(peer, () => peer.frame(REGISTER, {}, longUri(++n)), REGISTRATIONS_PER_SESSION + 32);
    expect(held).toBeGreaterThan(HIGH_WATER_MARK / 2);
    expect(held).toBeLessThanOrEqual(BOUND);
    // The registrations a session may hold, and no more: their URIs are at most 256 × limits.uriLength.
    expect(clientProcedures(server).registrationCount).toBe(REGISTRATIONS_PER_SESSION);
    const uris = [...(clientProcedures(server) as unknown as { byUri: Map<string, unknown> }).byUri.keys()];
    expect(uris.reduce((sum, uri) => sum + uri.length, 0)).toBeLessThanOrEqual(REGISTRATIONS_PER_SESSION * URI_LENGTH);
    await othersAreAnswered();

    peer.bare.socket.resume();
    const registered = await peer.received((message) => message[0] === REGISTERED, 'the registrations', REGISTRATIONS_PER_SESSION);
    expect(registered).toHaveLength(REGISTRATIONS_PER_SESSION);
    const next = REGISTRATIONS_PER_SESSION + 2; // request 1 was the fill topic's SUBSCRIBE
    const [refusal] = await peer.received((message) => message[0] === ERROR && message[2] === next, 'the first refusal');
    expect(refusal).toEqual([ERROR, REGISTER, next, {}, BUSY, [`at most ${REGISTRATIONS_PER_SESSION} registrations per session`]]);
  });

  it(`CALLs from several callers to a v2 callee that reads nothing: ${CALLS_IN_FLIGHT} INVOCATIONs wait (limits.callsInFlight per callee), the rest get error#busy, the callee held ≤ the bound`, async () => {
    const callee = await flooder();
    callee.bare.socket.write(callee.frame(REGISTER, {}, 'bounds.user.stuck'));
    await callee.received((message) => message[0] === REGISTERED, 'REGISTERED');
    callee.bare.socket.pause();
    const probe = probeOf(callee);
    await fill(callee, probe);
    // Six callers, each under its own callsInFlight, 42 calls in all with 4 KiB of arguments each.
    const callers = await Promise.all(Array.from({ length: 6 }, () => session()));
    for (const caller of callers) for (let i = 1; i < CALLS_IN_FLIGHT; i++) caller.call('bounds.user.stuck', ['a'.repeat(4096)]);
    // Refused calls are answered at once; the ones that reached the callee wait for it.
    const expected = callers.length * (CALLS_IN_FLIGHT - 1) - CALLS_IN_FLIGHT;
    const refusals = (): unknown[][] => callers.flatMap((caller) => caller.pending() as unknown[][]).filter((frame) => frame[0] === ERROR);
    await until(() => probe.sample() >= 0 && refusals().length === expected, `${expected} refusals`);
    for (const refusal of refusals()) {
      expect(refusal.slice(0, 2)).toEqual([ERROR, CALL]);
      expect(refusal.slice(3)).toEqual([{}, BUSY, [`the callee has ${CALLS_IN_FLIGHT} calls in flight`]]);
    }
    expect(clientProcedures(server).pendingInvocationCount).toBe(CALLS_IN_FLIGHT);
    probe.sample();
    expect(probe.max).toBeGreaterThan(HIGH_WATER_MARK / 2);
    expect(probe.max).toBeLessThanOrEqual(BOUND);
    await othersAreAnswered();

    callee.bare.socket.resume();
    const invocations = await callee.received((message) => message[0] === INVOCATION, 'the invocations', CALLS_IN_FLIGHT);
    expect(invocations).toHaveLength(CALLS_IN_FLIGHT);
  });

  it(`SUBSCRIBE exact and prefix, long topics, past limits.subscriptions (${SUBSCRIPTIONS}) from a peer that reads nothing: ${SUBSCRIPTIONS} kept, the rest refused, held ≤ the bound`, async () => {
    const peer = await flooder();
    const refusedBefore = server.broker.stats().refused['too-many-subscriptions'];
    let n = 0;
    const held = await floodUnread(
      peer,
      () => {
        n++;
        const topic = `bounds.ev.t${n}.${'t'.repeat(URI_LENGTH - 40)}`;
        return n % 2 === 0 ? peer.frame(SUBSCRIBE, {}, topic) : peer.frame(SUBSCRIBE, { match: 'prefix' }, `${topic}.`);
      },
      SUBSCRIPTIONS + 32,
    );
    expect(held).toBeGreaterThan(HIGH_WATER_MARK / 2);
    expect(held).toBeLessThanOrEqual(BOUND);
    expect(topicIndex(server).v2.size).toBe(SUBSCRIPTIONS);
    expect(topicIndex(server).v2.prefixes.size).toBe(SUBSCRIPTIONS / 2);
    expect(server.broker.stats().topics).toBe(SUBSCRIPTIONS / 2);
    expect(server.broker.stats().refused['too-many-subscriptions'] - refusedBefore).toBeGreaterThan(0);
    await othersAreAnswered();

    peer.bare.socket.resume();
    expect(await peer.received((message) => message[0] === SUBSCRIBED, 'the subscriptions', SUBSCRIPTIONS)).toHaveLength(SUBSCRIPTIONS);
    const next = SUBSCRIPTIONS + 1; // request 1, the fill topic, was the first of the session's subscriptions
    const [refusal] = await peer.received((message) => message[0] === ERROR && message[2] === next, 'the first refusal');
    expect(refusal).toEqual([
      ERROR,
      SUBSCRIBE,
      next,
      {},
      'wamp.error.not_authorized',
      [`at most ${SUBSCRIPTIONS} subscriptions per session`],
    ]);
  });

  it('acknowledged PUBLISH of 4 KiB events from a peer that reads nothing: PUBLISHED piles up to the mark only, held ≤ the bound; a subscriber gets them', async () => {
    const subscriber = await session();
    const subscribe = subscriber.nextRequest();
    subscriber.send([SUBSCRIBE, subscribe, {}, 'bounds.ev.flood']);
    await subscriber.nextMatching((frame) => frame[0] === SUBSCRIBED && frame[1] === subscribe, 'SUBSCRIBED');
    const peer = await flooder();
    const payload = 'p'.repeat(4096);
    const held = await floodUnread(peer, () => peer.frame(PUBLISH, { acknowledge: true }, 'bounds.ev.flood', [payload]), 64);
    expect(held).toBeGreaterThan(HIGH_WATER_MARK / 2);
    expect(held).toBeLessThanOrEqual(BOUND);
    await subscriber.nextMatching((frame) => frame[0] === EVENT && (frame[4] as unknown[])[0] === payload, 'an event of the flood');
    await othersAreAnswered();

    peer.bare.socket.resume();
    const [published] = await peer.received((message) => message[0] === PUBLISHED, 'PUBLISHED');
    expect(published).toEqual([PUBLISHED, 2, expect.any(Number)]);
  });

  it('a v2 subscriber that reads nothing of a large fan-out: its events are dropped past the mark, it is held ≤ the bound, a reading subscriber gets every event', async () => {
    const stalled = await flooder();
    stalled.bare.socket.write(stalled.frame(SUBSCRIBE, {}, 'bounds.ev.fanout'));
    await stalled.received((message) => message[0] === SUBSCRIBED && message[1] === 2, 'SUBSCRIBED');
    stalled.bare.socket.pause();
    const reading = await WampTestClient.connect(server.url);
    let readingGot = 0;
    reading.subscribe(`${EV}fanout`, () => readingGot++);
    await until(() => server.broker.subscribers(`${EV}fanout`).includes(reading.sessionId), 'the v1 subscription');
    const publisher = await session();
    const probe = probeOf(stalled);
    const droppedBefore = server.broker.stats().eventsDropped;
    const event = 'f'.repeat(MAX_PAYLOAD - 200);
    let published = 0;
    try {
      // Publish until the stalled subscriber's events are being dropped (the kernel's buffers are full and the mark is reached), bounded.
      while (server.broker.stats().eventsDropped - droppedBefore < 100 && published < 8000) {
        for (let i = 0; i < 50; i++) publisher.send([PUBLISH, publisher.nextRequest(), {}, 'bounds.ev.fanout', [event]]);
        published += 50;
        await until(() => readingGot === published, 'the reading subscriber to get the batch', 10_000);
        probe.sample();
      }
      expect(server.broker.stats().eventsDropped - droppedBefore).toBeGreaterThanOrEqual(100);
      expect(probe.max).toBeGreaterThan(HIGH_WATER_MARK / 2);
      expect(probe.max).toBeLessThanOrEqual(BOUND);
      expect(readingGot).toBe(published);
      await othersAreAnswered();
    } finally {
      await reading.close();
    }
  });
});
