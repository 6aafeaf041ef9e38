// RedisBackplane's `replay` mode: what is published during a short outage reaches the other
// instances once it is over (Redis stopped, one instance's subscription cut, Redis paused), once
// and in order, within the bounds (age, count, bytes), against real redis-servers of the test's own.
import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { WampBroker, WampModule } from '../../src/index.js';
import { RedisBackplane, type RedisBackplaneOptions } from '../../src/redis/index.js';
import { WampEmitter } from '../../src/emitter/index.js';
import { startWampTestingApp, type WampTestClient } from '../../src/testing/index.js';
import { crossDelivery, describeWithRedis, DisposableRedis } from '../support/redis.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { sleep, until } from '../support/until.js';
import { backplaneOf, EV, startBackplaneApp } from '../support/backplane-app.js';

const TOPIC = `${EV}replay`;
const KIB = 1024;
const KB_EVENT = 'x'.repeat(1000);
/** Reconnect at once: the tests are about what is replayed, not about backoff. */
const FAST_RETRY = { retryStrategy: () => 50 };

/** The connection the backplane publishes on (private: read here only to know when it has seen Redis go). */
function publisherOf(server: TestServer): Redis {
  return (backplaneOf(server)['publisher'] as unknown as { connection: Redis }).connection;
}

/** The numbers a client received on the topic (the events `crossDelivery` sends are strings, left out). */
function numbers(client: WampTestClient, topic = TOPIC): number[] {
  return client.eventsOn(topic).filter((event): event is number => typeof event === 'number');
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, n) => from + n);
}

/** Kills the connection on which the instance named `name` (redisOptions.connectionName) subscribes, Redis staying up. */
async function killSubscriber(admin: Redis, name: string): Promise<void> {
  const clients = ((await admin.client('LIST')) as string).trim().split('\n');
  const subscriber = clients.find((line) => line.includes(` name=${name} `) && !/ sub=0 /.test(line));
  if (!subscriber) throw new Error(`no subscriber connection named ${name}`);
  await admin.client('KILL', 'ID', /\bid=(\d+)/.exec(subscriber)![1]);
}

describe('RedisBackplane replay options', () => {
  it('refuses replay with cluster or sharded, saying what to change', () => {
    expect(() => new RedisBackplane({ url: 'redis://127.0.0.1:1', sharded: true, replay: true })).toThrow(
      '`replay` works on one Redis with PUBLISH and SUBSCRIBE only',
    );
    expect(() => new RedisBackplane({ cluster: { nodes: ['127.0.0.1:7000'] }, replay: {} })).toThrow('leave out `cluster` and `sharded`');
  });

  it.each([
    ['replay.maxAgeMs', { maxAgeMs: 0 }],
    ['replay.maxEvents', { maxEvents: 1.5 }],
  ])('rejects a bad %s, naming it', (option, replay) => {
    expect(() => new RedisBackplane({ url: 'redis://127.0.0.1:1', replay })).toThrow(
      `RedisBackplane option "${option}" must be a positive whole number`,
    );
  });

  it('is off by default', () => {
    expect(new RedisBackplane({ url: 'redis://127.0.0.1:1' }).replay).toBeUndefined();
    expect(new RedisBackplane({ url: 'redis://127.0.0.1:1', replay: true }).replay).toEqual({
      queued: 0,
      queuedBytes: 0,
      replayed: 0,
      expired: 0,
    });
  });
});

const describeRedis = await describeWithRedis();

