import { performance } from 'node:perf_hooks';
import { latencySummary } from '../stats.js';
import { ROOM_PREFIX, ruleTopic } from '../protocol.js';
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

/**
 * The measured window: the warm-up, the start mark, `measureMs` during which `window.measuring` is
 * true, the end mark. Returns how long it lasted and the load generator's CPU meanwhile.
 */
async function measuredWindow(
  window: { measuring: boolean },
  warmupMs: number,
  measureMs: number,
  mark: Mark,
  prefix = 'measure-',
): Promise<{ elapsedMs: number; loadgenCpuPct: number }> {
  await sleep(warmupMs);
  await mark(`${prefix}start`);
  window.measuring = true;
  const windowStart = performance.now();
  const loadgenCpu = cpuWindow();
  await sleep(measureMs);
  window.measuring = false;
  const elapsedMs = performance.now() - windowStart;
  const loadgenCpuPct = loadgenCpu();
  await mark(`${prefix}end`);
  return { elapsedMs, loadgenCpuPct };
}

/** Waits, at most 5 s, until what was sent before the window closed has come back. */
async function drained(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!done() && Date.now() < deadline) await sleep(5);
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
    case 'rooms':
      return rooms(task, mark);
    case 'rules':
      return rules(task, mark);
  }
}

/** Connections opened so far, to spread them over the source addresses. */
let opened = 0;

/** The source address of the next connection: 127.0.0.2, 127.0.0.3, … in turn, when the task asks for several. */
function nextLocalAddress(task: Task): string | undefined {
  const count = task.sourceAddresses ?? 0;
  return count > 0 ? `127.0.0.${2 + (opened++ % count)}` : undefined;
}

async function openMany(
  task: Task,
  count: number,
  concurrency: number,
  auth = false,
  prepare?: (client: BenchClient) => Promise<void>,
): Promise<BenchClient[]> {
  const clients: BenchClient[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      const client = await connect(task.protocol, task.urls[index % task.urls.length], { auth, localAddress: nextLocalAddress(task) });
      await prepare?.(client);
      clients[index] = client;
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
  const window = { measuring: false };
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
      if (window.measuring && sentAt !== undefined) {
        calls++;
        latencies.push(performance.now() - sentAt);
      }
      if (!stopped) send(client);
    };
  }
  for (const client of clients) for (let slot = 0; slot < depth; slot++) send(client);
  const { elapsedMs, loadgenCpuPct } = await measuredWindow(window, warmupMs, measureMs, mark, prefix);
  stopped = true;
  await drained(() => started.size === 0);
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
  const publisher = await connect(task.protocol, task.urls[0], { localAddress: nextLocalAddress(task) });
  return { publisher, subscribers };
}

/**
 * A closed loop of events `{ s: seq }`: up to `inFlight` in flight, `publish(seq)` sends the next
 * once an earlier one has reached `recipients` subscribers. `measure` runs the measured window,
 * then stops publishing and waits for what is in flight; the counts are read after it.
 */
function closedLoop(subscribers: readonly BenchClient[], recipients: number, inFlight: number, publish: (seq: number) => void) {
  const received = new Map<number, number>();
  const window = { measuring: false };
  let stopped = false;
  const loop = { published: 0, completed: 0, completedMeasured: 0, deliveries: 0, measure };
  const pump = (): void => {
    while (!stopped && loop.published - loop.completed < inFlight) publish(loop.published++);
  };
  for (const subscriber of subscribers) {
    subscriber.onEvent = (event) => {
      const seq = (event as { s: number }).s;
      const count = (received.get(seq) ?? 0) + 1;
      if (window.measuring) loop.deliveries++;
      if (count === recipients) {
        received.delete(seq);
        loop.completed++;
        if (window.measuring) loop.completedMeasured++;
        pump();
      } else {
        received.set(seq, count);
      }
    };
  }
  async function measure(task: { warmupMs: number; measureMs: number }, mark: Mark): Promise<{ elapsedMs: number; loadgenCpuPct: number }> {
    pump();
    const result = await measuredWindow(window, task.warmupMs, task.measureMs, mark);
    stopped = true;
    await drained(() => loop.completed >= loop.published);
    return result;
  }
  return loop;
}

/** Closed loop: up to `window` events in flight; the next is published when one reached every subscriber. */
async function fanout(task: Extract<Task, { scenario: 'fanout' }>, mark: Mark): Promise<Record<string, number>> {
  const { publisher, subscribers } = await subscribed(task, task.subscribers);
  const loop = closedLoop(subscribers, subscribers.length, task.window, (seq) => publisher.publish({ s: seq }));
  const { elapsedMs, loadgenCpuPct } = await loop.measure(task, mark);
  await closeAll([publisher, ...subscribers]);
  return { deliveries: loop.deliveries, deliveriesPerSec: (loop.deliveries * 1000) / elapsedMs, events: loop.completed, loadgenCpuPct };
}

