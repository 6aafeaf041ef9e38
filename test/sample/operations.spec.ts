// The sample app contract's "Operations" section (/work/shared/sample-app.md): GET /metrics in the
// Prometheus text format with nest-wamp's wamp_* series (sessions open, calls by outcome, events
// delivered and dropped, refused handshakes by reason, backplane state), and GET /health: 200 with
// a JSON body while the WAMP endpoint serves (saying, with Redis, whether the backplane is
// connected), 503 while shutting down. Against the real sample module over real sockets.
import { AppModule } from '../../sample/app.module.js';
import type { SampleConfig } from '../../sample/sample-config.js';
import { WampCallError, WampHandshakeError, WampTestClient } from '../../src/testing/index.js';
import { parsePrometheusText, type Scrape, isPrometheusTextType } from '../support/prometheus-text.js';
import { BareWebSocketPeer } from '../support/raw-wamp-socket.js';
import { describeWithRedis, REDIS_URL } from '../support/redis.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { until } from '../support/until.js';

const RPC = 'http://wamp.sample/rpc#';
const TIME = 'http://wamp.sample/event#time';
const DEFAULT_CONFIG: SampleConfig = { host: '127.0.0.1', port: 0, authTimeoutMs: 20000, allowedOrigins: undefined };

function startSample(config: SampleConfig = DEFAULT_CONFIG): Promise<TestServer> {
  return startApp({ imports: [AppModule.forConfig(config)] });
}

async function scrape(server: TestServer): Promise<Scrape> {
  const response = await fetch(`http://127.0.0.1:${server.port}/metrics`);
  expect(response.status).toBe(200);
  expect(isPrometheusTextType(response.headers.get('content-type'))).toBe(true);
  return parsePrometheusText(await response.text());
}

async function health(server: TestServer): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`http://127.0.0.1:${server.port}/health`);
  expect(response.headers.get('content-type')).toContain('application/json');
  return { status: response.status, body: await response.json() };
}

async function callErrorUri(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(WampCallError);
  return (error as WampCallError).uri;
}

describe('the sample: GET /metrics and GET /health', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startSample();
  });
  afterAll(() => server?.close());

  it('GET /metrics: wamp_* series for sessions, calls by outcome, events delivered and dropped, refused handshakes by reason', async () => {
    const client = await server.connect();
    expect(await callErrorUri(client.call(`${RPC}add`, 1, 2))).toBe('http://api.wamp.ws/error#unauthorized');
    await client.authenticate('guest', 'secret-password'); // authreq and auth: two results
    expect(await client.call(`${RPC}add`, 1, 2)).toBe(3);
    expect(await callErrorUri(client.call(`${RPC}add`, '1', 2))).toBe('http://wamp.sample/error#invalid-argument');
    expect(await callErrorUri(client.call(`${RPC}fail`))).toBe('http://api.wamp.ws/error#internal');
    expect(await callErrorUri(client.call(`${RPC}nowhere`))).toBe('http://api.wamp.ws/error#notfound');
    client.subscribe(TIME, () => undefined);
    await client.nextEvent(TIME, 3000);
    await expect(WampTestClient.connect(server.url, { protocols: ['chat'] })).rejects.toBeInstanceOf(WampHandshakeError);

    const metrics = await scrape(server);
    expect(metrics.value('wamp_sessions')).toBe(1);
    expect(metrics.value('wamp_calls_total', { outcome: 'result' })).toBe(3);
    expect(metrics.value('wamp_calls_total', { outcome: 'error' })).toBe(1);
    expect(metrics.value('wamp_calls_total', { outcome: 'internal' })).toBe(1);
    expect(metrics.value('wamp_calls_total', { outcome: 'unauthorized' })).toBe(1);
    expect(metrics.value('wamp_calls_total', { outcome: 'not-found' })).toBe(1);
    expect(metrics.value('wamp_call_duration_seconds_count', { outcome: 'result' })).toBe(3);
    expect(metrics.value('wamp_events_delivered_total')).toBeGreaterThanOrEqual(1);
    expect(metrics.value('wamp_events_dropped_total', { reason: 'slow-consumer' })).toBe(0);
    expect(metrics.value('wamp_handshakes_refused_total', { reason: 'no-wamp-subprotocol' })).toBe(1);
    // one instance: no backplane
    expect(metrics.value('wamp_backplane_state', { state: 'none' })).toBe(1);
    expect(metrics.value('wamp_backplane_state', { state: 'connected' })).toBe(0);
    expect(metrics.names().filter((name) => !name.startsWith('wamp_'))).toEqual([]);
    await client.close();
  });

  it('GET /health: 200 with a JSON body while WAMP serves', async () => {
    expect(await health(server)).toEqual({
      status: 200,
      body: {
        status: 'ok',
        info: { wamp: { status: 'up', state: 'serving', sessions: expect.any(Number), backplane: 'none' } },
        error: {},
        details: { wamp: { status: 'up', state: 'serving', sessions: expect.any(Number), backplane: 'none' } },
      },
    });
  });
});

describe('the sample shutting down', () => {
  it('GET /health answers 503 while the WAMP sessions are being closed', async () => {
    const server = await startSample();
    // A peer that never answers the close frame holds the shutdown for shutdownGraceMs (1 s).
    const stuck = await BareWebSocketPeer.connect(server.port);
    try {
      expect((await health(server)).status).toBe(200);
      const closed = server.app.close();
      await until(() => server.broker.stats().state === 'stopping', 'the shutdown to begin');
      expect(await health(server)).toMatchObject({
        status: 503,
        body: { status: 'error', error: { wamp: { status: 'down', state: 'stopping' } } },
      });
      await closed;
    } finally {
      stuck.destroy();
    }
  });
});

const describeRedis = await describeWithRedis();

describeRedis('the sample with WAMP_REDIS_URL', () => {
  it('GET /health says the backplane is connected, and /metrics has wamp_backplane_state connected', async () => {
    const server = await startSample({ ...DEFAULT_CONFIG, redisUrl: REDIS_URL });
    try {
      await until(async () => (await health(server)).status === 200, 'the backplane to connect', 10_000);
      expect(await health(server)).toMatchObject({ status: 200, body: { info: { wamp: { status: 'up', backplane: 'connected' } } } });
      const metrics = await scrape(server);
      expect(metrics.value('wamp_backplane_state', { state: 'connected' })).toBe(1);
      expect(metrics.value('wamp_backplane_state', { state: 'disconnected' })).toBe(0);
    } finally {
      await server.close();
    }
  });
});
