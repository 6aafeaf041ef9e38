// nest-wamp/prometheus and nest-wamp/terminus against a real Nest app over real sockets: calls of
// every outcome, publications, a refused handshake, then one scrape of GET /metrics whose every
// wamp_* value is checked; the health indicator up, down while the app shuts down, and down with a
// Redis backplane whose Redis is paused or unreachable.
import { type CanActivate, Controller, Get, Header, Injectable, Module, UseGuards } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { type OpenMetricsContentType, Registry, type RegistryContentType } from 'prom-client';
import { WAMP_CALL_DURATION_BUCKETS, WAMP_CALL_OUTCOMES, WampException, WampModule, WampRpc } from '../../src/index.js';
import type { WampModuleOptions } from '../../src/index.js';
import { WampMetrics, WampMetricsModule } from '../../src/prometheus/index.js';
import { RedisBackplane } from '../../src/redis/index.js';
import { WampHealthIndicator } from '../../src/terminus/index.js';
import { WampCallError, WampHandshakeError, WampTestClient } from '../../src/testing/index.js';
import { AppModule as ReadmeExampleModule } from '../fixtures/readme/metrics-example.js';
import { freePort } from '../support/free-port.js';
import { parsePrometheusText, type Scrape, isPrometheusTextType } from '../support/prometheus-text.js';
import { BareWebSocketPeer } from '../support/raw-wamp-socket.js';
import { describeWithRedis, DisposableRedis } from '../support/redis.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { deferred, until } from '../support/until.js';

const RPC = 'http://example.com/rpc#';
const EV = 'http://example.com/event#';
const NEWS = `${EV}news`;

/** Every registry of this file's apps; the controller serves the one the module was given. */
const REGISTRY = Symbol('registry');

@Injectable()
class Refuse implements CanActivate {
  canActivate(): boolean {
    return false;
  }
}

/** One procedure per outcome, and one that holds its answer until the test releases it. */
@Injectable()
class Procedures {
  release = deferred();
  holding = 0;
  /** `performance.now()` when the last held call started. */
  heldSince = 0;

  @WampRpc(`${RPC}ok`)
  ok() {
    return 'ok';
  }

  @WampRpc(`${RPC}fail`)
  fail() {
    throw new WampException('http://example.com/error#no', 'no');
  }

  @WampRpc(`${RPC}crash`)
  crash() {
    throw new Error('boom');
  }

  @WampRpc(`${RPC}guarded`)
  @UseGuards(Refuse)
  guarded() {
    return 'never';
  }

  @WampRpc(`${RPC}hold`)
  async hold() {
    this.holding++;
    this.heldSince = performance.now();
    await this.release.promise;
    return 'held';
  }
}

@Controller()
class OpsController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly wamp: WampHealthIndicator,
    private readonly metricsRegistry: Registry<RegistryContentType>,
  ) {}

  @Get('metrics')
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  metrics(): Promise<string> {
    return this.metricsRegistry.metrics();
  }

  @Get('health')
  @HealthCheck()
  check() {
    return this.health.check([() => this.wamp.isHealthy('wamp')]);
  }

  @Get('health/lenient')
  @HealthCheck()
  lenient() {
    return this.health.check([() => this.wamp.isHealthy('wamp', { requireBackplane: false })]);
  }
}

function opsApp(wamp: WampModuleOptions, registry: Registry<RegistryContentType> = new Registry(), prefix?: string): Promise<TestServer> {
  @Module({ providers: [{ provide: Registry, useValue: registry }], exports: [Registry] })
  class RegistryModule {}
  return startApp({
    imports: [WampModule.forRoot(wamp), WampMetricsModule.forRoot({ registry, prefix }), TerminusModule, RegistryModule],
    controllers: [OpsController],
    providers: [Procedures, Refuse, WampHealthIndicator, { provide: REGISTRY, useValue: registry }],
  });
}