/** Open loop: `rate` events per second; each carries its send time, and every delivery's latency is recorded. */
async function paced(task: Extract<Task, { scenario: 'paced' }>, mark: Mark): Promise<Record<string, number>> {
  const { publisher, subscribers } = await subscribed(task, task.subscribers);
  const latencies: number[] = [];
  const window = { measuring: false };
  for (const subscriber of subscribers) {
    subscriber.onEvent = (event) => {
      if (window.measuring) latencies.push(performance.now() - (event as { t: number }).t);
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
  const { loadgenCpuPct } = await measuredWindow(window, task.warmupMs, task.measureMs, mark);
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
  // At the limits: every session defines `prefixes` CURI prefixes and joins the same `subscriptions` rooms.
  const topics = Array.from({ length: task.subscriptions ?? 0 }, (_, index) => `${ROOM_PREFIX}${index}`);
  const prepare =
    task.prefixes || topics.length > 0
      ? async (client: BenchClient) => {
          if (task.prefixes) client.definePrefixes(task.prefixes);
          if (topics.length > 0) await client.subscribe(topics);
          else await client.sync();
        }
      : undefined;
  if (task.memory) await mark('memory-none', true);
  const clients = await openMany(task, task.from, task.concurrency, task.auth, prepare);
  await sleep(200);
  if (task.memory) await mark('memory-0', true);
  const steps = task.memory ? CONNS_STEPS : 1;
  const step = Math.ceil((task.to - task.from) / steps);
  let connectMs = 0;
  for (let index = 1; index <= steps; index++) {
    const count = Math.min(step, task.to - clients.length);
    await mark(`connect-${index}-start`);
    const started = performance.now();
    clients.push(...(await openMany(task, count, task.concurrency, task.auth, prepare)));
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

/**
 * Chat rooms: `rooms` topics of `perRoom` subscribers each, over `connections` subscriber
 * connections; `publishers` other connections publish to the rooms in turn, closed loop with
 * `window` events in flight (the next is published when one reached all of its room).
 */
async function rooms(task: Extract<Task, { scenario: 'rooms' }>, mark: Mark): Promise<Record<string, number>> {
  const subscribers = await openMany(task, task.connections, 50);
  // Room r's members are the connections r·perRoom … r·perRoom + perRoom − 1 (mod connections): distinct, and every
  // connection in the same number of rooms (±1).
  const roomsOf: string[][] = subscribers.map(() => []);
  for (let room = 0; room < task.rooms; room++) {
    for (let member = 0; member < task.perRoom; member++)
      roomsOf[(room * task.perRoom + member) % task.connections].push(`${ROOM_PREFIX}${room}`);
  }
  let joinNext = 0;
  await Promise.all(
    Array.from({ length: Math.min(50, subscribers.length) }, async () => {
      while (joinNext < subscribers.length) {
        const index = joinNext++;
        await subscribers[index].subscribe(roomsOf[index]);
      }
    }),
  );
  const publishers = await openMany(task, task.publishers, task.publishers);
  const loop = closedLoop(subscribers, task.perRoom, task.window, (seq) =>
    publishers[seq % publishers.length].publish({ s: seq }, `${ROOM_PREFIX}${seq % task.rooms}`),
  );
  const { elapsedMs, loadgenCpuPct } = await loop.measure(task, mark);
  await closeAll([...publishers, ...subscribers]);
  return {
    deliveries: loop.deliveries,
    deliveriesPerSec: (loop.deliveries * 1000) / elapsedMs,
    publishesPerSec: (loop.completedMeasured * 1000) / elapsedMs,
    loadgenCpuPct,
  };
}

/**
 * Subscribe and publish against `rules` prefix patterns (the peer's topic rules and permission
 * map), each over its own window: every connection subscribes to `batch` topics under the middle
 * pattern and unsubscribes from them, then round-trips, in a loop (`subscribe-start` …
 * `subscribe-end`); then every connection, subscribed to a topic of its own under that pattern,
 * publishes `batch` events to it and waits until they came back (`publish-start` … `publish-end`).
 */
async function rules(task: Extract<Task, { scenario: 'rules' }>, mark: Mark): Promise<Record<string, number>> {
  const clients = await openMany(task, task.connections, task.connections, true);
  const loop = async (
    name: 'subscribe' | 'publish',
    plural: string,
    batchOf: (client: BenchClient, index: number) => Promise<void>,
  ): Promise<Record<string, number>> => {
    const window = { measuring: false };
    let stopped = false;
    let operations = 0;
    const workers = clients.map(async (client, index) => {
      while (!stopped) {
        await batchOf(client, index);
        if (window.measuring) operations += task.batch;
      }
    });
    const { elapsedMs } = await measuredWindow(window, task.warmupMs, task.measureMs, mark, `${name}-`);
    stopped = true;
    await Promise.all(workers);
    return { [plural]: operations, [`${plural}PerSec`]: (operations * 1000) / elapsedMs };
  };
  const topicsOf = clients.map((_, index) => Array.from({ length: task.batch }, (__, k) => ruleTopic(task.rules, `c${index}-t${k}`)));
  const subscribing = await loop('subscribe', 'subscribes', async (client, index) => {
    await client.subscribe(topicsOf[index]);
    for (const topic of topicsOf[index]) client.unsubscribe(topic);
  });
  const feeds = clients.map((_, index) => ruleTopic(task.rules, `feed-${index}`));
  await Promise.all(clients.map((client, index) => client.subscribe([feeds[index]])));
  const publishing = await loop(
    'publish',
    'publishes',
    (client, index) =>
      new Promise<void>((resolve) => {
        let back = 0;
        client.onEvent = () => {
          if (++back === task.batch) resolve();
        };
        for (let k = 0; k < task.batch; k++) client.publish(k, feeds[index]);
      }),
  );
  await closeAll(clients);
  return { ...subscribing, ...publishing };
}
