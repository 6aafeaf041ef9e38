import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { WampBroker } from '../../src/index.js';
import type { WampTestClient } from '../../src/testing/index.js';
import { crossDelivery, describeWithRedis, DisposableRedis, REDIS_URL } from '../support/redis.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { until } from '../support/until.js';
import { backplaneOf, EV, startBackplaneApp } from '../support/backplane-app.js';

/** An instance of the app on the Redis at `url`, with its own channel prefix per test. */

/** Waits until `count` instances have subscribed to the topic's channel on Redis. */
async function channelSubscribers(redis: Redis, channel: string, count: number): Promise<void> {
  await until(
    async () => Number(((await redis.pubsub('NUMSUB', channel)) as [string, number])[1]) === count,
    `${count} subscribers of ${channel}`,
    5000,
  );
}

const describeRedis = await describeWithRedis();

describeRedis('RedisBackplane: several instances on one Redis', () => {
  let prefix: string;
  let a: TestServer;
  let b: TestServer;
  let c: TestServer;
  let redis: Redis;

  beforeAll(async () => {
    prefix = `test-${randomBytes(6).toString('hex')}`;
    redis = new Redis(REDIS_URL);
    [a, b, c] = await Promise.all([
      startBackplaneApp({ url: REDIS_URL, channelPrefix: prefix }),
      startBackplaneApp({ url: REDIS_URL, channelPrefix: prefix }),
      startBackplaneApp({ url: REDIS_URL, channelPrefix: prefix }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([a, b, c].map((server) => server?.close()));
    redis?.disconnect();
  });

  /** One subscribed client per instance, all on `topic`, with Redis subscribed on all three. */
  async function subscribers(topic: string): Promise<[WampTestClient, WampTestClient, WampTestClient]> {
    const clients = (await Promise.all([a.connect(), b.connect(), c.connect()])) as [WampTestClient, WampTestClient, WampTestClient];
    for (const client of clients) client.subscribe(topic, () => undefined);
    await channelSubscribers(redis, `${prefix}:${topic}`, 3);
    return clients;
  }

  it('delivers a PUBLISH once to every subscriber on every instance, the EVENT carrying the full URI', async () => {
    const topic = `${EV}fanout`;
    const [onA, onB, onC] = await subscribers(topic);
    onA.prefix('ev', EV);
    onA.publish('ev:fanout', { n: 1 });
    for (const client of [onA, onB, onC]) expect(await client.nextEvent(topic)).toEqual({ n: 1 });
    onA.publish(topic, 'end');
    for (const client of [onA, onB, onC]) await client.nextEvent(topic, 2000, (event) => event === 'end');
    for (const client of [onA, onB, onC]) expect(client.eventsOn(topic)).toEqual([{ n: 1 }, 'end']);
  });

  it('ignores what others publish on its channels that is not an event or a request of its own format', async () => {
    const topic = `${EV}garbage`;
    const [onA, onB] = await subscribers(topic);
    const channel = `${prefix}:${topic}`;
    const frame = JSON.stringify([8, topic, 'forged']);
    for (const payload of [
      'no newline',
      'null\n' + frame,
      '{"o":"z","l":5}\n' + frame,
      '{"o":1}\n' + frame,
      '{"o":"z","x":[1]}\n' + frame,
      '[]\n' + frame,
    ]) {
      await redis.publish(channel, payload);
    }
    for (const payload of [
      'not json',
      'null',
      '5',
      '{"i":"x","o":"y","r":null}',
      '{"i":1,"o":"y","r":{"op":"close","args":"x"}}',
      '{"i":1}',
    ]) {
      await redis.publish(`${prefix}#cluster`, payload);
      await redis.publish(`${prefix}#cluster:someone`, payload);
    }
    onA.publish(topic, 'after');
    for (const client of [onA, onB]) expect(await client.nextEvent(topic)).toBe('after');
    for (const client of [onA, onB]) expect(client.eventsOn(topic)).toEqual(['after']);
    expect((await a.broker.cluster.sessions()).length).toBeGreaterThanOrEqual(3);
  });

  it('applies excludeMe, exclude and eligible across instances', async () => {
    const topic = `${EV}filters`;
    const [onA, onB, onC] = await subscribers(topic);
    onA.publish(topic, 'not-me', true);
    onA.publish(topic, 'not-b', [onB.sessionId]);
    onA.publish(topic, 'only-c-and-a', [], [onC.sessionId, onA.sessionId]);
    onA.publish(topic, 'only-c-not-a', [onA.sessionId], [onC.sessionId, onA.sessionId]);
    onA.publish(topic, 'end');
    for (const client of [onA, onB, onC]) await client.nextEvent(topic, 2000, (event) => event === 'end');
    expect(onA.eventsOn(topic)).toEqual(['not-b', 'only-c-and-a', 'end']);
    expect(onB.eventsOn(topic)).toEqual(['not-me', 'end']);
    expect(onC.eventsOn(topic)).toEqual(['not-me', 'not-b', 'only-c-and-a', 'only-c-not-a', 'end']);
  });

  it("sends WampBroker's events to all, all but some, and only some sessions of every instance", async () => {
    const topic = `${EV}broker`;
    const [onA, onB, onC] = await subscribers(topic);
    const broker = b.app.get(WampBroker);
    broker.publish(topic, 'all');
    broker.publish(topic, 'all-but-a', { exclude: [onA.sessionId] });
    broker.publish(topic, 'only-a', { eligible: [onA.sessionId] });
    broker.publish(topic, 'end');
    for (const client of [onA, onB, onC]) await client.nextEvent(topic, 2000, (event) => event === 'end');
    expect(onA.eventsOn(topic)).toEqual(['all', 'only-a', 'end']);
    expect(onB.eventsOn(topic)).toEqual(['all', 'all-but-a', 'end']);
    expect(onC.eventsOn(topic)).toEqual(['all', 'all-but-a', 'end']);
  });

  it('keeps the order of one publisher on one topic at every subscriber', async () => {
    const topic = `${EV}order`;
    const [onA, onB, onC] = await subscribers(topic);
    for (let n = 0; n < 300; n++) onA.publish(topic, n);
    for (const client of [onA, onB, onC]) await client.nextEvent(topic, 5000, (event) => event === 299);
    const expected = Array.from({ length: 300 }, (_, n) => n);
    for (const client of [onA, onB, onC]) expect(client.eventsOn(topic)).toEqual(expected);
  });

  it('subscribes to a Redis channel only while the instance has subscribers on the topic', async () => {
    const topic = `${EV}on-demand`;
    const channel = `${prefix}:${topic}`;
    await channelSubscribers(redis, channel, 0);
    const onB = await b.connect();
    onB.subscribe(topic, () => undefined);
    await channelSubscribers(redis, channel, 1);
    expect(backplaneOf(b).watchedTopics()).toContain(topic);
    expect(backplaneOf(a).watchedTopics()).not.toContain(topic);
    const onA = await a.connect();
    onA.publish(topic, 'to b');
    expect(await onB.nextEvent(topic)).toBe('to b');
    onB.unsubscribe(topic);
    await channelSubscribers(redis, channel, 0);
    expect(backplaneOf(b).watchedTopics()).not.toContain(topic);
    // Gone with the last subscriber when the session closes, too.
    const again = await c.connect();
    again.subscribe(topic, () => undefined);
    await channelSubscribers(redis, channel, 1);
    await again.close();
    await channelSubscribers(redis, channel, 0);
  });
});

describeRedis('RedisBackplane: faults', () => {
  let server: DisposableRedis;
  let prefix: string;

  beforeEach(async () => {
    server = await DisposableRedis.create();
    prefix = `faults-${randomBytes(6).toString('hex')}`;
  });
  afterEach(() => server.stop());

  it('keeps local delivery while Redis is down, logs the outage once, and resumes after a restart', async () => {
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    await server.start();
    const [a, b] = await Promise.all([
      startBackplaneApp({ url: server.url, channelPrefix: prefix }),
      startBackplaneApp({ url: server.url, channelPrefix: prefix }),
    ]);
    try {
      const topic = `${EV}outage`;
      const [onA, alsoOnA, onB] = await Promise.all([a.connect(), a.connect(), b.connect()]);
      for (const client of [onA, alsoOnA, onB]) client.subscribe(topic, () => undefined);
      await until(() => a.app.get(WampBroker).subscribers(topic).length === 2);
      await crossDelivery(onA, onB, topic, 'before');

      await server.stop();
      await until(() => backplaneOf(a).dropped > 0 || errors.mock.calls.length > 0, 'the outage to be noticed', 5000);
      onA.publish(topic, 'local-only');
      expect(await alsoOnA.nextEvent(topic, 2000, (event) => event === 'local-only')).toBe('local-only');
      expect(await onA.call('http://example.com/rpc#ping')).toBe('pong');
      const outageLogs = () => errors.mock.calls.filter(([message]) => String(message).includes('Redis backplane unreachable')).length;
      await until(() => outageLogs() === 2, 'one outage log per instance', 5000); // a and b
      for (const client of [onA, alsoOnA, onB]) expect(client.isOpen).toBe(true);

      await server.start();
      await crossDelivery(onA, onB, topic, 'after');
      await crossDelivery(onB, onA, topic, 'back');
      expect(outageLogs()).toBe(2);
    } finally {
      await Promise.all([a.close(), b.close()]);
      errors.mockRestore();
    }
  }, 60_000);

  it('starts with Redis down, serves locally, and joins the others once Redis comes up', async () => {
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const [a, b] = await Promise.all([
      startBackplaneApp({ url: server.url, channelPrefix: prefix }),
      startBackplaneApp({ url: server.url, channelPrefix: prefix }),
    ]);
    try {
      const topic = `${EV}late`;
      const [onA, alsoOnA, onB] = await Promise.all([a.connect(), a.connect(), b.connect()]);
      for (const client of [onA, alsoOnA, onB]) client.subscribe(topic, () => undefined);
      await until(() => a.app.get(WampBroker).subscribers(topic).length === 2 && b.app.get(WampBroker).subscribers(topic).length === 1);
      onA.publish(topic, 'local');
      expect(await alsoOnA.nextEvent(topic)).toBe('local');
      await server.start();
      await crossDelivery(onA, onB, topic, 'late');
    } finally {
      await Promise.all([a.close(), b.close()]);
      errors.mockRestore();
    }
  }, 60_000);

  it('closes its Redis connections when the app closes, and an instance leaving does not disturb the others', async () => {
    await server.start();
    const admin = new Redis(server.url);
    try {
      const clientCount = async () => ((await admin.client('LIST')) as string).trim().split('\n').length;
      const baseline = await clientCount();
      const [a, b] = await Promise.all([
        startBackplaneApp({ url: server.url, channelPrefix: prefix }),
        startBackplaneApp({ url: server.url, channelPrefix: prefix }),
      ]);
      await until(async () => (await clientCount()) === baseline + 4, 'two connections per instance', 5000);
      const topic = `${EV}leaving`;
      const [onA, onB] = await Promise.all([a.connect(), b.connect()]);
      onA.subscribe(topic, () => undefined);
      onB.subscribe(topic, () => undefined);
      await crossDelivery(onA, onB, topic, 'both');
      await b.close();
      expect(onB.isOpen).toBe(false);
      await until(async () => (await clientCount()) === baseline + 2, "b's connections closed", 5000);
      onA.publish(topic, 'still here');
      expect(await onA.nextEvent(topic, 2000, (event) => event === 'still here')).toBe('still here');
      await a.close();
      await until(async () => (await clientCount()) === baseline, "a's connections closed", 5000);
    } finally {
      admin.disconnect();
    }
  }, 30_000);
});

describeRedis('the sample with WAMP_REDIS_URL', () => {
  it('makes a cluster: chat on one instance reaches the other', async () => {
    const { AppModule } = await import('../../sample/app.module.js');
    const { readSampleConfig } = await import('../../sample/sample-config.js');
    const config = { ...readSampleConfig({ WAMP_REDIS_URL: REDIS_URL }), port: 0 };
    expect(config.redisUrl).toBe(REDIS_URL);
    const [one, two] = await Promise.all([
      startApp({ imports: [AppModule.forConfig(config)] }),
      startApp({ imports: [AppModule.forConfig(config)] }),
    ]);
    try {
      const chat = 'http://wamp.sample/event#chat';
      const [alice, bob] = await Promise.all([one.connect(), two.connect()]);
      await alice.authenticate('guest', 'secret-password');
      await bob.authenticate('salted', 'salted-password');
      bob.subscribe(chat, () => undefined);
      await bob.nextEvent(chat, 2000, (event) => (event as { type: string }).type === 'user-list');
      alice.subscribe(chat, () => undefined);
      expect(await bob.nextEvent(chat, 5000, (event) => (event as { type: string }).type === 'user-joined')).toMatchObject({
        clientId: alice.sessionId,
        username: 'guest',
      });
      alice.publish(chat, { type: 'message', message: 'across instances' });
      expect(await bob.nextEvent(chat, 5000, (event) => (event as { type: string }).type === 'message')).toEqual({
        type: 'message',
        message: 'across instances',
        username: 'guest',
        clientId: alice.sessionId,
        sessionId: one.app.get(WampBroker).session(alice.sessionId)!.v2Id,
      });
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  }, 30_000);
});
