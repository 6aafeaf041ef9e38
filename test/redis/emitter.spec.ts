// WampEmitter (nest-wamp/emitter): events published from outside Nest reach the subscribers of
// real apps on the Redis backplane, here and from a plain `node` process that has only the
// emitter's files, on the machine's Redis (and on redis-servers of the test's own for the faults).
import { jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import ts from 'typescript';
import { encodeEvent } from '../../src/protocol/encode.js';
import { RedisBackplane } from '../../src/redis/index.js';
import { WampEmitter, WampEmitterBusyError } from '../../src/emitter/index.js';
import type { WampTestClient } from '../../src/testing/index.js';
import { describeWithRedis, DisposableRedis, REDIS_URL } from '../support/redis.js';
import { type TestServer } from '../support/start-app.js';
import { until, within } from '../support/until.js';
import { EV, startBackplaneApp } from '../support/backplane-app.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY = join(ROOT, 'src/emitter/index.ts');
/** An event of about 1 KB. */
const KB_EVENT = { text: 'x'.repeat(1000) };

/** An instance of an app on the Redis at `url` (channelPrefix undefined: the backplane's default). */

/** Waits until `count` instances have subscribed to the channel on Redis. */
async function channelSubscribers(redis: Redis, channel: string, count: number): Promise<void> {
  await until(
    async () => Number(((await redis.pubsub('NUMSUB', channel)) as [string, number])[1]) === count,
    `${count} subscribers of ${channel}`,
    5000,
  );
}

/** The connection an emitter opened (private: read here only to see what ioredis holds). */
function connectionOf(emitter: WampEmitter): Redis {
  return emitter['connection'];
}

/** Waits for the event `end` at each client, then gives what each received on the topic. */
async function receivedUntilEnd(topic: string, clients: WampTestClient[]): Promise<unknown[][]> {
  for (const client of clients) await client.nextEvent(topic, 3000, (event) => event === 'end');
  return clients.map((client) => client.eventsOn(topic));
}

/** The files an entry point imports, transitively (type-only imports too), and the packages they name. */
function importGraph(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const { fileName } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      if (fileName.startsWith('.')) visit(resolve(dirname(file), fileName.replace(/\.js$/, '.ts')));
      else packages.add(fileName);
    }
  };
  visit(entry);
  return { files: [...files].map((file) => relative(ROOT, file)).sort(), packages: [...packages].sort() };
}

/**
 * A directory with only the emitter's import graph compiled to JavaScript (and the repository's
 * node_modules, for ioredis): what a plain Node worker has when it installs the entry point.
 */
function compileEmitterAlone(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nest-wamp-emitter-'));
  for (const file of importGraph(ENTRY).files) {
    const { outputText } = ts.transpileModule(readFileSync(join(ROOT, file), 'utf8'), {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, useDefineForClassFields: false },
    });
    const out = join(dir, file.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, outputText);
  }
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(
    join(dir, 'worker.mjs'),
    `import { WampEmitter } from './src/emitter/index.js';
const [url, channelPrefix, topic, event, recipients] = process.argv.slice(2);
const emitter = new WampEmitter({ url, channelPrefix });
try {
  const instances = await emitter.publish(topic, JSON.parse(event), JSON.parse(recipients));
  process.stdout.write(JSON.stringify({ instances }));
} finally {
  await emitter.close();
}
`,
  );
  return dir;
}

/** Runs `node worker.mjs ...args` in `dir`; resolves with its exit code and output. */
function runNode(dir: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['worker.mjs', ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolveExit) =>
    child.once('exit', (code) => resolveExit({ code, stdout, stderr })),
  );
  return within(exited, 'the worker process', 15_000).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
}

