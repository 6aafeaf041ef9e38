// WAMP v2 pub/sub across two instances on the machine's Redis: v1 ↔ v2 and v2 ↔ v2, one
// publication id everywhere, the v2 payload carried when it is more than [event], exclude/eligible
// by either id form, messages without v2 fields (WampEmitter, older publishers) reaching v2
// subscribers, and prefix subscriptions through Redis pattern subscriptions, each event once.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { WampModule, type WampSession } from '../../src/index.js';
import { WampEmitter } from '../../src/emitter/index.js';
import { encodeEvent } from '../../src/protocol/encode.js';
import { RedisBackplane } from '../../src/redis/index.js';
import { WampTestClient } from '../../src/testing/index.js';
import { backplaneOf } from '../support/backplane-app.js';
import { RawV2PubSubPeer } from '../support/raw-v2-peer.js';
import type { RawWamp2Socket, Wamp2Frame } from '../support/raw-wamp2-socket.js';
import { describeWithRedis, REDIS_URL } from '../support/redis.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { sleep, until } from '../support/until.js';
import { EVENT, PUBLISH, PUBLISHED } from '../support/wamp2-codes.js';

const EV = 'http://example.com/event#';
const REALM = 'cluster';
const PROBE = '--probe--';

/** A v2 session over raw frames on one instance. */
class V2Peer extends RawV2PubSubPeer {
  /** Every EVENT received, probes left out. */
  readonly events: Wamp2Frame[] = [];

  private constructor(socket: RawWamp2Socket, id: number) {
    super(socket, id);
    socket.ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as Wamp2Frame;
      if (message[0] === EVENT && (message[4] as unknown[] | undefined)?.[0] !== PROBE) this.events.push(message);
    });
  }

  static async open(url: string): Promise<V2Peer> {
    return new V2Peer(...(await RawV2PubSubPeer.welcome(url, REALM)));
  }

  /** PUBLISH acknowledged: the publication id. */
  async publish(topic: string, options: Record<string, unknown>, args?: unknown[], kwargs?: Record<string, unknown>): Promise<number> {
    const payload = kwargs ? [args ?? [], kwargs] : args ? [args] : [];
    const request = this.send(PUBLISH, { ...options, acknowledge: true }, topic, ...payload);
    const published = await this.socket.nextOfType(PUBLISHED);
    expect(published[1]).toBe(request);
    return published[2] as number;
  }

  /** The events with these first arguments, once all have come (in order of arrival). */
  async eventsWith(...firstArgs: unknown[]): Promise<Wamp2Frame[]> {
    const matching = (): Wamp2Frame[] => this.events.filter((event) => firstArgs.includes((event[4] as unknown[] | undefined)?.[0]));
    await until(() => matching().length >= firstArgs.length, `events ${JSON.stringify(firstArgs)}`);
    return matching();
  }
}

const describeRedis = await describeWithRedis();

