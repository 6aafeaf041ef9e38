import { performance } from 'node:perf_hooks';
import { latencySummary } from '../stats.js';
import { type BenchClient, connect } from './clients.js';
import type { Task } from './task.js';

/** Asks the orchestrator to sample the server(s) now (CPU, and RSS after a GC when asked). */
export type Mark = (name: string, gc?: boolean) => Promise<void>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Measures this process's CPU use over a window, as a percentage of one core. */
function cpuWindow(): () => number {
  const cpu = process.cpuUsage();
  const started = performance.now();
  return () => {
    const used = process.cpuUsage(cpu);
    return ((used.user + used.system) / 1000 / (performance.now() - started)) * 100;
  };
}

export async function runScenario(task: Task, mark: Mark): Promise<Record<string, number>> {
  switch (task.scenario) {
    case 'rpc':
      return rpc(task, mark);
    case 'fanout':
      return fanout(task, mark);
    case 'paced':
      return paced(task, mark);
    case 'conns':
      return conns(task, mark);
    case 'churn':
      return churn(task, mark);
  }
}

async function openMany(task: Task, count: number, concurrency: number, auth = false): Promise<BenchClient[]> {
  const clients: BenchClient[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      clients[index] = await connect(task.protocol, task.urls[index % task.urls.length], { auth });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return clients;
}

async function closeAll(clients: BenchClient[]): Promise<void> {
  await Promise.all(clients.map((client) => client.close()));
}

/**
 * Closed-loop echo calls: every connection keeps `depth` calls in flight. Measures calls/s and
 * latency during the window, between the marks `${prefix}start` and `${prefix}end`.
 */
async function echoLoop(
  clients: BenchClient[],
  depth: number,
  payload: string,
  warmupMs: number,
  measureMs: number,
  mark: Mark,
  prefix = 'measure-',
): Promise<{ calls: number; callsPerSec: number; p50: number; p99: number; loadgenCpuPct: number }> {
  const started = new Map<number, number>();
  const latencies: number[] = [];
  let nextId = 0;
  let calls = 0;
  let measuring = false;
  let stopped = false;
  const send = (client: BenchClient): void => {
    const id = nextId++;
    started.set(id, performance.now());
    client.echo(id, payload);
  };
  for (const client of clients) {
    client.onEcho = (id) => {
      const sentAt = started.get(id);
      started.delete(id);
      if (measuring && sentAt !== undefined) {
        calls++;
        latencies.push(performance.now() - sentAt);
      }
      if (!stopped) send(client);
    };
  }
  for (const client of clients) for (let slot = 0; slot < depth; slot++) send(client);
  await sleep(warmupMs);
  await mark(`${prefix}start`);
  measuring = true;
  const windowStart = performance.now();
  const loadgenCpu = cpuWindow();
  await sleep(measureMs);
  measuring = false;
  const elapsedMs = performance.now() - windowStart;
  const loadgenCpuPct = loadgenCpu();
  await mark(`${prefix}end`);
  stopped = true;
  const drainDeadline = Date.now() + 5000;
  while (started.size > 0 && Date.now() < drainDeadline) await sleep(5);
  return { calls, callsPerSec: (calls * 1000) / elapsedMs, loadgenCpuPct, ...latencySummary(latencies) };
}

async function rpc(task: Extract<Task, { scenario: 'rpc' }>, mark: Mark): Promise<Record<string, number>> {
  const clients = await openMany(task, task.connections, 32);
  const result = await echoLoop(clients, task.depth, 'x'.repeat(task.payloadBytes), task.warmupMs, task.measureMs, mark);
  await closeAll(clients);
  return result;
}

async function subscribed(task: Task, count: number): Promise<{ publisher: BenchClient; subscribers: BenchClient[] }> {
  const subscribers = await openMany(task, count, 50);
  await Promise.all(subscribers.map((subscriber) => subscriber.subscribe()));
  const publisher = await connect(task.protocol, task.urls[0]);
  return { publisher, subscribers };
}

/** Closed loop: up to `window` events in flight; the next is published when one reached every subscriber. */
async function fanout(task: Extract<Task, { scenario: 'fanout' }>, mark: Mark): Promise<Record<string, number>> {
  const { publisher, subscribers } = await subscribed(task, task.subscribers);
  const received = new Map<number, number>();
  let published = 0;
  let completed = 0;
  let deliveries = 0;
  let measuring = false;
  let stopped = false;
  const pump = (): void => {
    while (!stopped && published - completed < task.window) publisher.publish({ s: published++ });
  };
  for (const subscriber of subscribers) {
    subscriber.onEvent = (event) => {
      const seq = (event as { s: number }).s;
      const count = (received.get(seq) ?? 0) + 1;
      if (measuring) deliveries++;
      if (count === subscribers.length) {
        received.delete(seq);
        completed++;
        pump();
      } else {
        received.set(seq, count);
      }
    };
  }
  pump();
  await sleep(task.warmupMs);
  await mark('measure-start');
  measuring = true;
  const windowStart = performance.now();
  const loadgenCpu = cpuWindow();
  await sleep(task.measureMs);
  measuring = false;
  const elapsedMs = performance.now() - windowStart;
  const loadgenCpuPct = loadgenCpu();
  await mark('measure-end');
  stopped = true;
  const drainDeadline = Date.now() + 5000;
  while (completed < published && Date.now() < drainDeadline) await sleep(5);
  await closeAll([publisher, ...subscribers]);
  return { deliveries, deliveriesPerSec: (deliveries * 1000) / elapsedMs, events: completed, loadgenCpuPct };
}

/** Open loop: `rate` events per second; each carries its send time, and every delivery's latency is recorded. */
async function paced(task: Extract<Task, { scenario: 'paced' }>, mark: Mark): Promise<Record<string, number>> {
  const { publisher, subscribers } = await subscribed(task, task.subscribers);
  const latencies: number[] = [];
  let measuring = false;
  for (const subscriber of subscribers) {
    subscriber.onEvent = (event) => {
      if (measuring) latencies.push(performance.now() - (event as { t: number }).t);
    };
  }
  const begin = performance.now();
  let sent = 0;
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - begin) * task.rate) / 1000);
    while (sent < due) {
      publisher.publish({ t: performance.now() });
      sent++;
    }
  }, 1);
  await sleep(task.warmupMs);
  await mark('measure-start');
  measuring = true;
  const loadgenCpu = cpuWindow();
  await sleep(task.measureMs);
  measuring = false;
  const loadgenCpuPct = loadgenCpu();
  await mark('measure-end');
  clearInterval(timer);
  await sleep(100);
  await closeAll([publisher, ...subscribers]);
  return { deliveries: latencies.length, loadgenCpuPct, ...latencySummary(latencies) };
}