describe('WampEmitter: its own entry point', () => {
  it('imports neither Nest nor the engine: only the protocol encoder, the wire format, ioredis and Node', () => {
    const { files, packages } = importGraph(ENTRY);
    expect(
      files.filter((file) => !/^src\/(emitter\/|protocol\/|pubsub\/delivery-filter\.ts$|redis\/backplane-wire\.ts$)/.test(file)),
    ).toEqual([]);
    expect(files).toContain('src/protocol/encode.ts');
    expect(packages.filter((name) => !name.startsWith('node:'))).toEqual(['ioredis']);
  });

  it("refuses bad options and a caller's mistakes with an error, synchronously, sending nothing", () => {
    expect(() => new WampEmitter({} as never)).toThrow('WampEmitter needs exactly one of `url` and `client`');
    const client = new Redis({ lazyConnect: true });
    try {
      expect(() => new WampEmitter({ url: REDIS_URL, client } as never)).toThrow('exactly one of');
      expect(() => new WampEmitter({ client, maxInFlight: 0 })).toThrow('WampEmitter option "maxInFlight" must be a positive whole number');
      expect(() => new WampEmitter({ client, maxInFlightBytes: 1.5 })).toThrow('"maxInFlightBytes"');
      const emitter = new WampEmitter({ client });
      const topic = `${EV}mistakes`;
      // WampBroker.publish's rules: a session id or a list of them; anything else is a TypeError.
      expect(() => emitter.publish(topic, 1, { exclude: 5 as never })).toThrow(TypeError);
      expect(() => emitter.publish(topic, 1, { exclude: 5 as never })).toThrow(
        'exclude must be a session id or a list of session ids, got number',
      );
      expect(() => emitter.publish(topic, 1, { exclude: null as never })).toThrow('got null');
      expect(() => emitter.publish(topic, 1, { eligible: { id: 'x' } as never })).toThrow('eligible must be a session id or a list');
      expect(() => emitter.publish('', 1)).toThrow(TypeError);
      expect(() => emitter.publish(topic, 1n)).toThrow(TypeError); // JSON has no BigInt
      expect(emitter.inFlight).toEqual({ events: 0, bytes: 0 });
      expect(client.status).toBe('wait'); // nothing was sent: the lazy client never connected
    } finally {
      client.disconnect();
    }
  });
});

const describeRedis = await describeWithRedis();

