import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import type { WampTestClient } from '../../src/testing/index.js';
import { freePort } from './free-port.js';
import { sleep, until } from './until.js';

import { REDIS_SERVER, REDIS_URL, redisAnswers } from './redis-server.js';

export { REDIS_URL, redisAnswers } from './redis-server.js';

/**
 * `describe` when Redis answers; otherwise `describe.skip` with a loud notice, or a failure when
 * REQUIRE_REDIS=1 (CI), so that CI can never skip the Redis tests.
 */
export async function describeWithRedis(): Promise<jest.Describe> {
  if (await redisAnswers()) return describe;
  if (process.env.REQUIRE_REDIS === '1') throw new Error(`REQUIRE_REDIS=1 but no Redis answers at ${REDIS_URL}`);
  console.warn(
    `\n*** SKIPPING the Redis tests: no Redis answers at ${REDIS_URL} (set REDIS_URL, or REQUIRE_REDIS=1 to fail instead). ***\n`,
  );
  return describe.skip;
}

/** A redis-server of the test's own on a spare port, which the test can stop and start again. */
export class DisposableRedis {
  private process?: ChildProcess;

  private constructor(readonly port: number) {}

  static async create(): Promise<DisposableRedis> {
    if (!existsSync(REDIS_SERVER)) throw new Error(`no redis-server at ${REDIS_SERVER} (set REDIS_SERVER_BIN)`);
    return new DisposableRedis(await freePort());
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(REDIS_SERVER, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    this.process = child;
    const deadline = Date.now() + 10_000;
    while (!(await listening(this.port))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server on port ${this.port} did not start`);
      await sleep(50);
    }
  }

  /**
   * Freezes this redis-server (SIGSTOP): its connections stay up and the kernel still accepts new
   * ones, but nothing is answered, as with a hung or overloaded Redis. Only this test's own server.
   */
  pause(): void {
    this.signal('SIGSTOP');
  }

  /** Lets a paused redis-server go on (SIGCONT). */
  resume(): void {
    this.signal('SIGCONT');
  }

  private signal(signal: 'SIGSTOP' | 'SIGCONT'): void {
    const child = this.process;
    if (!child || child.exitCode !== null) throw new Error(`redis-server on port ${this.port} is not running`);
    child.kill(signal);
  }

  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

/** Whether something accepts TCP connections on the loopback port (no client library, no timers left behind). */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Waits until an event `from` publishes on `topic` reaches `to` on another instance, publishing
 * again while the backplanes reconnect (a publish during an outage is dropped: at most once).
 */
export async function crossDelivery(
  from: WampTestClient,
  to: WampTestClient,
  topic: string,
  label: string,
  timeoutMs = 20_000,
): Promise<void> {
  let attempt = 0;
  await until(
    () => {
      from.publish(topic, `${label}-${++attempt}`);
      return to.eventsOn(topic).some((event) => String(event).startsWith(`${label}-`));
    },
    `cross-instance delivery (${label})`,
    timeoutMs,
  );
}