/** How many steps the memory slope of the conns scenario is fitted over. */
export const CONNS_STEPS = 6;

/**
 * Idle sessions: `from`, then up to `to`. Measuring memory, the orchestrator samples it (after a
 * GC) before any session and after each of `CONNS_STEPS` equal steps, and CPU around each step;
 * otherwise CPU is sampled around the one step from `from` to `to`.
 */
async function conns(task: Extract<Task, { scenario: 'conns' }>, mark: Mark): Promise<Record<string, number>> {
  if (task.memory) await mark('memory-none', true);
  const clients = await openMany(task, task.from, task.concurrency, task.auth);
  await sleep(200);
  if (task.memory) await mark('memory-0', true);
  const steps = task.memory ? CONNS_STEPS : 1;
  const step = Math.ceil((task.to - task.from) / steps);
  let connectMs = 0;
  for (let index = 1; index <= steps; index++) {
    const count = Math.min(step, task.to - clients.length);
    await mark(`connect-${index}-start`);
    const started = performance.now();
    clients.push(...(await openMany(task, count, task.concurrency, task.auth)));
    connectMs += performance.now() - started;
    await mark(`connect-${index}-end`);
    if (!task.memory) continue;
    await sleep(100);
    await mark(`memory-${index}`, true);
  }
  await closeAll(clients);
  return { sessions: clients.length, connectsPerSec: ((task.to - task.from) * 1000) / connectMs };
}

/** Echo throughput before and after `cycles` connect/disconnects. */
async function churn(task: Extract<Task, { scenario: 'churn' }>, mark: Mark): Promise<Record<string, number>> {
  const payload = 'x'.repeat(16);
  const measureOnce = async (prefix: string) => {
    const clients = await openMany(task, task.connections, 32);
    const result = await echoLoop(clients, task.depth, payload, task.warmupMs, task.measureMs, mark, prefix);
    await closeAll(clients);
    return result;
  };
  const before = await measureOnce('before-');
  await mark('churn-start');
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < task.cycles) {
      next++;
      await (await connect(task.protocol, task.urls[0])).close();
    }
  };
  await Promise.all(Array.from({ length: task.concurrency }, worker));
  await mark('churn-end');
  const after = await measureOnce('after-');
  return {
    beforeCallsPerSec: before.callsPerSec,
    afterCallsPerSec: after.callsPerSec,
    afterOverBefore: after.callsPerSec / before.callsPerSec,
  };
}