describeRedis('RedisBackplane replay', () => {
  let server: DisposableRedis;
  let admin: Redis;
  let prefix: string;
  let errors: ReturnType<typeof jest.spyOn>;
  const running: TestServer[] = [];

  beforeEach(async () => {
    errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    server = await DisposableRedis.create();
    await server.start();
    admin = new Redis(server.url, { ...FAST_RETRY, maxRetriesPerRequest: 0 });
    admin.on('error', () => undefined);
    prefix = `replay-${randomBytes(6).toString('hex')}`;
  });
  afterEach(async () => {
    server.resume();
    await Promise.all(running.splice(0).map((app) => app.close()));
    admin.disconnect();
    await server.stop();
    errors.mockRestore();
  });

  /** Two instances (a publishes, b receives) with the same options, a subscriber on each, events flowing. */
  async function pair(
    options: Partial<RedisBackplaneOptions> = {},
    bOptions: Partial<RedisBackplaneOptions> = {},
  ): Promise<{ a: TestServer; b: TestServer; onA: WampTestClient; onB: WampTestClient }> {
    const base = { url: server.url, channelPrefix: prefix, redisOptions: FAST_RETRY, ...options };
    const [a, b] = await Promise.all([startBackplaneApp(base), startBackplaneApp({ ...base, ...bOptions })]);
    running.push(a, b);
    const [onA, onB] = await Promise.all([a.connect(), b.connect()]);
    onA.subscribe(TOPIC, () => undefined);
    onB.subscribe(TOPIC, () => undefined);
    await crossDelivery(onA, onB, TOPIC, 'before');
    // crossDelivery may have published more attempts than it waited for; one last event, in order
    // behind them on every hop, tells when b has them all, so no test starts with events in flight.
    onA.publish(TOPIC, 'settled');
    await until(() => onB.eventsOn(TOPIC).includes('settled'), 'the last crossDelivery event at b');
    return { a, b, onA, onB };
  }

  /**
   * Stops Redis and waits until `a`'s publisher knows (so that nothing is written to a dead
   * socket); returns what `a` counted as dropped by then, the baseline for what a test publishes.
   */
  async function stopRedis(a: TestServer): Promise<number> {
    await server.stop();
    await until(() => publisherOf(a).status !== 'ready', 'the outage to be noticed', 5000);
    return backplaneOf(a).dropped;
  }

  it('delivers what one instance published while Redis was down (restarted, empty), once and in order; without replay, none of it', async () => {
    for (const replay of [true, false]) {
      const { a, onA, onB } = await pair({ replay });
      const broker = a.app.get(WampBroker);
      const before = await stopRedis(a);
      for (let n = 0; n < 100; n++) broker.publish(TOPIC, n);
      await sleep(700); // the outage lasts: more events later in it
      for (let n = 100; n < 200; n++) broker.publish(TOPIC, n);
      const dropped = backplaneOf(a).dropped - before;
      await server.start();
      if (replay) {
        expect(dropped).toBe(0);
        await until(() => numbers(onB).length >= 200, 'the 200 events at b', 10_000);
        await sleep(200); // absence: no duplicate comes late
        expect(numbers(onB)).toEqual(range(0, 200));
        expect(backplaneOf(a).replay!.queued).toBe(0);
      } else {
        expect(dropped).toBe(200);
        await crossDelivery(onA, onB, TOPIC, 'after'); // the instances share events again
        expect(numbers(onB)).toEqual([]);
      }
      await Promise.all(running.splice(0).map((app) => app.close()));
    }
  }, 40_000);

  it('catches an instance up after its subscription was cut (Redis up, others publishing), before the live events, none twice', async () => {
    const { a, b, onB } = await pair({ replay: true }, { redisOptions: { connectionName: 'b', retryStrategy: () => 600 } });
    const broker = a.app.get(WampBroker);
    await killSubscriber(admin, 'b');
    let sent = 0;
    // A steady stream of events: some while b is away, some while it catches up, some after.
    let replayedSeen = -1;
    await until(
      () => {
        for (let n = 0; n < 5; n++) broker.publish(TOPIC, sent++);
        if (replayedSeen === -1 && backplaneOf(b).replay!.replayed > 0) replayedSeen = sent;
        return replayedSeen !== -1 && sent >= replayedSeen + 200;
      },
      'b to catch up, and more events after',
      10_000,
    );
    await until(() => numbers(onB).length >= sent, `the ${sent} events at b`, 5000);
    await sleep(200);
    expect(numbers(onB)).toEqual(range(0, sent));
    const { replayed } = backplaneOf(b).replay!;
    expect(replayed).toBeGreaterThan(0);
    expect(replayed).toBeLessThan(sent); // the rest came live
    if (process.env.WAMP_TEST_LOG) console.info(`subscription cut: ${sent} events, ${replayed} replayed, the rest live`);
  }, 20_000);

  it('keeps at most maxEvents while Redis is down, the newest, and counts the others as dropped', async () => {
    const { a, onB } = await pair({ replay: { maxEvents: 50 } });
    const broker = a.app.get(WampBroker);
    const before = await stopRedis(a);
    for (let n = 0; n < 200; n++) broker.publish(TOPIC, n);
    expect(backplaneOf(a).replay!.queued).toBe(50);
    expect(backplaneOf(a).dropped - before).toBe(150);
    await server.start();
    await until(() => numbers(onB).length >= 50, 'the 50 newest at b', 10_000);
    await sleep(200);
    expect(numbers(onB)).toEqual(range(150, 200));
  }, 20_000);

  it('keeps at most maxInFlightBytes while Redis is down (measured in bytes)', async () => {
    const maxInFlightBytes = 16 * KIB;
    const { a, onB } = await pair({ replay: true, maxInFlightBytes });
    const broker = a.app.get(WampBroker);
    const before = await stopRedis(a);
    let most = 0;
    for (let n = 0; n < 100; n++) {
      broker.publish(TOPIC, `${n}:${KB_EVENT}`);
      most = Math.max(most, backplaneOf(a).replay!.queuedBytes);
    }
    const { queued, queuedBytes } = backplaneOf(a).replay!;
    expect(most).toBeLessThanOrEqual(maxInFlightBytes);
    expect(queuedBytes).toBeGreaterThan(maxInFlightBytes - 1100);
    expect(backplaneOf(a).dropped - before).toBe(100 - queued);
    await server.start();
    const kept = range(100 - queued, 100).map((n) => `${n}:${KB_EVENT}`);
    await until(
      () => onB.eventsOn(TOPIC).filter((event) => String(event).endsWith(KB_EVENT)).length >= queued,
      'the kept events at b',
      10_000,
    );
    expect(onB.eventsOn(TOPIC).filter((event) => String(event).endsWith(KB_EVENT))).toEqual(kept);
  }, 20_000);

  it('does not send what waited longer than maxAgeMs for Redis, counting it as dropped', async () => {
    const { a, onB } = await pair({ replay: { maxAgeMs: 300 } });
    const broker = a.app.get(WampBroker);
    const before = await stopRedis(a);
    for (let n = 0; n < 10; n++) broker.publish(TOPIC, n);
    await sleep(500); // older than maxAgeMs
    for (let n = 10; n < 20; n++) broker.publish(TOPIC, n);
    expect(backplaneOf(a).dropped - before).toBe(10);
    await server.start();
    await until(() => numbers(onB).length >= 10, 'the young events at b', 10_000);
    await sleep(200);
    expect(numbers(onB)).toEqual(range(10, 20));
  }, 20_000);

  /** Redis options for an instance that logs in as its own ACL user, which `shutOut` and `letIn` turn off and on. */
  async function ownUser(name: string): Promise<Partial<RedisBackplaneOptions>> {
    await admin.acl('SETUSER', name, 'on', '>secret', '~*', '&*', '+@all');
    return { redisOptions: { ...FAST_RETRY, username: name, password: 'secret' } };
  }

  /** Cuts both connections of the instance that logs in as `name`, and keeps them out (Redis stays up for the others). */
  async function shutOut(name: string): Promise<void> {
    await admin.acl('SETUSER', name, 'off');
    await admin.client('KILL', 'USER', name);
  }

  async function letIn(name: string): Promise<void> {
    await admin.acl('SETUSER', name, 'on');
  }

  it('replays from the stream only what is younger than maxAgeMs', async () => {
    const maxAgeMs = 500;
    const { a, b, onB } = await pair({ replay: { maxAgeMs } }, await ownUser('b'));
    const broker = a.app.get(WampBroker);
    await shutOut('b');
    for (let n = 0; n < 10; n++) broker.publish(TOPIC, n);
    // The first ten are too old by the time b is back. Meanwhile the app goes on publishing (on
    // a topic b does not watch): an idle stream would expire, old entries and all, after maxAgeMs.
    for (let wait = 0; wait < 4; wait++) {
      broker.publish(`${EV}elsewhere`, wait);
      await sleep((maxAgeMs + 300) / 4);
    }
    for (let n = 10; n < 20; n++) broker.publish(TOPIC, n);
    await letIn('b');
    await until(() => numbers(onB).length >= 10, 'the young events at b', 5000);
    await sleep(200);
    expect(numbers(onB)).toEqual(range(10, 20));
    const { replayed, expired } = backplaneOf(b).replay!;
    expect(expired).toBe(10);
    expect(replayed).toBe(10);
  }, 20_000);

  it('replays only the last maxEvents events of the app: the stream keeps no more', async () => {
    const { a, onB } = await pair({ replay: { maxEvents: 20 } }, await ownUser('b'));
    const broker = a.app.get(WampBroker);
    await shutOut('b');
    for (let n = 0; n < 50; n++) broker.publish(TOPIC, n);
    await until(() => backplaneOf(a).inFlight.events === 0, 'the events to reach Redis');
    expect(await admin.xlen(`${prefix}#replay`)).toBe(20);
    await letIn('b');
    await until(() => numbers(onB).length >= 20, 'the last 20 at b', 5000);
    await sleep(200);
    expect(numbers(onB)).toEqual(range(30, 50));
  }, 20_000);

  it('holds a bounded queue while Redis hangs (SIGSTOP), and sends it, in order and once, when Redis answers', async () => {
    const maxInFlightBytes = 64 * KIB;
    const options = { replay: true, maxInFlight: 100, maxInFlightBytes, stallTimeoutMs: 300, pingIntervalMs: 100 };
    const { a, onA, onB } = await pair(options);
    const broker = a.app.get(WampBroker);
    server.pause();
    let published = 0;
    const most = { inFlightBytes: 0, queuedBytes: 0 };
    // ~1 KB events as fast as the loop allows, until a has noticed the stall, and well past that.
    while (published < 5000 || backplaneOf(a).connected()) {
      for (let n = 0; n < 100; n++) broker.publish(TOPIC, `${published++}:${KB_EVENT}`);
      most.inFlightBytes = Math.max(most.inFlightBytes, backplaneOf(a).inFlight.bytes);
      most.queuedBytes = Math.max(most.queuedBytes, backplaneOf(a).replay!.queuedBytes);
      await new Promise((resolve) => setImmediate(resolve));
      if (published > 100_000) throw new Error('the stall was not noticed');
    }
    expect(most.inFlightBytes).toBeLessThanOrEqual(maxInFlightBytes);
    expect(most.queuedBytes).toBeLessThanOrEqual(maxInFlightBytes);
    const { queued } = backplaneOf(a).replay!;
    expect(queued).toBeGreaterThan(0);
    server.resume();
    const sequence = (): number[] =>
      onB
        .eventsOn(TOPIC)
        .filter((event) => String(event).endsWith(KB_EVENT))
        .map((event) => Number(String(event).split(':')[0]));
    // The queue's events are the last ones published: the last arrives when all have.
    await until(() => sequence().includes(published - 1), 'the queued events at b', 10_000);
    await sleep(200);
    const received = sequence();
    expect(new Set(received).size).toBe(received.length); // none twice
    expect(received.slice(-queued)).toEqual(range(published - queued, published)); // the queue, in order, at the end
    await crossDelivery(onA, onB, TOPIC, 'after');
    if (process.env.WAMP_TEST_LOG)
      console.info(`hung Redis: ${published} events, held at most ${JSON.stringify(most)}, ${queued} queued, ${received.length} received`);
  }, 30_000);

  it('mixes with instances without replay and with WampEmitter (plain live messages)', async () => {
    const base = { url: server.url, channelPrefix: prefix, redisOptions: FAST_RETRY };
    const [withReplay, without] = await Promise.all([startBackplaneApp({ ...base, replay: true }), startBackplaneApp(base)]);
    running.push(withReplay, without);
    const emitter = new WampEmitter({ url: server.url, channelPrefix: prefix });
    try {
      const [onReplay, onPlain] = await Promise.all([withReplay.connect(), without.connect()]);
      onReplay.subscribe(TOPIC, () => undefined);
      onPlain.subscribe(TOPIC, () => undefined);
      await crossDelivery(onReplay, onPlain, TOPIC, 'replay-to-plain');
      await crossDelivery(onPlain, onReplay, TOPIC, 'plain-to-replay');
      await emitter.publish(TOPIC, 'from-emitter');
      for (const client of [onReplay, onPlain])
        expect(await client.nextEvent(TOPIC, 3000, (event) => event === 'from-emitter')).toBe('from-emitter');
    } finally {
      await emitter.close();
    }
  });

  it("runs the README's replay module (test/fixtures/readme/redis-replay.ts) through an outage", async () => {
    const before = process.env.REDIS_URL;
    process.env.REDIS_URL = server.url;
    let readme: TestServer;
    try {
      const { ReplayAppModule } = await import('../fixtures/readme/redis-replay.js'); // reads REDIS_URL once, when evaluated
      const moduleRef = await Test.createTestingModule({ imports: [ReplayAppModule] }).compile();
      readme = await startWampTestingApp(moduleRef, { app: { logger: false } });
    } finally {
      if (before === undefined) delete process.env.REDIS_URL;
      else process.env.REDIS_URL = before;
    }
    running.push(readme);
    // The other instance, with the same backplane options (default channel prefix).
    const other = await startApp({
      imports: [WampModule.forRoot({ topics: { [`${EV}*`]: true }, backplane: new RedisBackplane({ url: server.url, replay: true }) })],
    });
    running.push(other);
    const onOther = await other.connect();
    onOther.subscribe(TOPIC, () => undefined);
    await until(() => other.broker.subscribers(TOPIC).length === 1);
    await until(() => {
      readme.broker.publish(TOPIC, 'ping');
      return onOther.eventsOn(TOPIC).length > 0;
    }, 'an event across instances');
    await stopRedis(readme);
    readme.broker.publish(TOPIC, 1);
    await server.start();
    expect(await onOther.nextEvent(TOPIC, 10_000, (event) => event === 1)).toBe(1);
  }, 20_000);
});