describeRedis('WampEmitter: two instances on one Redis', () => {
  let prefix: string;
  let a: TestServer;
  let b: TestServer;
  let redis: Redis;
  let emitter: WampEmitter;

  beforeAll(async () => {
    prefix = `emitter-${randomBytes(6).toString('hex')}`;
    redis = new Redis(REDIS_URL);
    emitter = new WampEmitter({ url: REDIS_URL, channelPrefix: prefix });
    [a, b] = await Promise.all([
      startBackplaneApp({ url: REDIS_URL, channelPrefix: prefix }),
      startBackplaneApp({ url: REDIS_URL, channelPrefix: prefix }),
    ]);
  });
  afterAll(async () => {
    await emitter?.close();
    await Promise.all([a, b].map((server) => server?.close()));
    redis?.disconnect();
  });

  /** Two subscribers on instance a, one on b, all on `topic`, with both instances subscribed on Redis. */
  async function subscribers(topic: string): Promise<[WampTestClient, WampTestClient, WampTestClient]> {
    const clients = (await Promise.all([a.connect(), a.connect(), b.connect()])) as [WampTestClient, WampTestClient, WampTestClient];
    for (const client of clients) client.subscribe(topic, () => undefined);
    await channelSubscribers(redis, `${prefix}:${topic}`, 2);
    return clients;
  }

  it('delivers an event once to every subscriber on every instance, and resolves with the instances that received it', async () => {
    const topic = `${EV}fanout`;
    const clients = await subscribers(topic);
    await expect(emitter.publish(topic, { n: 1 })).resolves.toBe(2);
    await expect(emitter.publish(topic, 'end')).resolves.toBe(2);
    expect(await receivedUntilEnd(topic, clients)).toEqual([
      [{ n: 1 }, 'end'],
      [{ n: 1 }, 'end'],
      [{ n: 1 }, 'end'],
    ]);
    expect(emitter.inFlight).toEqual({ events: 0, bytes: 0 });
    // No instance has subscribers on another topic: Redis took the event, nobody received it.
    await expect(emitter.publish(`${EV}nobody-here`, 'lost')).resolves.toBe(0);
  });

  it('applies exclude and eligible by session id across instances, a single id or a list, an empty eligible reaching nobody', async () => {
    const topic = `${EV}filters`;
    const clients = await subscribers(topic);
    const [a1, a2, b1] = clients.map((client) => client.sessionId);
    // Not awaited one by one: one connection keeps them in order.
    const sent = await Promise.all([
      emitter.publish(topic, 'not-b1', { exclude: b1 }),
      emitter.publish(topic, 'not-a1-b1', { exclude: [a1, b1] }),
      emitter.publish(topic, 'only-a2-b1', { eligible: [a2, b1] }),
      emitter.publish(topic, 'only-b1', { eligible: b1 }),
      emitter.publish(topic, 'nobody', { eligible: [] }),
      emitter.publish(topic, 'a1-of-a1-b1', { eligible: [a1, b1], exclude: [b1] }),
      emitter.publish(topic, 'all', { exclude: [] }),
      emitter.publish(topic, 'end'),
    ]);
    expect(sent).toEqual([2, 2, 2, 2, 0, 2, 2, 2]); // the empty eligible was not sent at all
    expect(await receivedUntilEnd(topic, clients)).toEqual([
      ['not-b1', 'a1-of-a1-b1', 'all', 'end'],
      ['not-b1', 'not-a1-b1', 'only-a2-b1', 'all', 'end'],
      ['only-a2-b1', 'only-b1', 'all', 'end'],
    ]);
  });

  it("writes on a topic's channel what RedisBackplane writes there, byte for byte but the publisher's origin", async () => {
    const topic = `${EV}wire`;
    const listener = new Redis(REDIS_URL);
    const backplane = new RedisBackplane({ url: REDIS_URL, channelPrefix: prefix });
    const quiet = { log: () => undefined, debug: () => undefined, warn: () => undefined, error: () => undefined };
    try {
      const payloads: string[] = [];
      listener.on('messageBuffer', (_channel: Buffer, payload: Buffer) => payloads.push(payload.toString('utf8')));
      await listener.subscribe(`${prefix}:${topic}`);
      backplane.start(() => undefined, quiet);
      await until(() => backplane.connected(), 'the backplane to connect');
      const filters = [{}, { exclude: [] }, { exclude: ['s1'] }, { eligible: ['s1', 's2'] }, { eligible: ['s1', 's2'], exclude: ['s2'] }];
      for (const filter of filters) {
        backplane.publish({ topic, frame: encodeEvent(topic, { n: 1, text: 'é' }), filter });
        await emitter.publish(topic, { n: 1, text: 'é' }, filter);
      }
      await until(() => payloads.length === 2 * filters.length, 'every payload');
      const withoutOrigin = (payload: string) => payload.replace(/^\{"o":"[^"]+"/, '{"o":"?"');
      for (let n = 0; n < filters.length; n++) {
        const [fromBackplane, fromEmitter] = payloads.slice(2 * n, 2 * n + 2);
        expect(withoutOrigin(fromEmitter)).toBe(withoutOrigin(fromBackplane));
        expect(fromEmitter).not.toBe(fromBackplane);
      }
      expect(withoutOrigin(payloads[8])).toBe(
        '{"o":"?","x":["s2"],"l":["s1","s2"]}\n[8,"http://example.com/event#wire",{"n":1,"text":"é"}]',
      );
    } finally {
      await backplane.close();
      listener.disconnect();
    }
  });

  it('reaches nobody with another channelPrefix; without one, the apps whose backplane has none', async () => {
    const topic = `${EV}prefix-${randomBytes(4).toString('hex')}`;
    const clients = await subscribers(topic);
    const stranger = new WampEmitter({ url: REDIS_URL, channelPrefix: `${prefix}-other` });
    const byDefault = new WampEmitter({ url: REDIS_URL });
    const defaultApp = await startBackplaneApp({ url: REDIS_URL });
    try {
      const onDefault = await defaultApp.connect();
      onDefault.subscribe(topic, () => undefined);
      await channelSubscribers(redis, `nest-wamp:${topic}`, 1);
      await expect(stranger.publish(topic, 'wrong prefix')).resolves.toBe(0);
      await expect(byDefault.publish(topic, 'default prefix')).resolves.toBe(1);
      await byDefault.publish(topic, 'end');
      await emitter.publish(topic, 'end');
      expect(await receivedUntilEnd(topic, [...clients, onDefault])).toEqual([['end'], ['end'], ['end'], ['default prefix', 'end']]);
    } finally {
      await Promise.all([stranger.close(), byDefault.close(), defaultApp.close()]);
    }
  });

  it('publishes from a plain node process that has only the emitter compiled, no Nest and no engine', async () => {
    const topic = `${EV}worker`;
    const clients = await subscribers(topic);
    const dir = compileEmitterAlone();
    try {
      const recipients = JSON.stringify({ exclude: clients[2].sessionId });
      const run = await runNode(dir, [REDIS_URL, prefix, topic, JSON.stringify({ from: 'worker' }), recipients]);
      expect(run).toEqual({ code: 0, stdout: JSON.stringify({ instances: 2 }), stderr: '' });
      await emitter.publish(topic, 'end');
      expect(await receivedUntilEnd(topic, clients)).toEqual([[{ from: 'worker' }, 'end'], [{ from: 'worker' }, 'end'], ['end']]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it("publishes on a client of the application's and leaves it open on close; closes the connection it opened", async () => {
    const topic = `${EV}client`;
    const clients = await subscribers(topic);
    const own = new Redis(REDIS_URL);
    const onClient = new WampEmitter({ client: own, channelPrefix: prefix });
    const name = `emitter-${randomBytes(4).toString('hex')}`;
    const onUrl = new WampEmitter({ url: REDIS_URL, channelPrefix: prefix, redisOptions: { connectionName: name } });
    try {
      await expect(onClient.publish(topic, 'from a client')).resolves.toBe(2);
      await expect(onUrl.publish(topic, 'end')).resolves.toBe(2);
      expect(await receivedUntilEnd(topic, clients)).toEqual([
        ['from a client', 'end'],
        ['from a client', 'end'],
        ['from a client', 'end'],
      ]);
      const named = async () =>
        ((await redis.client('LIST')) as string).split('\n').filter((line) => line.includes(`name=${name} `)).length;
      expect(await named()).toBe(1);
      await Promise.all([onClient.close(), onUrl.close()]);
      await until(async () => (await named()) === 0, 'the connection the emitter opened to close');
      expect(own.status).toBe('ready');
      expect(await own.ping()).toBe('PONG');
      await expect(onClient.publish(topic, 'late')).rejects.toThrow('WampEmitter is closed');
    } finally {
      own.disconnect();
    }
  });
});

describeRedis("WampEmitter: the README's worker", () => {
  it('runs as written: news to every subscriber, the admin news only to the admin sessions', async () => {
    const news = 'http://example.com/event#news';
    const app = await startBackplaneApp({ url: REDIS_URL });
    const redis = new Redis(REDIS_URL);
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const before = { REDIS_URL: process.env.REDIS_URL, ADMIN_SESSIONS: process.env.ADMIN_SESSIONS };
    try {
      const [reader, admin] = await Promise.all([app.connect(), app.connect()]);
      for (const client of [reader, admin]) client.subscribe(news, () => undefined);
      await channelSubscribers(redis, `nest-wamp:${news}`, 1);
      process.env.REDIS_URL = REDIS_URL;
      process.env.ADMIN_SESSIONS = admin.sessionId;
      await import('../fixtures/readme/emitter-worker.js'); // publishes and closes while it is evaluated
      expect(log).toHaveBeenCalledWith('news sent to 1 instance(s)');
      expect(await admin.nextEvent(news, 3000, (event) => (event as { admin?: boolean }).admin === true)).toEqual({
        text: '3 reports failed',
        admin: true,
      });
      expect(reader.eventsOn(news)).toEqual([{ text: 'The nightly report is ready' }]);
      expect(admin.eventsOn(news)).toEqual([{ text: 'The nightly report is ready' }, { text: '3 reports failed', admin: true }]);
    } finally {
      for (const [key, value] of Object.entries(before)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      log.mockRestore();
      redis.disconnect();
      await app.close();
    }
  });
});

describeRedis('WampEmitter: faults', () => {
  let server: DisposableRedis;
  let prefix: string;
  const emitters: WampEmitter[] = [];
  // DisposableRedis.stop waits for an exit that a server it already stopped never makes again.
  let running = false;

  async function startRedis(): Promise<void> {
    await server.start();
    running = true;
  }

  async function stopRedis(): Promise<void> {
    running = false;
    await server.stop();
  }

  /** An emitter on the test's own redis-server. */
  function emitterOn(options: { maxInFlight?: number; maxInFlightBytes?: number } = {}): WampEmitter {
    const emitter = new WampEmitter({ url: server.url, channelPrefix: prefix, ...options });
    emitters.push(emitter);
    return emitter;
  }

  /** Publishes until one is taken by Redis (the connection retries with backoff after an outage). */
  async function publishedOnceBack(emitter: WampEmitter): Promise<void> {
    let taken = false;
    await until(
      async () =>
        (taken ||= await emitter.publish(`${EV}back`, 'back').then(
          () => true,
          () => false,
        )),
      'a publish to be taken again',
      10_000,
    );
  }

  beforeEach(async () => {
    server = await DisposableRedis.create();
    prefix = `emitter-faults-${randomBytes(6).toString('hex')}`;
  });
  afterEach(async () => {
    await Promise.all(emitters.splice(0).map((emitter) => emitter.close()));
    if (running) await stopRedis();
  });

  it('waits for the first connection, and rejects promptly, holding nothing, when Redis is down from the start', async () => {
    const emitter = emitterOn();
    const started = Date.now();
    await expect(emitter.publish(`${EV}down`, 'first')).rejects.toThrow(/Redis is unreachable.*ECONNREFUSED/);
    expect(Date.now() - started).toBeLessThan(1000);
    await startRedis();
    await publishedOnceBack(emitter); // within the backoff, the first publish right after a connect works
    expect(emitter.inFlight).toEqual({ events: 0, bytes: 0 });
  }, 30_000);

  it('rejects promptly while Redis is down, queues nothing however much is published, and publishes again once Redis is back', async () => {
    await startRedis();
    const emitter = emitterOn();
    const topic = `${EV}outage`;
    await expect(emitter.publish(topic, 'up')).resolves.toBe(0);
    await stopRedis();
    await until(() => connectionOf(emitter).status !== 'ready', 'the emitter to see the outage', 5000);

    let rejected = 0;
    const flood = Array.from({ length: 10_000 }, () => emitter.publish(topic, KB_EVENT).catch(() => rejected++));
    // Nothing is waiting: every publish was refused before any reached ioredis' queues.
    expect(connectionOf(emitter)['offlineQueue'].length).toBe(0);
    expect(connectionOf(emitter).commandQueue.length).toBe(0);
    await within(Promise.all(flood), 'the flood to be rejected', 1000);
    expect(rejected).toBe(10_000);
    expect(emitter.inFlight).toEqual({ events: 0, bytes: 0 });
    await expect(emitter.publish(topic, 'down')).rejects.toThrow('Redis is unreachable');

    await startRedis();
    await publishedOnceBack(emitter);
  }, 30_000);

  it('fails what was in flight when the connection drops, and publishes again once Redis is back', async () => {
    await startRedis();
    const emitter = emitterOn();
    await emitter.publish(`${EV}drop`, 'up');
    server.pause(); // nothing is answered...
    const inFlight = Array.from({ length: 100 }, () =>
      emitter.publish(`${EV}drop`, KB_EVENT).then(
        () => 'taken',
        (error: unknown) => String(error),
      ),
    );
    await until(() => connectionOf(emitter).commandQueue.length === 100, 'the publishes to be written to Redis');
    await stopRedis(); // ...and then the connection is gone
    const outcomes = await within(Promise.all(inFlight), 'every publish in flight to settle', 3000);
    expect(new Set(outcomes)).toEqual(
      new Set([
        'MaxRetriesPerRequestError: Reached the max retries per request limit (which is 0). Refer to "maxRetriesPerRequest" option for details.',
      ]),
    );
    expect(emitter.inFlight).toEqual({ events: 0, bytes: 0 });
    await startRedis();
    await publishedOnceBack(emitter);
  }, 30_000);

  it('holds at most maxInFlight publishes and maxInFlightBytes while Redis hangs, refusing the rest at once, and sends the held ones when it answers', async () => {
    await startRedis();
    const byCount = emitterOn({ maxInFlight: 50 });
    const byBytes = emitterOn({ maxInFlightBytes: 16 * 1024 });
    await Promise.all([byCount.publish(`${EV}hang`, 'up'), byBytes.publish(`${EV}hang`, 'up')]);
    server.pause();
    try {
      const outcomes = (emitter: WampEmitter) =>
        Array.from({ length: 1000 }, () =>
          emitter.publish(`${EV}hang`, KB_EVENT).then(
            () => 'taken',
            (error: unknown) => (error instanceof WampEmitterBusyError ? 'busy' : 'failed'),
          ),
        );
      const [countOutcomes, bytesOutcomes] = [outcomes(byCount), outcomes(byBytes)];
      expect(byCount.inFlight.events).toBe(50);
      expect(connectionOf(byCount).commandQueue.length).toBeLessThanOrEqual(50);
      const { events, bytes } = byBytes.inFlight;
      expect(bytes).toBeLessThanOrEqual(16 * 1024);
      expect(bytes).toBeGreaterThan(16 * 1024 - 1100);
      // The refused are refused at once, while Redis still hangs.
      const busy = async (settled: Promise<string>[], count: number) => {
        const first = await within(Promise.all(settled.slice(count)), 'the refusals', 1000);
        expect(new Set(first)).toEqual(new Set(['busy']));
      };
      await busy(countOutcomes, 50);
      await busy(bytesOutcomes, events);
      await expect(byCount.publish(`${EV}hang`, 'more')).rejects.toThrow(
        /^WampEmitter: 50 publishes \(\d+ bytes\) are waiting for Redis; this one \(\d+ bytes\) would pass maxInFlight 50 /,
      );
      server.resume();
      expect(new Set(await within(Promise.all(countOutcomes.slice(0, 50)), 'the held publishes', 5000))).toEqual(new Set(['taken']));
      expect(new Set(await within(Promise.all(bytesOutcomes.slice(0, events)), 'the held publishes', 5000))).toEqual(new Set(['taken']));
      expect(byCount.inFlight).toEqual({ events: 0, bytes: 0 });
      await expect(byCount.publish(`${EV}hang`, 'after')).resolves.toBe(0);
    } finally {
      server.resume();
    }
  }, 30_000);
});