function http(server: TestServer, path: string): Promise<Response> {
  return fetch(`http://127.0.0.1:${server.port}${path}`);
}

async function scrape(server: TestServer, path = '/metrics'): Promise<Scrape> {
  const response = await http(server, path);
  expect(response.status).toBe(200);
  expect(isPrometheusTextType(response.headers.get('content-type'))).toBe(true);
  return parsePrometheusText(await response.text());
}

async function health(server: TestServer, path = '/health'): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await http(server, path);
  expect(response.headers.get('content-type')).toContain('application/json');
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The one state of wamp_backplane_state at 1, the others being at 0. */
function backplaneState(metrics: Scrape): string {
  const states = ['none', 'connected', 'disconnected'].map((state) => [state, metrics.value('wamp_backplane_state', { state })] as const);
  expect(states.map(([, value]) => value).sort()).toEqual([0, 0, 1]);
  return states.find(([, value]) => value === 1)![0];
}

function callError(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => {
      throw new Error('the call succeeded');
    },
    (error: unknown) => {
      expect(error).toBeInstanceOf(WampCallError);
      return (error as WampCallError).uri;
    },
  );
}

describe('GET /metrics and GET /health (WampMetricsModule, WampHealthIndicator)', () => {
  let server: TestServer;
  let procedures: Procedures;
  let metrics: Scrape;
  let heldSeconds: number;

  beforeAll(async () => {
    server = await opsApp({ topics: { [`${EV}*`]: true }, limits: { callsInFlight: 2 } });
    procedures = server.app.get(Procedures);
    const a = await server.connect();
    const b = await server.connect();
    a.subscribe(NEWS, () => undefined);
    b.subscribe(NEWS, () => undefined);
    await until(() => server.broker.subscribers(NEWS).length === 2, 'two subscribers');

    // result ×3 (and ×2 below), error ×2, internal, unauthorized, not-found ×1 each
    for (let n = 0; n < 3; n++) expect(await a.call(`${RPC}ok`)).toBe('ok');
    expect(await callError(a.call(`${RPC}fail`))).toBe('http://example.com/error#no');
    expect(await callError(a.call(`${RPC}fail`))).toBe('http://example.com/error#no');
    expect(await callError(a.call(`${RPC}crash`))).toBe('http://api.wamp.ws/error#internal');
    expect(await callError(a.call(`${RPC}guarded`))).toBe('http://api.wamp.ws/error#unauthorized');
    expect(await callError(a.call(`${RPC}nowhere`))).toBe('http://api.wamp.ws/error#notfound');
    // refused: a third call while two are in flight (limits.callsInFlight: 2)
    const held = [a.call(`${RPC}hold`), a.call(`${RPC}hold`)];
    await until(() => procedures.holding === 2, 'two held calls');
    expect(await callError(a.call(`${RPC}hold`))).toBe('http://api.wamp.ws/error#busy');
    const releasedAt = performance.now();
    heldSeconds = (releasedAt - procedures.heldSince) / 1000;
    procedures.release.resolve();
    expect(await Promise.all(held)).toEqual(['held', 'held']);

    // 2 EVENTs from a client's PUBLISH (the publisher is subscribed too), 2 from the broker
    a.publish(NEWS, { n: 1 });
    await Promise.all([a.nextEvent(NEWS), b.nextEvent(NEWS)]);
    expect(server.broker.publish(NEWS, { n: 2 })).toBe(2);
    await Promise.all([a.nextEvent(NEWS), b.nextEvent(NEWS)]);

    // a refused handshake, and a closed session
    await expect(WampTestClient.connect(server.url, { protocols: ['chat'] })).rejects.toBeInstanceOf(WampHandshakeError);
    await b.close();
    await until(() => server.broker.stats().sessionsClosed === 1, 'the session closed');

    metrics = await scrape(server);
  });
  afterAll(() => server?.close());

  it('names every series wamp_*, with the Prometheus types', () => {
    expect(metrics.names().every((name) => name.startsWith('wamp_'))).toBe(true);
    expect(Object.fromEntries(metrics.types)).toEqual({
      wamp_sessions: 'gauge',
      wamp_sessions_opened_total: 'counter',
      wamp_sessions_closed_total: 'counter',
      wamp_topics: 'gauge',
      wamp_calls_total: 'counter',
      wamp_call_duration_seconds: 'histogram',
      wamp_events_delivered_total: 'counter',
      wamp_events_dropped_total: 'counter',
      wamp_refusals_total: 'counter',
      wamp_handshakes_refused_total: 'counter',
      wamp_logs_suppressed_total: 'counter',
      wamp_backplane_state: 'gauge',
      wamp_bytes_held: 'gauge',
    });
  });

  it('counts sessions and topics', () => {
    expect(metrics.value('wamp_sessions')).toBe(1);
    expect(metrics.value('wamp_sessions_opened_total')).toBe(2);
    expect(metrics.value('wamp_sessions_closed_total')).toBe(1);
    expect(metrics.value('wamp_topics')).toBe(1);
    expect(metrics.value('wamp_bytes_held')).toBeGreaterThanOrEqual(0);
  });

  it('counts calls by outcome, every outcome present', () => {
    const calls = Object.fromEntries(WAMP_CALL_OUTCOMES.map((outcome) => [outcome, metrics.value('wamp_calls_total', { outcome })]));
    expect(calls).toEqual({ result: 5, error: 2, internal: 1, unauthorized: 1, 'not-found': 1, refused: 1 });
    expect(server.broker.stats().calls).toEqual(calls);
  });

  it('has a duration histogram per outcome whose counts are the calls', () => {
    for (const outcome of WAMP_CALL_OUTCOMES) {
      const count = metrics.value('wamp_call_duration_seconds_count', { outcome });
      expect(count).toBe(metrics.value('wamp_calls_total', { outcome }));
      expect(metrics.value('wamp_call_duration_seconds_bucket', { outcome, le: '+Inf' })).toBe(count);
      const buckets = WAMP_CALL_DURATION_BUCKETS.map((le) =>
        metrics.value('wamp_call_duration_seconds_bucket', { outcome, le: String(le) }),
      );
      buckets.forEach((value, i) => expect(value).toBeGreaterThanOrEqual(i === 0 ? 0 : buckets[i - 1]));
      expect(buckets.at(-1)).toBeLessThanOrEqual(count);
      expect(metrics.value('wamp_call_duration_seconds_sum', { outcome })).toBeGreaterThanOrEqual(0);
    }
    // a refused call is answered before any handler runs: it counts as 0 s
    expect(metrics.value('wamp_call_duration_seconds_bucket', { outcome: 'refused', le: '0.0001' })).toBe(1);
    expect(metrics.value('wamp_call_duration_seconds_sum', { outcome: 'refused' })).toBe(0);
    // the two held calls lasted at least from the second one's start until the release
    expect(metrics.value('wamp_call_duration_seconds_sum', { outcome: 'result' })).toBeGreaterThanOrEqual(2 * heldSeconds);
  });

  it('counts events delivered (one per recipient) and dropped (none), by reason', () => {
    expect(metrics.value('wamp_events_delivered_total')).toBe(4);
    expect(metrics.value('wamp_events_dropped_total', { reason: 'slow-consumer' })).toBe(0);
    expect(metrics.value('wamp_events_dropped_total', { reason: 'backplane' })).toBe(0);
  });

  it('counts refusals and refused handshakes by reason, every reason present', () => {
    expect(metrics.value('wamp_refusals_total', { reason: 'calls-in-flight' })).toBe(1);
    expect(metrics.value('wamp_refusals_total', { reason: 'oversize' })).toBe(0);
    expect(metrics.value('wamp_handshakes_refused_total', { reason: 'no-wamp-subprotocol' })).toBe(1);
    const reasons = [...metrics.samples.keys()].filter((key) => key.startsWith('wamp_handshakes_refused_total{'));
    expect(reasons).toHaveLength(Object.keys(server.broker.stats().handshakesRefused).length);
    expect(reasons.reduce((sum, key) => sum + metrics.samples.get(key)!, 0)).toBe(1);
  });

  it('says the backplane state is none without a backplane that reports a connection', () => {
    expect(backplaneState(metrics)).toBe('none');
  });

  it('reads the server at each scrape', async () => {
    const c = await server.connect();
    expect(await c.call(`${RPC}ok`)).toBe('ok');
    const again = await scrape(server);
    expect(again.value('wamp_sessions')).toBe(2);
    expect(again.value('wamp_calls_total', { outcome: 'result' })).toBe(6);
    expect(again.value('wamp_call_duration_seconds_count', { outcome: 'result' })).toBe(6);
    await c.close();
  });

  it('GET /health: 200 and up while WAMP serves, with the state, sessions and backplane', async () => {
    const { status, body } = await health(server);
    expect(status).toBe(200);
    expect(body).toEqual({
      status: 'ok',
      info: { wamp: { status: 'up', state: 'serving', sessions: expect.any(Number), backplane: 'none' } },
      error: {},
      details: { wamp: { status: 'up', state: 'serving', sessions: expect.any(Number), backplane: 'none' } },
    });
  });

  it('refuses a second WampMetrics on the same registry, naming the series', () => {
    const registry = server.app.get<Registry>(REGISTRY);
    expect(() => new WampMetrics(server.broker, { registry })).toThrow(
      'WampMetrics: the registry already has a series named wamp_sessions (another application',
    );
    // and registered nothing of its own meanwhile
    expect(registry.getMetricsAsArray()).toHaveLength(13);
  });
});

