import { type ChildProcess, spawn } from 'node:child_process';
import { connect as netConnect } from 'node:net';
import { WebSocket } from 'ws';
import { WampTestClient } from '../../src/testing/index.js';
import { assertSampleCompiled, COMPILED_SAMPLE_MAIN } from '../support/compiled-sample.js';
import { freePort } from '../support/free-port.js';
import { BareWebSocketPeer } from '../support/raw-wamp-socket.js';
import { isPrometheusTextType } from '../support/prometheus-text.js';

/** Starts the compiled sample as `npm start` does, and waits for its "open http://..." line. */
async function startSample(env: Record<string, string>): Promise<{ process: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [COMPILED_SAMPLE_MAIN], {
    env: { ...process.env, ...env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the sample did not start within 20 s:\n${output}`)), 20_000);
    const check = (): void => {
      if (!output.includes('open http://')) return;
      clearTimeout(timer);
      resolve();
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the sample exited with ${code}:\n${output}`));
    });
  });
  return { process: child, output: () => output };
}

function handshakeStatus(url: string, origin?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, ['wamp'], { origin });
    socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    socket.once('open', () => {
      socket.close();
      resolve(101);
    });
    socket.once('error', reject);
  });
}

describe('npm start (the compiled sample, as a process)', () => {
  let sample: Awaited<ReturnType<typeof startSample>>;
  let port: number;

  beforeAll(async () => {
    assertSampleCompiled();
    port = await freePort();
    sample = await startSample({
      HOST: '127.0.0.1',
      PORT: String(port),
      WAMP_ALLOWED_ORIGINS: 'http://allowed.example, /^https:\\/\\/[a-z]+\\.trusted\\.example$/',
      WAMP_AUTH_TIMEOUT_MS: '300',
    });
  }, 30_000);

  afterAll(() => {
    if (sample?.process.exitCode === null) sample.process.kill('SIGKILL');
  });

  it('listens on HOST and PORT and serves the page at /', async () => {
    expect(sample.output()).toContain(`open http://127.0.0.1:${port}/`);
    const response = await fetch(`http://127.0.0.1:${port}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(await response.text()).toContain('nest-wamp');
  });

  it('applies WAMP_ALLOWED_ORIGINS: exact origins and /regexes/; no Origin is allowed', async () => {
    const url = `ws://127.0.0.1:${port}/ws`;
    expect(await handshakeStatus(url, 'http://allowed.example')).toBe(101);
    expect(await handshakeStatus(url, 'https://app.trusted.example')).toBe(101);
    expect(await handshakeStatus(url, 'http://evil.example')).toBe(403);
    expect(await handshakeStatus(url)).toBe(101);
  });

  it('applies WAMP_AUTH_TIMEOUT_MS, and authenticated sessions stay', async () => {
    const url = `ws://127.0.0.1:${port}/ws`;
    const authenticated = await WampTestClient.connect(url);
    await authenticated.authenticate('guest', 'secret-password');
    const lingering = await WampTestClient.connect(url);
    expect(await lingering.closed).toEqual({ code: 1008, reason: 'authentication timeout' });
    expect(await authenticated.call('http://wamp.sample/rpc#add', 20, 22)).toBe(42);
    await authenticated.close();
  });

  it('serves GET /metrics (wamp_* series) and GET /health (200, JSON) through the package entry points', async () => {
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(metrics.status).toBe(200);
    expect(isPrometheusTextType(metrics.headers.get('content-type'))).toBe(true);
    expect(await metrics.text()).toMatch(/^wamp_sessions \d+$/m);
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', info: { wamp: { status: 'up', state: 'serving', backplane: 'none' } } });
  });

  it('shuts down on SIGTERM: open sessions get 1001, then the process ends, whatever other clients hold open', async () => {
    const client = await WampTestClient.connect(`ws://127.0.0.1:${port}/ws`);
    // A half-sent HTTP request on the same port (forceCloseConnections ends it) and a WAMP peer that reads nothing.
    const halfSent = netConnect({ port, host: '127.0.0.1' });
    halfSent.on('error', () => undefined);
    await new Promise((resolve) => halfSent.once('connect', resolve));
    halfSent.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    const stuck = await BareWebSocketPeer.connect(port);
    stuck.socket.pause();
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      sample.process.once('exit', (code, signal) => resolve({ code, signal })),
    );
    sample.process.kill('SIGTERM');
    expect((await client.closed).code).toBe(1001);
    // Nest closes the app, then raises the signal again so the process ends as the signal says.
    expect(await exited).toEqual({ code: null, signal: 'SIGTERM' });
    expect(sample.output()).not.toMatch(/ERROR/);
    halfSent.destroy();
    stuck.destroy();
  });
});
