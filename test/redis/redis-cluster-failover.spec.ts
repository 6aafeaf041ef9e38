// RedisBackplane on a real Redis Cluster of three masters with one replica each, started from the
// machine's redis-server (test/support/redis-cluster-servers.ts): a manual failover of a topic's
// master, and its slot moved to another master. After each, the backplane follows the slot map
// and events cross instances again, each once and in order.
import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { WampBroker } from '../../src/index.js';
import type { WampTestClient } from '../../src/testing/index.js';
import { keySlot } from '../../src/redis/key-slot.js';
import { crossDelivery } from '../support/redis.js';
import { describeWithRedisServer, RedisClusterServers } from '../support/redis-cluster.js';
import { type TestServer } from '../support/start-app.js';
import { sleep, until } from '../support/until.js';
import { backplaneOf, EV, startBackplaneApp } from '../support/backplane-app.js';

const describeCluster = describeWithRedisServer();

describeCluster('RedisBackplane on a Redis Cluster with replicas: failover and resharding', () => {
  let cluster: RedisClusterServers;
  let servers: TestServer[];
  let prefix: string;
  let topic: string;
  let channel: string;
  let slot: number;
  let publisher: WampTestClient;
  let subscriber: WampTestClient;
  let errors: ReturnType<typeof jest.spyOn>;
  let logs: ReturnType<typeof jest.spyOn>;

  beforeAll(async () => {
    // The outage logs of a node that stops being a master are expected here.
    errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    logs = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    cluster = await RedisClusterServers.start(3, { replicas: 1 });
    prefix = `failover-${randomBytes(4).toString('hex')}`;
    const options = {
      cluster: { nodes: cluster.seeds, refreshIntervalMs: 1000 },
      channelPrefix: prefix,
      stallTimeoutMs: 400,
      pingIntervalMs: 100,
      requestTimeoutMs: 1000,
    };
    servers = await Promise.all([startBackplaneApp(options), startBackplaneApp(options)]);
    // A topic on another master than WampBroker.cluster's channels, so that only the topic moves.
    const busSlot = keySlot(`{${prefix}#cluster}`);
    const busOwner = await cluster.ownerOf(busSlot);
    for (let n = 0; ; n++) {
      topic = `${EV}room-${n}`;
      channel = `${prefix}:${topic}`;
      slot = keySlot(channel);
      if ((await cluster.ownerOf(slot)) !== busOwner) break;
    }
    await until(() => servers.every((server) => backplaneOf(server).connected()), 'the instances to connect to every master', 10_000);
    [publisher, subscriber] = await Promise.all(servers.map((server) => server.connect()));
    subscriber.subscribe(topic, () => undefined);
    await shardSubscribersOn(await cluster.ownerOf(slot), 1);
  }, 30_000);

  afterAll(async () => {
    await Promise.all([publisher, subscriber].map((client) => client?.close()));
    await Promise.all((servers ?? []).map((server) => server.close()));
    await cluster?.destroy();
    errors?.mockRestore();
    logs?.mockRestore();
  });

  /** Waits until `count` instances subscribed the topic's channel on the node at `index`. */
  function shardSubscribersOn(index: number, count: number): Promise<void> {
    return cluster.untilShardSubscribers(index, channel, count);
  }

  /**
   * Events published on A after recovery reach B once each and in order, and nothing that crossed
   * before was delivered twice.
   */
  async function exactlyOnceInOrder(label: string): Promise<void> {
    const count = 200;
    const numbered = () => subscriber.eventsOn(topic).filter((event): event is { [key: string]: number } => typeof event === 'object');
    const before = numbered().length;
    for (let n = 0; n < count; n++) publisher.publish(topic, { [label]: n });
    await subscriber.nextEvent(topic, 5000, (event) => (event as Record<string, number> | null)?.[label] === count - 1);
    await sleep(200); // and no duplicate after them
    expect(numbered().slice(before)).toEqual(Array.from({ length: count }, (_, n) => ({ [label]: n })));
    const labels = subscriber.eventsOn(topic).filter((event) => typeof event === 'string');
    expect(new Set(labels).size).toBe(labels.length);
  }

  it('follows a manual failover of the topic’s master to its replica, then delivers every event once and in order', async () => {
    const [oldMaster] = await cluster.servingNodes(slot);
    await crossDelivery(publisher, subscriber, topic, 'before-failover', 5000);

    const started = Date.now();
    const newMaster = await cluster.failover(slot);
    const promotedMs = Date.now() - started;
    expect(newMaster).not.toBe(oldMaster);
    expect(await cluster.servingNodes(slot)).toEqual([newMaster, oldMaster]);
    // The demoted master drops its shard subscribers (an unsolicited SUNSUBSCRIBE, which has B
    // read the map at once); B subscribes on the new master.
    await shardSubscribersOn(newMaster, 1);
    const resubscribedMs = Date.now() - started;
    await shardSubscribersOn(oldMaster, 0);
    // A's SPUBLISHes meanwhile still cross (a replica takes them and the shard passes them on), so
    // A follows on its next periodic read: then no instance keeps a connection to the old master.
    await until(
      () =>
        servers.every((server) => {
          const where = Object.keys(backplaneOf(server).subscriptions());
          return where.includes(cluster.key(newMaster)) && !where.includes(cluster.key(oldMaster)) && backplaneOf(server).connected();
        }),
      'every instance to follow the new master',
      5000,
    );
    const followedMs = Date.now() - started;
    await crossDelivery(publisher, subscriber, topic, 'after-failover', 5000);
    if (process.env.WAMP_TEST_LOG) {
      console.info(
        `failover: replica promoted in ${promotedMs} ms, B subscribed on it after ${resubscribedMs} ms, every instance on it after ${followedMs} ms`,
      );
    }
    expect(backplaneOf(servers[1]).subscriptions()[cluster.key(newMaster)]).toEqual(expect.arrayContaining([channel]));
    await exactlyOnceInOrder('failover');
  }, 25_000);

  it('follows the topic’s slot to another master (resharding), then delivers every event once and in order', async () => {
    const source = await cluster.ownerOf(slot);
    const target = (await cluster.masterIndexes()).find((index) => index !== source)!;
    await crossDelivery(publisher, subscriber, topic, 'before-reshard', 5000);

    const started = Date.now();
    await cluster.moveSlot(slot, target);
    const movedMs = Date.now() - started;
    expect(await cluster.ownerOf(slot)).toBe(target);
    // The source drops the slot's shard subscribers (B reads the map at once) and answers A's
    // SPUBLISH with MOVED (that event is dropped, and A reads the map at once).
    await shardSubscribersOn(target, 1);
    const resubscribedMs = Date.now() - started;
    await shardSubscribersOn(source, 0);
    await crossDelivery(publisher, subscriber, topic, 'after-reshard', 5000);
    const recoveredMs = Date.now() - started;
    await until(() => servers.every((server) => backplaneOf(server).connected()), 'the instances to be connected', 5000);
    if (process.env.WAMP_TEST_LOG) {
      console.info(
        `resharding: slot moved in ${movedMs} ms, B subscribed on the target after ${resubscribedMs} ms, events cross again after ${recoveredMs} ms`,
      );
    }
    const where = backplaneOf(servers[1]).subscriptions();
    expect(where[cluster.key(target)]).toContain(channel);
    expect(where[cluster.key(source)]).not.toContain(channel);
    await exactlyOnceInOrder('reshard');
  }, 25_000);

  it('holds what it publishes while its connection to a promoted replica opens, and sends it once ready: nothing dropped', async () => {
    const a = backplaneOf(servers[0]);
    const broker = servers[0].app.get(WampBroker);
    const [, replica] = await cluster.servingNodes(slot);
    const promoted = cluster.connect(replica);
    try {
      await promoted.config('RESETSTAT');
      const droppedBefore = a.dropped;
      let sent = 0;
      let switchedAt: number | undefined;
      // A publishes all along (5 events a millisecond), so some events fall between A reading the
      // new map and A's connection to the promoted replica being ready; `switchedAt` is the first
      // event A routed there (the map changes between ticks, never during one).
      const publishing = setInterval(() => {
        if (switchedAt === undefined && cluster.key(replica) in a.subscriptions()) switchedAt = sent;
        for (let n = 0; n < 5; n++) broker.publish(topic, { during: sent++ });
      }, 1);
      try {
        expect(await cluster.failover(slot)).toBe(replica);
        await until(() => switchedAt !== undefined && a.connected(), 'A to follow the promoted replica', 5000);
        await sleep(50);
      } finally {
        clearInterval(publishing);
      }
      const last = sent - 1;
      await subscriber.nextEvent(topic, 5000, (event) => (event as { during?: number } | null)?.during === last);
      expect(a.dropped).toBe(droppedBefore);
      // Every event from the switch on reached the new master, each in one SPUBLISH of A's (B
      // publishes nothing; what A sent through the demoted master arrives by the cluster bus).
      const spublishes = /cmdstat_spublish:calls=(\d+)/.exec(await promoted.info('commandstats'))?.[1];
      expect(Number(spublishes)).toBe(last - switchedAt! + 1);
      // B has them once each. (It misses what crossed while its own subscription moved, and across
      // the switch what A sent through the demoted master may arrive after the first events sent
      // to the new master: that path is slower.)
      const during = subscriber
        .eventsOn(topic)
        .map((event) => (event as { during?: number } | null)?.during)
        .filter((n): n is number => n !== undefined);
      expect(new Set(during).size).toBe(during.length);
    } finally {
      promoted.disconnect();
    }
    await exactlyOnceInOrder('promoted');
  }, 25_000);
});
