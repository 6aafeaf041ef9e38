import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { WampBroker, WampModule, WampRpc } from '../src/index.js';
import { WampEngine } from '../src/engine/wamp-engine.js';
import type { CraAuthenticator } from '../src/auth/cra-authenticator.js';
import { WampTestClient } from '../src/testing/index.js';

/**
 * `npm run soak`: churn, floods of bad input and slow consumers against one nest-wamp app, on
 * loopback, bounded in count and time. Prints what the server handled and refused, the heap
 * before and after (forced GC), the most bytes one session had waiting, and what is left over.
 */

const TOPIC = 'urn:soak:feed';

@Injectable()
class SoakRpc {
  @WampRpc('urn:soak:echo')
  echo(value: unknown) {
    return value;
  }

  @WampRpc('urn:soak:never')
  never() {
    return new Promise(() => undefined);
  }

  @WampRpc('urn:soak:fail')
  fail() {
    throw new Error('fails on purpose');
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function gcHeapMb(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc (npm run soak does)');
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

/** Opens a raw socket, waits for WELCOME, sends `frames`, then closes it (or cuts it). */
async function rawSession(url: string, frames: Array<string | Buffer>, cut: boolean): Promise<void> {
  const socket = new WebSocket(url, ['wamp']);
  await new Promise<void>((resolve, reject) => {
    socket.once('message', () => resolve());
    socket.once('error', reject);
  });
  for (const frame of frames) if (socket.readyState === WebSocket.OPEN) socket.send(frame, { binary: Buffer.isBuffer(frame) });
  await new Promise<void>((resolve) => {
    if (socket.readyState === WebSocket.CLOSED) return resolve();
    socket.once('close', () => resolve());
    if (cut) socket.terminate();
    else socket.close();
  });
}

/** A subscriber on a raw socket: anonymous WAMP-CRA, SUBSCRIBE, then it only counts events. */
async function subscriber(url: string): Promise<{ socket: WebSocket; events: number }> {
  const socket = new WebSocket(url, ['wamp']);
  const state = { socket, events: 0 };
  const answers: Array<() => void> = [];
  socket.on('message', (data) => {
    const text = data.toString();
    if (text.startsWith('[8,')) state.events++;
    else if (text.startsWith('[3,')) answers.shift()?.();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('message', () => resolve());
    socket.once('error', reject);
  });
  const call = (frame: unknown[]) =>
    new Promise<void>((resolve) => {
      answers.push(resolve);
      socket.send(JSON.stringify(frame));
    });
  await call([2, 'a', 'http://api.wamp.ws/procedure#authreq', null, null]);
  await call([2, 'b', 'http://api.wamp.ws/procedure#auth', null]);
  socket.send(JSON.stringify([5, TOPIC]));
  await call([2, 'c', 'urn:soak:echo', 'sync']);
  return state;
}

async function inParallel(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++).catch(() => undefined);
    }),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { churn: { type: 'string', default: '10000' }, floods: { type: 'string', default: '2000' } } });
  const churnCount = Number(values.churn);
  const floodCount = Number(values.floods);
  const started = Date.now();

  @Module({
    imports: [
      WampModule.forRoot({
        topics: { [TOPIC]: true, 'urn:soak:*': true },
        maxPayload: 64 * 1024,
        heartbeatIntervalMs: 1000,
        slowConsumer: { highWaterMark: 256 * 1024, action: 'drop' },
        limits: { prefixes: 16, callsInFlight: 8, rate: { messagesPerSecond: 2000, burst: 200, onExceed: 'close' } },
        auth: { allowAnonymous: true, timeoutMs: 5000, failureDelayMs: 0, permissions: () => ({ all: true }) },
      }),
    ],
    providers: [SoakRpc],
  })
  class SoakModule {}

  // Warnings only: the deliberate failures would print a stack each (Nest logs unexpected handler errors).
  const app = await NestFactory.create(SoakModule, { logger: ['warn'] });
  await app.listen(0, '127.0.0.1');
  const url = `ws://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}/ws`;
  const broker = app.get(WampBroker);
  const engine = app.get(WampEngine);

  // Warm up (JIT, pools), then take the baseline heap.
  await inParallel(200, 20, async () => {
    const client = await WampTestClient.connect(url);
    await client.authenticate();
    await client.call('urn:soak:echo', 1);
    await client.close();
  });
  const heapBefore = gcHeapMb();

  // 1. Churn: connect, authenticate (or not), subscribe, leave a call pending, then close or cut.
  await inParallel(churnCount, 50, async (index) => {
    const client = await WampTestClient.connect(url);
    if (index % 4 !== 0) await client.authenticate();
    client.subscribe(`urn:soak:topic-${index % 97}`, () => undefined);
    void client.call('urn:soak:never').catch(() => undefined);
    if (index % 2) await client.close();
    else (client as unknown as { socket: WebSocket }).socket.terminate();
  });

  // 2. Floods of bad input, each kind from its own sessions.
  const garbage: Array<Array<string | Buffer>> = [
    ['not json', '[1,2'],
    ['{"an":"object"}'],
    ['[99, "unknown type"]'],
    [Buffer.from([1, 2, 3])],
    [JSON.stringify([2, 'c', 'urn:soak:echo', 'x'.repeat(70 * 1024)])],
    Array.from({ length: 20 }, (_, i) => JSON.stringify([1, `p${i}`, 'urn:soak:'])),
    Array.from({ length: 400 }, (_, i) => JSON.stringify([2, `c${i}`, 'urn:soak:echo', i])),
    Array.from({ length: 20 }, (_, i) => JSON.stringify([2, `n${i}`, 'urn:soak:never'])),
    [JSON.stringify([5, 'x'.repeat(3000)])],
    [JSON.stringify([2, 'f', 'urn:soak:fail']), JSON.stringify([7, TOPIC, { spam: true }])],
  ];
  // Most flooding sessions authenticate first (anonymous WAMP-CRA answers at once, in order).
  const anonymous = [
    JSON.stringify([2, 'authreq', 'http://api.wamp.ws/procedure#authreq', null, null]),
    JSON.stringify([2, 'auth', 'http://api.wamp.ws/procedure#auth', null]),
  ];
  await inParallel(floodCount, 50, (index) =>
    rawSession(url, [...(index % 5 ? anonymous : []), ...garbage[index % garbage.length]], index % 3 === 0),
  );

  // 3. Slow consumers: subscribers that stop reading while large events are published; a fast
  // one reads everything. Raw sockets that only count, so that the clients hold nothing.
  const fast = await subscriber(url);
  const slow = await Promise.all(Array.from({ length: 20 }, () => subscriber(url)));
  for (const { socket } of slow) (socket as unknown as { _socket: { pause(): void } })._socket.pause();
  const event = { payload: 'x'.repeat(16 * 1024) };
  const published = 1000;
  for (let round = 0; round < published / 20; round++) {
    for (let i = 0; i < 20; i++) broker.publish(TOPIC, event);
    await sleep(5);
  }
  const heapWithSlowConsumers = gcHeapMb();
  const fastDeadline = Date.now() + 10_000;
  while (fast.events < published && Date.now() < fastDeadline) await sleep(10);
  const fastReceived = fast.events;
  for (const { socket } of slow) socket.terminate();
  fast.socket.close();

  // Everything is gone: the registry, the topic index, the auth state; the heap is back.
  const deadline = Date.now() + 10_000;
  while (broker.sessions().length > 0 && Date.now() < deadline) await sleep(20);
  await sleep(200);
  const heapAfter = gcHeapMb();
  const stats = broker.stats();
  const auth = (engine.authenticator as CraAuthenticator).pendingState;
  await app.close();

  const refused = Object.entries(stats.refused)
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => `${kind} ${count}`)
    .join(', ');
  const lines = [
    `| sessions handled | ${stats.sessionsOpened} (${stats.sessionsClosed} closed) |`,
    `| refused, by kind | ${refused} |`,
    `| events dropped for slow consumers | ${stats.eventsDropped}; the fast subscriber got ${fastReceived} of ${published} |`,
    `| most bytes waiting for one session | ${(stats.maxBufferedBytes / 1024).toFixed(0)} KiB (high-water mark 256 KiB) |`,
    `| heap after GC: before, with 20 stalled subscribers, after | ${heapBefore.toFixed(1)} MiB, ${heapWithSlowConsumers.toFixed(1)} MiB, ${heapAfter.toFixed(1)} MiB |`,
    `| left over: sessions, topics, auth exchanges/failures/timers | ${stats.sessions}, ${stats.topics}, ${auth.exchanges}/${auth.failures}/${auth.timers} |`,
    `| time | ${((Date.now() - started) / 1000).toFixed(1)} s |`,
  ];
  console.log(
    `\n| soak: ${churnCount} churned sessions, ${floodCount} flooding sessions, 20 slow consumers | |\n| --- | --- |\n${lines.join('\n')}\n`,
  );
  const leaked = stats.sessions + stats.topics + auth.exchanges + auth.failures + auth.timers;
  if (leaked > 0 || heapAfter > heapBefore + 5) {
    console.error('LEAK: state or heap did not come back');
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
