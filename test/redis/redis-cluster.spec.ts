// RedisBackplane on a real three-master Redis Cluster that the test starts from the machine's
// redis-server (test/support/redis-cluster.ts), and sharded pub/sub on one Redis 7: delivery,
// filters, WampBroker.cluster, a master killed and a master paused.
import { jest } from '@jest/globals';
import { Injectable, Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { WampEmitter } from '../../src/emitter/index.js';
import { WampBroker, WampSubscribe } from '../../src/index.js';
import { startWampTestingApp } from '../../src/testing/index.js';
import { RedisBackplane, type RedisBackplaneOptions } from '../../src/redis/index.js';
import { keySlot } from '../../src/redis/key-slot.js';
import { notAClusterProblem, serverProblems } from '../../src/redis/server-check.js';
import { WampEngine } from '../../src/engine/wamp-engine.js';
import type { WampTestClient } from '../../src/testing/index.js';
import { crossDelivery, describeWithRedis, REDIS_URL } from '../support/redis.js';
import { describeWithRedisServer, RedisClusterServers } from '../support/redis-cluster.js';
import { type TestServer } from '../support/start-app.js';
import { sleep, until } from '../support/until.js';
import { backplaneOf, EV, startBackplaneApp } from '../support/backplane-app.js';

const KIB = 1024;
const KB_EVENT = { text: 'x'.repeat(1000) };

/** For the README's module, which allows no topic itself. */
@Injectable()
class OpenTopics {
  @WampSubscribe('http://example.com/event#*')
  mayJoin(): boolean {
    return true;
  }
}

function logged(spy: { mock: { calls: unknown[][] } }, text: string): number {
  return spy.mock.calls.filter(([message]) => String(message).includes(text)).length;
}

describe('RedisBackplane cluster and sharded options', () => {
  it.each([
    [{}, 'RedisBackplane needs exactly one of `url` and `client` (one Redis), or `cluster` (a Redis Cluster)'],
    [{ url: 'redis://x', cluster: { nodes: ['x:1'] } }, 'exactly one of'],
    [{ cluster: { nodes: [] } }, '`cluster.nodes` must list at least one node'],
    [{ cluster: { nodes: ['host:port'] } }, "a cluster node must be { host, port }, 'host:port' or 'redis://host:port'; got \"host:port\""],
    [{ cluster: { nodes: [{ host: 'h', port: 0 }] } }, 'a cluster node must be'],
    [
      { cluster: { nodes: ['h:1'] }, sharded: false },
      '`cluster` uses sharded pub/sub (SPUBLISH, SSUBSCRIBE); leave `sharded` unset or true',
    ],
    [
      { cluster: { nodes: ['h:1'], refreshIntervalMs: 0 } },
      'RedisBackplane option "cluster.refreshIntervalMs" must be a positive whole number',
    ],
  ])('rejects %j, saying what to change', (options, message) => {
    expect(() => new RedisBackplane(options as RedisBackplaneOptions)).toThrow(message);
  });

  it('has WampEmitter take the same options', () => {
    expect(() => new WampEmitter({ cluster: { nodes: ['h:1'] }, sharded: false })).toThrow(
      'WampEmitter: a Redis Cluster takes sharded pub/sub (SPUBLISH); leave `sharded` unset or true',
    );
    expect(() => new WampEmitter({ cluster: { nodes: ['h'] }, url: 'redis://h' } as never)).toThrow(
      'WampEmitter needs exactly one of `url` and `client`, or `cluster` for a Redis Cluster',
    );
    expect(() => new WampEmitter({ cluster: { nodes: [] } })).toThrow('WampEmitter: `cluster.nodes` must list at least one node');
    expect(() => new WampEmitter({ cluster: { nodes: ['h:x'] } })).toThrow('WampEmitter: a cluster node must be');
  });

  it('takes nodes as { host, port }, host:port and redis:// URLs', () => {
    expect(
      () => new RedisBackplane({ cluster: { nodes: [{ host: 'a', port: 7000 }, 'b:7001', 'redis://c:7002', 'rediss://[::1]:7003'] } }),
    ).not.toThrow();
  });

  it('says what is wrong with a server for sharded pub/sub', () => {
    const use = { owner: 'RedisBackplane', node: 'h:6379', sharded: true, cluster: false };
    expect(serverProblems('# Server\r\nredis_version:6.2.14\r\n', use)).toEqual([
      'RedisBackplane: sharded pub/sub (SPUBLISH, SSUBSCRIBE) needs Redis 7 or later, but the Redis at h:6379 is 6.2.14: events are not shared across instances. Upgrade Redis, or leave `sharded` unset.',
    ]);
    expect(serverProblems('redis_version:7.0.15\r\ncluster_enabled:1\r\n', use)).toEqual([
      expect.stringContaining(
        'is a node of a Redis Cluster, which serves the shard channels of its own slots only: give `cluster: { nodes: [...] }`',
      ),
    ]);
    expect(serverProblems('redis_version:7.0.15\r\ncluster_enabled:1\r\n', { ...use, cluster: true })).toEqual([]);
    expect(serverProblems('redis_version:6.2.14\r\n', { ...use, sharded: false })).toEqual([]);
    expect(notAClusterProblem('RedisBackplane', 'ERR This instance has cluster support disabled')).toContain(
      '`cluster` is set, but its nodes are not a Redis Cluster',
    );
    expect(notAClusterProblem('RedisBackplane', 'connect ECONNREFUSED')).toBeUndefined();
  });
});

const describeCluster = describeWithRedisServer();

describeCluster('RedisBackplane on a three-master Redis Cluster', () => {
  let cluster: RedisClusterServers;
  let prefix: string;
  let servers: TestServer[];
  let options: RedisBackplaneOptions;
  /** A topic whose channel lives on each master, by the master's index. */
  let topicOn: string[];

  beforeAll(async () => {
    cluster = await RedisClusterServers.start(3);
    prefix = `cluster-${randomBytes(4).toString('hex')}`;
    options = {
      cluster: { nodes: cluster.seeds, refreshIntervalMs: 1000 },
      channelPrefix: prefix,
      stallTimeoutMs: 400,
      pingIntervalMs: 100,
      requestTimeoutMs: 1000,
    };
    servers = await Promise.all([startBackplaneApp(options), startBackplaneApp(options), startBackplaneApp(options)]);
    topicOn = [];
    for (let n = 0; topicOn.filter(Boolean).length < 3; n++) {
      const topic = `${EV}room-${n}`;
      const owner = await cluster.ownerOf(keySlot(`${prefix}:${topic}`));
      topicOn[owner] ??= topic;
    }
    await until(() => servers.every((server) => backplaneOf(server).connected()), 'the instances to connect to every master', 10_000);
  }, 40_000);
  afterAll(async () => {
    await Promise.all((servers ?? []).map((server) => server.close()));
    await cluster?.destroy();
  });

  /** Waits until `count` instances subscribed the channel on the master of its slot. */
  async function shardSubscribers(channel: string, count: number): Promise<void> {
    await cluster.untilShardSubscribers(await cluster.ownerOf(keySlot(channel)), channel, count);
  }

  async function subscribers(topics: string[]): Promise<WampTestClient[]> {
    const clients = await Promise.all(servers.map((server) => server.connect()));
    for (const client of clients) for (const topic of topics) client.subscribe(topic, () => undefined);
    for (const topic of topics) await shardSubscribers(`${prefix}:${topic}`, servers.length);
    return clients;
  }

  it('computes the slot of a channel as Redis does (CLUSTER KEYSLOT)', async () => {
    const channels = [
      `${prefix}:${EV}room-1`,
      'nest-wamp:http://example.com/event#chat',
      'nest-wamp#cluster',
      '{user1000}.following',
      'foo{}{bar}',
      'foo{{bar}}zap',
      'foo{bar}{zap}',
      '{',
      '',
      'ünïcödé:主题',
    ];
    for (const channel of channels) expect([channel, keySlot(channel)]).toEqual([channel, await cluster.keySlot(channel)]);
  });

  it('subscribes each topic on the master of its slot, and delivers a publish once to every subscriber on every instance', async () => {
    expect(new Set(topicOn.map((topic) => cluster.ownerOf(keySlot(`${prefix}:${topic}`)))).size).toBe(3);
    const clients = await subscribers(topicOn);
    for (const [index, topic] of topicOn.entries()) {
      for (const server of servers) expect(backplaneOf(server).subscriptions()[cluster.key(index)]).toContain(`${prefix}:${topic}`);
    }
    const [onA, onB, onC] = clients;
    for (const topic of topicOn) {
      onA.publish(topic, { from: 'a' });
      onB.publish(topic, { from: 'b' });
      servers[2].app.get(WampBroker).publish(topic, 'end');
    }
    // Three publishers: each one's order holds, not an order between them.
    const received = (client: WampTestClient, topic: string) => client.eventsOn(topic).map((event) => JSON.stringify(event));
    const expected = [{ from: 'a' }, { from: 'b' }, 'end'].map((event) => JSON.stringify(event)).sort();
    await until(
      () => [onA, onB, onC].every((client) => topicOn.every((topic) => received(client, topic).length >= 3)),
      'every event',
      5000,
    );
    await sleep(100); // and no duplicate after them
    for (const client of [onA, onB, onC]) for (const topic of topicOn) expect(received(client, topic).sort()).toEqual(expected);
    // Order per publisher per topic holds on a shard too.
    const topic = topicOn[1];
    for (let n = 0; n < 200; n++) onC.publish(topic, n);
    for (const client of [onA, onB, onC]) await client.nextEvent(topic, 5000, (event) => event === 199);
    for (const client of [onA, onB, onC]) {
      expect(client.eventsOn(topic).filter((event) => typeof event === 'number')).toEqual(Array.from({ length: 200 }, (_, n) => n));
    }
    await Promise.all(clients.map((client) => client.close()));
    for (const topic of topicOn) await shardSubscribers(`${prefix}:${topic}`, 0);
  });

  it('applies excludeMe, exclude and eligible across instances', async () => {
    const topic = topicOn[2];
    const [onA, onB, onC] = await subscribers([topic]);
    onA.publish(topic, 'not-me', true);
    onA.publish(topic, 'not-b', [onB.sessionId]);
    onA.publish(topic, 'only-c-and-a', [], [onC.sessionId, onA.sessionId]);
    onA.publish(topic, 'end');
    for (const client of [onA, onB, onC]) await client.nextEvent(topic, 3000, (event) => event === 'end');
    servers[1].app.get(WampBroker).publish(topic, 'only-a', { eligible: [onA.sessionId] });
    servers[1].app.get(WampBroker).publish(topic, 'end-b');
    for (const client of [onA, onB, onC]) await client.nextEvent(topic, 3000, (event) => event === 'end-b');
    expect(onA.eventsOn(topic)).toEqual(['not-b', 'only-c-and-a', 'end', 'only-a', 'end-b']);
    expect(onB.eventsOn(topic)).toEqual(['not-me', 'end', 'end-b']);
    expect(onC.eventsOn(topic)).toEqual(['not-me', 'not-b', 'only-c-and-a', 'end', 'end-b']);
    await Promise.all([onA, onB, onC].map((client) => client.close()));
  });

  it("runs WampBroker.cluster's operations over shard channels, the receiver count exact", async () => {
    // Every instance listens to the request channel on the one master of its slot, and to its
    // answer channel on the same master (one hash tag).
    const bus = `{${prefix}#cluster}`;
    await shardSubscribers(bus, 3);
    const busOwner = cluster.key(await cluster.ownerOf(keySlot(bus)));
    for (const server of servers) {
      const { requestChannel, answerChannel } = backplaneOf(server).bus;
      expect([requestChannel, answerChannel]).toEqual([bus, `${bus}:${backplaneOf(server).bus.instanceId}`]);
      expect(backplaneOf(server).subscriptions()[busOwner]).toEqual(expect.arrayContaining([requestChannel, answerChannel]));
    }
    const [onA, onB, onC] = await Promise.all(servers.map((server) => server.connect()));
    for (const client of [onA, onB, onC]) await client.call('http://example.com/rpc#ping');
    const [a, b, c] = servers;
    const ids = (await a.broker.cluster.sessions()).map((session) => session.id);
    expect(ids).toEqual(expect.arrayContaining([onA.sessionId, onB.sessionId, onC.sessionId]));
    const heard: unknown[] = [];
    const stopB = b.broker.cluster.on('flush', (payload) => heard.push(payload));
    const stopC = c.broker.cluster.on('flush', (payload) => heard.push(payload));
    const started = Date.now();
    expect(await a.broker.cluster.emit('flush', 1)).toBe(2);
    // Answered by both, not by the timeout: the count of SPUBLISH told how many to wait for.
    expect(Date.now() - started).toBeLessThan(500);
    expect(heard).toEqual([1, 1]);
    stopB();
    stopC();
    expect(await b.broker.cluster.subscribe(onC.sessionId, topicOn[0])).toBe(true);
    expect(c.broker.subscribers(topicOn[0])).toContain(onC.sessionId);
    const closed = onC.closed;
    expect(await a.broker.cluster.close(onC.sessionId, 4001, 'moved')).toBe(true);
    expect(await closed).toMatchObject({ code: 4001 });
    await Promise.all([onA.close(), onB.close()]);
  });

  it('lets a WampEmitter publish into the cluster (cluster.nodes, or a Cluster client of yours), to every instance', async () => {
    const [onA, onB, onC] = await subscribers(topicOn);
    const emitter = new WampEmitter({ cluster: { nodes: cluster.seeds }, channelPrefix: prefix });
    const yours = new Cluster(cluster.seeds);
    const onYours = new WampEmitter({ client: yours, channelPrefix: prefix });
    try {
      // SPUBLISH counts the instances subscribed on the channel's master: all three.
      for (const topic of topicOn) expect(await emitter.publish(topic, 'from the emitter')).toBe(3);
      expect(await onYours.publish(topicOn[0], 'only-b', { eligible: onB.sessionId })).toBe(3);
      for (const client of [onA, onB, onC]) {
        for (const topic of topicOn) expect(await client.nextEvent(topic)).toBe('from the emitter');
      }
      expect(await onB.nextEvent(topicOn[0])).toBe('only-b');
      await sleep(100);
      expect(onA.eventsOn(topicOn[0])).toEqual(['from the emitter']);
    } finally {
      await Promise.all([emitter.close(), onYours.close()]);
      yours.disconnect();
      await Promise.all([onA, onB, onC].map((client) => client.close()));
    }
  });

  it("runs the README's cluster module (test/fixtures/readme/redis-cluster.ts) as written, with the other instances", async () => {
    const before = process.env.REDIS_CLUSTER_NODES;
    process.env.REDIS_CLUSTER_NODES = cluster.seeds.map(({ host, port }) => `${host}:${port}`).join(',');
    let readme: TestServer;
    try {
      const { ClusterAppModule } = await import('../fixtures/readme/redis-cluster.js'); // reads the nodes once, when evaluated
      const moduleRef = await Test.createTestingModule({ imports: [ClusterAppModule], providers: [OpenTopics] }).compile();
      readme = await startWampTestingApp(moduleRef, { app: { logger: false } });
    } finally {
      if (before === undefined) delete process.env.REDIS_CLUSTER_NODES;
      else process.env.REDIS_CLUSTER_NODES = before;
    }
    // Another instance configured the same way by hand (the default channel prefix).
    const other = await startBackplaneApp({ cluster: { nodes: cluster.seeds } });
    try {
      const topic = `${EV}readme-cluster`;
      const subscriber = await other.connect();
      subscriber.subscribe(topic, () => undefined);
      let sent = 0;
      await until(() => {
        if (subscriber.eventsOn(topic).length === 0) readme.broker.publish(topic, { n: ++sent });
        return subscriber.eventsOn(topic).length > 0;
      }, 'an event from the README instance');
      await subscriber.close();
    } finally {
      await Promise.all([readme.close(), other.close()]);
    }
  });

  it('drops and counts the events of a killed master, keeps the others flowing with nothing held, and recovers when it is back', async () => {
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const logs = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const busOwner = await cluster.ownerOf(keySlot(`{${prefix}#cluster}`));
    const victim = [0, 1, 2].find((index) => index !== busOwner)!;
    const survivors = topicOn.filter((_, index) => index !== victim);
    const lost = topicOn[victim];
    try {
      const [onA, onB, onC] = await subscribers(topicOn);
      const [a, b] = servers;
      await crossDelivery(onA, onB, lost, 'before');

      await cluster.killNode(victim);
      await until(() => logged(errors, 'Redis backplane unreachable') === 3, 'one outage log per instance', 5000);
      expect(errors.mock.calls[0][0]).toContain(`node ${cluster.key(victim)}: `);
      expect(errors.mock.calls[0][0]).toContain("the events of topics on that node's slots reach this instance's subscribers only");
      expect(a.app.get(WampEngine).backplane.connected?.()).toBe(false);

      // Everything published on the dead master's slots is dropped at once: nothing waits for it.
      const broker = a.app.get(WampBroker);
      const droppedBefore = backplaneOf(a).dropped;
      for (let n = 0; n < 5000; n++) broker.publish(lost, KB_EVENT, { exclude: [onA.sessionId] });
      expect(backplaneOf(a).dropped - droppedBefore).toBe(5000);
      expect(backplaneOf(a).inFlight).toEqual({ events: 0, bytes: 0 });
      // The other masters' topics flow, locally and across instances; so do calls and the bus.
      for (const topic of survivors) {
        onA.publish(topic, 'during');
        for (const client of [onA, onB, onC]) expect(await client.nextEvent(topic, 3000, (event) => event === 'during')).toBe('during');
      }
      broker.publish(lost, 'local-only');
      expect(await onA.nextEvent(lost, 2000, (event) => event === 'local-only')).toBe('local-only');
      expect(await onB.call('http://example.com/rpc#ping')).toBe('pong');
      expect((await b.broker.cluster.sessions()).map((session) => session.id)).toEqual(
        expect.arrayContaining([onA.sessionId, onB.sessionId, onC.sessionId]),
      );
      for (const client of [onA, onB, onC]) expect(client.isOpen).toBe(true);
      expect(logged(errors, 'Redis backplane unreachable')).toBe(3);

      await cluster.startNode(victim);
      await crossDelivery(onA, onB, lost, 'after', 20_000);
      await crossDelivery(onC, onA, lost, 'back', 10_000);
      await until(() => logged(logs, 'Redis backplane reachable again') === 3, 'one recovery log per instance', 10_000);
      expect(onB.eventsOn(lost)).not.toContain('local-only');
      expect(servers.every((server) => backplaneOf(server).connected())).toBe(true);
      await Promise.all([onA, onB, onC].map((client) => client.close()));
    } finally {
      await cluster.startNode(victim).catch(() => undefined);
      errors.mockRestore();
      logs.mockRestore();
    }
  }, 50_000);
  it('bounds what waits for a paused master, cuts its stalled connections, keeps the others flowing, and recovers when it answers', async () => {
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const logs = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const busOwner = await cluster.ownerOf(keySlot(`{${prefix}#cluster}`));
    const victim = [0, 1, 2].find((index) => index !== busOwner)!;
    const hung = topicOn[victim];
    const survivor = topicOn.find((_, index) => index !== victim)!;
    try {
      const [onA, onB, onC] = await subscribers([hung, survivor]);
      const [a] = servers;
      await crossDelivery(onA, onB, hung, 'before');

      cluster.pauseNode(victim);
      const broker = a.app.get(WampBroker);
      const backplane = backplaneOf(a);
      const maxInFlightBytes = 8 * 1024 * KIB; // the default
      let published = 0;
      let mostBytes = 0;
      // ~1 KB events on the paused master's slots until every instance noticed, and 10 MB at least.
      while (published < 10_000 || logged(errors, 'Redis backplane unreachable') < 3) {
        for (let n = 0; n < 500; n++) broker.publish(hung, KB_EVENT, { exclude: [onA.sessionId] });
        published += 500;
        mostBytes = Math.max(mostBytes, backplane.inFlight.bytes);
        await new Promise((resolve) => setImmediate(resolve));
        if (published > 200_000) throw new Error('the stall was not noticed');
      }
      if (process.env.WAMP_TEST_LOG) {
        console.info(`paused master, ${published} events of 1 KB: at most ${mostBytes} bytes in flight; dropped ${backplane.dropped}`);
      }
      expect(mostBytes).toBeLessThanOrEqual(maxInFlightBytes);
      expect(backplane.inFlight.events).toBeLessThanOrEqual(1000);
      expect(errors.mock.calls.map(([message]) => String(message))).toContainEqual(
        expect.stringContaining(`Redis backplane unreachable (node ${cluster.key(victim)}: no answer within 400 ms)`),
      );
      // The stalled connections were cut: what they held is failed and counted.
      await until(() => backplane.inFlight.events === 0, 'the stalled events to be failed', 5000);
      expect(backplane.dropped).toBeGreaterThanOrEqual(published - 1000);
      // The other masters' topics flow meanwhile.
      onB.publish(survivor, 'during');
      for (const client of [onA, onB, onC]) expect(await client.nextEvent(survivor, 3000, (event) => event === 'during')).toBe('during');

      cluster.resumeNode(victim);
      await crossDelivery(onA, onB, hung, 'after', 20_000);
      await crossDelivery(onC, onA, hung, 'back', 10_000);
      await until(() => logged(logs, 'Redis backplane reachable again') === 3, 'one recovery log per instance', 10_000);
      expect(logged(errors, 'Redis backplane unreachable')).toBe(3);
      await Promise.all([onA, onB, onC].map((client) => client.close()));
    } finally {
      cluster.resumeNode(victim);
      errors.mockRestore();
      logs.mockRestore();
    }
  }, 40_000);

  it('holds what it publishes for a master it is still connecting to, within the in-flight bounds, until stallTimeoutMs', async () => {
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const logs = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const busOwner = await cluster.ownerOf(keySlot(`{${prefix}#cluster}`));
    const victim = [0, 1, 2].find((index) => index !== busOwner)!;
    const hung = topicOn[victim];
    const maxInFlightBytes = 1024 * KIB;
    let late: TestServer | undefined;
    try {
      const [onA] = await subscribers([hung]);
      // A new instance starts while a master does not answer: its connection to that master is
      // opened (TCP) but never ready, so what it publishes there waits in its opening queue.
      cluster.pauseNode(victim);
      late = await startBackplaneApp({ ...options, maxInFlightBytes });
      const backplane = backplaneOf(late);
      await until(() => cluster.key(victim) in backplane.subscriptions(), 'the late instance to know every master', 10_000);
      const broker = late.app.get(WampBroker);
      let mostBytes = 0;
      let mostEvents = 0;
      for (let round = 0; round < 10; round++) {
        for (let n = 0; n < 500; n++) broker.publish(hung, KB_EVENT);
        mostBytes = Math.max(mostBytes, backplane.inFlight.bytes);
        mostEvents = Math.max(mostEvents, backplane.inFlight.events);
        await new Promise((resolve) => setImmediate(resolve));
      }
      // 5,000 events of ~1 KB: what is held stays within maxInFlightBytes, the rest is dropped at once.
      expect(mostBytes).toBeLessThanOrEqual(maxInFlightBytes);
      expect(mostBytes).toBeGreaterThan(maxInFlightBytes - 2 * KIB);
      expect(backplane.dropped).toBe(5000 - mostEvents);
      // Held past stallTimeoutMs (400 ms here), the events are let go and counted.
      await until(() => backplane.inFlight.events === 0, 'the held events to expire', 3000);
      expect(backplane.inFlight.bytes).toBe(0);
      expect(backplane.dropped).toBe(5000);

      cluster.resumeNode(victim);
      await until(() => backplane.connected(), 'the late instance to connect to the resumed master', 10_000);
      // A's own connections to that master come back too: events cross again, and none of the expired ones.
      let attempt = 0;
      await until(
        () => {
          broker.publish(hung, `after-${++attempt}`);
          return onA.eventsOn(hung).some((event) => String(event).startsWith('after-'));
        },
        'events from the late instance to cross',
        10_000,
      );
      expect(onA.eventsOn(hung)).not.toContainEqual(KB_EVENT);
      await onA.close();
    } finally {
      cluster.resumeNode(victim);
      await late?.close();
      errors.mockRestore();
      logs.mockRestore();
    }
  }, 40_000);
});

const describeRedis = await describeWithRedis();

describeRedis('RedisBackplane with sharded pub/sub on one Redis 7', () => {
  let prefix: string;
  let servers: TestServer[];
  let redis: Redis;
  let client: Redis;

  beforeAll(async () => {
    prefix = `sharded-${randomBytes(4).toString('hex')}`;
    redis = new Redis(REDIS_URL);
    client = new Redis(REDIS_URL);
    // One from a URL, one on an ioredis client of the application's.
    servers = await Promise.all([
      startBackplaneApp({ url: REDIS_URL, sharded: true, channelPrefix: prefix }),
      startBackplaneApp({ client, sharded: true, channelPrefix: prefix }),
    ]);
  });
  afterAll(async () => {
    await Promise.all((servers ?? []).map((server) => server.close()));
    redis?.disconnect();
    client?.disconnect();
  });

  const shardSubscribers = async (channel: string) => Number(((await redis.call('PUBSUB', 'SHARDNUMSUB', channel)) as [string, number])[1]);
  const classicSubscribers = async (channel: string) => Number(((await redis.pubsub('NUMSUB', channel)) as [string, number])[1]);

  it('subscribes shard channels only while there are subscribers, and shares events and WampBroker.cluster over them', async () => {
    const topic = `${EV}sharded`;
    const channel = `${prefix}:${topic}`;
    const [onA, onB] = await Promise.all(servers.map((server) => server.connect()));
    onA.subscribe(topic, () => undefined);
    onB.subscribe(topic, () => undefined);
    await until(async () => (await shardSubscribers(channel)) === 2, 'two shard subscribers', 5000);
    expect(await classicSubscribers(channel)).toBe(0);
    expect(await shardSubscribers(`{${prefix}#cluster}`)).toBe(2);

    onA.publish(topic, 'to both');
    servers[1].app.get(WampBroker).publish(topic, 'only-a', { eligible: [onA.sessionId] });
    for (const receiver of [onA, onB]) expect(await receiver.nextEvent(topic)).toBe('to both');
    expect(await onA.nextEvent(topic)).toBe('only-a');
    // A classic PUBLISH on the same name is another channel: not seen.
    await redis.publish(channel, `{"o":"someone"}\n${JSON.stringify([8, topic, 'classic'])}`);
    await redis.call('SPUBLISH', channel, `{"o":"someone"}\n${JSON.stringify([8, topic, 'sharded'])}`);
    for (const receiver of [onA, onB]) expect(await receiver.nextEvent(topic)).toBe('sharded');
    expect(onB.eventsOn(topic)).toEqual(['to both', 'sharded']);

    expect((await servers[0].broker.cluster.sessions()).map((session) => session.id)).toEqual(
      expect.arrayContaining([onA.sessionId, onB.sessionId]),
    );
    const emitter = new WampEmitter({ url: REDIS_URL, sharded: true, channelPrefix: prefix });
    try {
      expect(await emitter.publish(topic, 'emitted')).toBe(2);
      for (const receiver of [onA, onB]) expect(await receiver.nextEvent(topic)).toBe('emitted');
    } finally {
      await emitter.close();
    }
    const stop = servers[1].broker.cluster.on('ping', () => undefined);
    expect(await servers[0].broker.cluster.emit('ping')).toBe(1);
    stop();

    onB.unsubscribe(topic);
    await until(async () => (await shardSubscribers(channel)) === 1, 'one shard subscriber left', 5000);
    expect(servers.every((server) => backplaneOf(server).connected())).toBe(true);
    await Promise.all([onA.close(), onB.close()]);
  });
});