describeRedis('WAMP v2 pub/sub across instances (RedisBackplane)', () => {
  let prefix: string;
  let a: TestServer;
  let b: TestServer;
  let redis: Redis;
  let peers: V2Peer[];
  let v1Clients: WampTestClient[];

  const start = (): Promise<TestServer> =>
    startApp({
      imports: [
        WampModule.forRoot({
          v2: { realm: REALM, uris: [{ v1: `${EV}*`, v2: 'cluster.ev.*' }] },
          topics: { [`${EV}*`]: true },
          backplane: new RedisBackplane({ url: REDIS_URL, channelPrefix: prefix }),
        }),
      ],
    });

  const v2On = async (server: TestServer): Promise<V2Peer> => {
    const peer = await V2Peer.open(server.url);
    peers.push(peer);
    return peer;
  };

  const v1On = async (server: TestServer, topic?: string): Promise<WampTestClient> => {
    const client = await WampTestClient.connect(server.url);
    v1Clients.push(client);
    if (topic) {
      client.subscribe(topic, () => undefined);
      await until(() => server.broker.subscribers(topic).includes(client.sessionId), 'the v1 subscription');
    }
    return client;
  };

  /** Both ids of a session of `server`. */
  const idsOf = (server: TestServer, match: (session: WampSession) => boolean): { v1: string; v2: number } => {
    const session = server.broker.sessions().find(match)!;
    return { v1: session.id, v2: session.v2Id };
  };

  /** Waits until `count` instances receive the channel of `topic` from Redis. */
  const channelSubscribers = async (topic: string, count: number): Promise<void> => {
    const channel = `${prefix}:${topic}`;
    await until(async () => Number(((await redis.pubsub('NUMSUB', channel)) as [string, number])[1]) === count, `${count} on ${channel}`);
  };

  /** Waits until `subscriber` gets events `publisher` publishes on `topic` (a pattern subscription is effective): probes until one arrives. */
  const reachable = async (publisher: V2Peer, subscriber: V2Peer, topic: string): Promise<void> => {
    let arrived = false;
    const listener = (data: unknown): void => {
      if (String(data).includes(PROBE)) arrived = true;
    };
    subscriber.socket.ws.on('message', listener);
    try {
      await until(async () => {
        await publisher.publish(topic, {}, [PROBE]);
        await sleep(20);
        return arrived;
      }, `probes on ${topic} to arrive`);
    } finally {
      subscriber.socket.ws.off('message', listener);
    }
  };

  beforeAll(async () => {
    prefix = `test-v2-${randomBytes(6).toString('hex')}`;
    redis = new Redis(REDIS_URL);
    [a, b] = await Promise.all([start(), start()]);
  });

  beforeEach(() => {
    peers = [];
    v1Clients = [];
  });

  afterEach(async () => {
    await Promise.all([...peers.map((peer) => peer.socket.close()), ...v1Clients.filter((c) => c.isOpen).map((c) => c.close())]);
    await until(() => a.broker.sessions().length + b.broker.sessions().length === 0, 'every session to be gone');
  });

  afterAll(async () => {
    await Promise.all([a, b].map((server) => server?.close()));
    redis?.disconnect();
  });

  it('v2 → v1 and v2 on the other instance: one publication id everywhere, the payload as sent', async () => {
    const topic = `${EV}both`;
    const publisher = await v2On(a);
    const [localV2, remoteV2] = [await v2On(a), await v2On(b)];
    const localId = await localV2.subscribe('cluster.ev.both');
    const remoteId = await remoteV2.subscribe('cluster.ev.both');
    const remoteV1 = await v1On(b, topic);
    await channelSubscribers(topic, 2);
    const publication = await publisher.publish('cluster.ev.both', {}, ['first', 2], { k: 'v' });
    expect(await localV2.eventsWith('first')).toEqual([[EVENT, localId, publication, {}, ['first', 2], { k: 'v' }]]);
    expect(await remoteV2.eventsWith('first')).toEqual([[EVENT, remoteId, publication, {}, ['first', 2], { k: 'v' }]]);
    expect(await remoteV1.nextEvent(topic)).toBe('first');
    // kwargs alone: v1 gets the kwargs object.
    const second = await publisher.publish('cluster.ev.both', {}, undefined, { only: 'kw' });
    expect(await remoteV1.nextEvent(topic)).toEqual({ only: 'kw' });
    await until(() => remoteV2.events.length === 2, 'the second event on b');
    expect(remoteV2.events[1]).toEqual([EVENT, remoteId, second, {}, [], { only: 'kw' }]);
  });

  it('v1 → v2 on the other instance as Arguments [event], and one publication id on both instances', async () => {
    const topic = `${EV}fromv1`;
    const [onA, onB] = [await v2On(a), await v2On(b)];
    await onA.subscribe('cluster.ev.fromv1');
    const idOnB = await onB.subscribe('cluster.ev.fromv1');
    await channelSubscribers(topic, 2);
    const publisher = await v1On(a);
    publisher.publish(topic, { text: 'hi' });
    await until(() => onA.events.length === 1 && onB.events.length === 1, 'one event on each instance');
    expect(onB.events[0]).toEqual([EVENT, idOnB, expect.any(Number), {}, [{ text: 'hi' }]]);
    expect(onA.events[0]![2]).toBe(onB.events[0]![2]);
  });

  it('honours exclude and eligible across instances by either id form', async () => {
    const topic = `${EV}lists`;
    const publisher = await v2On(a);
    const v2OnB = await v2On(b);
    const subscription = await v2OnB.subscribe('cluster.ev.lists');
    const v1OnB = await v1On(b, topic);
    await channelSubscribers(topic, 1);
    const v1Ids = idsOf(b, (session) => session.id === v1OnB.sessionId);
    const v2Ids = idsOf(b, (session) => session.v2Id === v2OnB.id);

    await publisher.publish('cluster.ev.lists', { exclude: [v1Ids.v2] }, ['not for v1']);
    await publisher.publish('cluster.ev.lists', { eligible: [v1Ids.v2] }, ['only v1']);
    // A v1 publisher on a: its lists hold v1 ids; and the broker of a with v2 ids as numbers.
    const v1OnA = await v1On(a);
    v1OnA.publish(topic, 'not for v2', [v2Ids.v1]);
    a.broker.publish(topic, 'broker: only v2', { eligible: v2Ids.v2 });
    v1OnA.publish(topic, 'end', []);

    expect(await v1OnB.nextEvent(topic, 3000, (event) => event === 'end')).toBe('end');
    expect(v1OnB.eventsOn(topic)).toEqual(['only v1', 'not for v2', 'end']);
    const seen = await v2OnB.eventsWith('not for v1', 'broker: only v2', 'end');
    expect(seen.map((event) => (event[4] as unknown[])[0])).toEqual(['not for v1', 'broker: only v2', 'end']);
    expect(seen.every((event) => event[1] === subscription)).toBe(true);
  });

  it('delivers what WampEmitter and publishers without v2 fields publish to v2 subscribers as Arguments [event]', async () => {
    const topic = `${EV}emitted`;
    const v2OnB = await v2On(b);
    const subscription = await v2OnB.subscribe('cluster.ev.emitted');
    await channelSubscribers(topic, 1);
    const emitter = new WampEmitter({ url: REDIS_URL, channelPrefix: prefix });
    try {
      await emitter.publish(topic, { from: 'emitter' }, { eligible: [String(v2OnB.id)] });
    } finally {
      await emitter.close();
    }
    // An older publisher's envelope: origin and lists only.
    await redis.publish(`${prefix}:${topic}`, `{"o":"old"}\n${encodeEvent(topic, 'old')}`);
    // Garbage v2 fields make the message not ours.
    await redis.publish(`${prefix}:${topic}`, `{"o":"bad","p":-1}\n${encodeEvent(topic, 'bad')}`);
    await redis.publish(`${prefix}:${topic}`, `{"o":"bad","a":{}}\n${encodeEvent(topic, 'bad')}`);
    await redis.publish(`${prefix}:${topic}`, `{"o":"bad"}\n[8,"${topic}"]`);
    await redis.publish(`${prefix}:${topic}`, `{"o":"last"}\n${encodeEvent(topic, 'last')}`);
    await until(() => v2OnB.events.length >= 3, 'the three events');
    await sleep(50);
    expect(v2OnB.events.map((event) => [event[1], event[3], event[4]])).toEqual([
      [subscription, {}, [{ from: 'emitter' }]],
      [subscription, {}, ['old']],
      [subscription, {}, ['last']],
    ]);
    expect(new Set(v2OnB.events.map((event) => event[2])).size).toBe(3);
  });

  it('shares prefix subscriptions through pattern subscriptions, each event once per subscription', async () => {
    const publisher = await v2On(a);
    const onB = await v2On(b);
    const wide = await onB.subscribe('cluster.ev.feed', { match: 'prefix' });
    const narrow = await onB.subscribe('cluster.ev.feed/x', { match: 'prefix' });
    const exact = await onB.subscribe('cluster.ev.feed/x/1');
    await channelSubscribers(`${EV}feed/x/1`, 1);
    await reachable(publisher, onB, 'cluster.ev.feed/x/probe');
    expect(backplaneOf(b).watchedPrefixes().sort()).toEqual([`${EV}feed`, `${EV}feed/x`]);
    const first = await publisher.publish('cluster.ev.feed/x/1', {}, ['one']);
    const second = await publisher.publish('cluster.ev.feed/y', {}, ['two']);
    const v1 = await v1On(a);
    v1.publish(`${EV}feed/x/2`, 'three');
    await publisher.publish('cluster.ev.other', {}, ['elsewhere']);
    const events = await onB.eventsWith('one', 'one', 'one', 'two', 'three', 'three');
    await sleep(100);
    expect(onB.events.filter((event) => (event[4] as unknown[])[0] !== 'elsewhere')).toHaveLength(6);
    expect(events).toEqual(
      expect.arrayContaining([
        [EVENT, wide, first, { topic: 'cluster.ev.feed/x/1' }, ['one']],
        [EVENT, narrow, first, { topic: 'cluster.ev.feed/x/1' }, ['one']],
        [EVENT, exact, first, {}, ['one']],
        [EVENT, wide, second, { topic: 'cluster.ev.feed/y' }, ['two']],
        [EVENT, wide, expect.any(Number), { topic: 'cluster.ev.feed/x/2' }, ['three']],
        [EVENT, narrow, expect.any(Number), { topic: 'cluster.ev.feed/x/2' }, ['three']],
      ]),
    );
    expect(onB.events.some((event) => (event[4] as unknown[])[0] === 'elsewhere')).toBe(false);
    // Gone with the session: no pattern left.
    await onB.socket.close();
    await until(() => backplaneOf(b).watchedPrefixes().length === 0, 'the prefixes to be unwatched');
  });
});