describe('WampMetricsModule options and lifetime', () => {
  it('prefixes every series with `prefix`', async () => {
    const server = await opsApp({}, new Registry(), 'chat_');
    try {
      const metrics = await scrape(server);
      expect(metrics.names().length).toBeGreaterThan(10);
      expect(metrics.names().every((name) => name.startsWith('chat_'))).toBe(true);
      expect(metrics.value('chat_sessions')).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('removes its series from the registry when the app closes, so that the next app can register them', async () => {
    const registry = new Registry();
    const first = await opsApp({}, registry);
    expect(registry.getSingleMetric('wamp_sessions')).toBeDefined();
    await first.close();
    expect(registry.getMetricsAsArray()).toHaveLength(0);
    const second = await opsApp({}, registry);
    expect((await scrape(second)).value('wamp_sessions_opened_total')).toBe(0);
    await second.close();
  });

  it('serves an OpenMetrics registry too', async () => {
    const registry = new Registry<OpenMetricsContentType>();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    const server = await opsApp({}, registry);
    try {
      const client = await server.connect();
      expect(await client.call(`${RPC}ok`)).toBe('ok');
      const text = await registry.metrics();
      expect(text).toContain('wamp_calls_total{outcome="result"} 1\n');
      expect(text).toContain('wamp_call_duration_seconds_count{outcome="result"} 1\n');
      expect(text.endsWith('# EOF\n')).toBe(true);
    } finally {
      await server.close();
    }
  });
});

describe('the health indicator while the app shuts down', () => {
  it('GET /health answers 503, down and stopping, while sessions are still being closed; GET /metrics still answers', async () => {
    const server = await opsApp({ shutdownGraceMs: 2000 });
    // A peer that never answers the close frame holds the shutdown for shutdownGraceMs.
    const stuck = await BareWebSocketPeer.connect(server.port);
    try {
      expect((await health(server)).status).toBe(200);
      const closed = server.app.close();
      await until(() => server.broker.stats().state === 'stopping', 'the shutdown to begin');
      const { status, body } = await health(server);
      expect(status).toBe(503);
      expect(body).toMatchObject({
        status: 'error',
        error: { wamp: { status: 'down', state: 'stopping', sessions: 1, backplane: 'none' } },
      });
      // the series are still there while the sessions drain
      expect((await scrape(server)).value('wamp_sessions')).toBe(1);
      await closed;
      expect(server.broker.stats().state).toBe('stopped');
    } finally {
      stuck.destroy();
    }
  });
});

describe('the README example (test/fixtures/readme/metrics-example.ts)', () => {
  it('serves wamp_* on GET /metrics from the global register and GET /health', async () => {
    const server = await startApp({ imports: [ReadmeExampleModule] });
    try {
      const client = await server.connect();
      await expect(client.call(`${RPC}nowhere`)).rejects.toBeInstanceOf(WampCallError);
      const metrics = await scrape(server);
      expect(metrics.value('wamp_sessions')).toBe(1);
      expect(metrics.value('wamp_calls_total', { outcome: 'not-found' })).toBe(1);
      const { status, body } = await health(server);
      expect(status).toBe(200);
      expect(body).toMatchObject({ status: 'ok', info: { wamp: { status: 'up', state: 'serving', sessions: 1, backplane: 'none' } } });
    } finally {
      await server.close();
    }
  });
});

const describeRedis = await describeWithRedis();

describeRedis('with a Redis backplane: wamp_backplane_state and the health indicator', () => {
  let redis: DisposableRedis;

  beforeEach(async () => {
    redis = await DisposableRedis.create();
    await redis.start();
  });
  afterEach(() => redis.stop());

  it('up and connected while Redis answers; down, disconnected and counting dropped events while it is paused; up again when it resumes', async () => {
    const backplane = new RedisBackplane({ url: redis.url, stallTimeoutMs: 300, pingIntervalMs: 100 });
    const server = await opsApp({ topics: { [`${EV}*`]: true }, backplane });
    try {
      await until(async () => (await health(server)).status === 200, 'the backplane to connect', 10_000);
      expect((await health(server)).body).toMatchObject({ info: { wamp: { status: 'up', backplane: 'connected' } } });
      expect(backplaneState(await scrape(server))).toBe('connected');

      redis.pause();
      await until(async () => (await health(server)).status === 503, 'the stall to be noticed', 10_000);
      expect((await health(server)).body).toMatchObject({
        error: { wamp: { status: 'down', state: 'serving', backplane: 'disconnected' } },
      });
      const lenient = await health(server, '/health/lenient');
      expect(lenient.status).toBe(200);
      expect(lenient.body).toMatchObject({ info: { wamp: { status: 'up', backplane: 'disconnected' } } });
      server.broker.publish(`${EV}news`, 'lost');
      const paused = await scrape(server);
      expect(backplaneState(paused)).toBe('disconnected');
      expect(paused.value('wamp_events_dropped_total', { reason: 'backplane' })).toBe(backplane.dropped);
      expect(backplane.dropped).toBeGreaterThanOrEqual(1);

      redis.resume();
      await until(async () => (await health(server)).status === 200, 'the backplane to reconnect', 15_000);
      expect(backplaneState(await scrape(server))).toBe('connected');
    } finally {
      redis.resume();
      await server.close();
    }
  }, 40_000);

  it('down from the start when Redis is unreachable', async () => {
    const nowhere = `redis://127.0.0.1:${await freePort()}`;
    const server = await opsApp({ backplane: new RedisBackplane({ url: nowhere }) });
    try {
      const { status, body } = await health(server);
      expect(status).toBe(503);
      expect(body).toMatchObject({ error: { wamp: { status: 'down', state: 'serving', backplane: 'disconnected' } } });
      expect(backplaneState(await scrape(server))).toBe('disconnected');
    } finally {
      await server.close();
    }
  });
});
