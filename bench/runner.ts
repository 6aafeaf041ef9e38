import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CONNS_STEPS } from './loadgen/scenarios.js';
import type { LoadgenMessage, LoadResult, OrchestratorMessage, Task } from './loadgen/task.js';
import type { Entry } from './plan.js';
import { cpuMs, rssKb } from './proc-stats.js';
import type { PeerMessage, PeerSettings } from './protocol.js';

const PEER_MAIN = fileURLToPath(new URL('./peers/main.js', import.meta.url));
const LOADGEN_MAIN = fileURLToPath(new URL('./loadgen/main.js', import.meta.url));

/** The server side at one mark: CPU used so far and resident memory, summed over the peer processes. */
interface Sample {
  readonly cpuMs: number;
  readonly rssKb: number;
  /** V8 heap in use after a GC (only when the mark asked for one). */
  readonly heapKb: number;
  readonly at: number;
}

/** One run of one entry: the load generator's figures plus what the orchestrator measured on the server. */
export interface Measurement {
  readonly scenario: string;
  readonly label: string;
  /** The scale scenarios' size (sessions, subscribers, rooms or rules). */
  readonly size?: number;
  readonly round: number;
  readonly figures: Record<string, number>;
}

/** Starts a node script, pinned to a core when asked, with an IPC channel. */
function startNode(script: string, argument: string, core: number | undefined, extraArgs: string[] = []): ChildProcess {
  const node = [process.execPath, ...extraArgs, script, argument];
  const [command, ...args] = core === undefined ? node : ['taskset', '-c', String(core), ...node];
  return spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function once<T>(child: ChildProcess, accept: (message: unknown) => T | undefined, what: string, timeoutMs = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`timed out waiting for ${what}`)), timeoutMs);
    const onMessage = (message: unknown) => {
      let value: T | undefined;
      try {
        value = accept(message);
      } catch (error) {
        return fail(error as Error);
      }
      if (value === undefined) return;
      cleanup();
      resolve(value);
    };
    const onExit = (code: number | null) => fail(new Error(`process exited (${code}) while waiting for ${what}`));
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const fail = (error: Error) => {
      cleanup();
      reject(error);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

async function startPeer(
  settings: PeerSettings,
  pinned: boolean,
  nodeArgs: readonly string[] = [],
): Promise<{ process: ChildProcess; port: number }> {
  const child = startNode(PEER_MAIN, JSON.stringify(settings), pinned ? 0 : undefined, ['--expose-gc', ...nodeArgs]);
  const port = await once(
    child,
    (message) => ((message as PeerMessage).type === 'ready' ? (message as { port: number }).port : undefined),
    `${settings.peer} to start`,
  );
  return { process: child, port };
}

function urlOf(settings: PeerSettings, port: number): string {
  return settings.peer.startsWith('nest-wamp') ? `ws://127.0.0.1:${port}/ws` : `ws://127.0.0.1:${port}/`;
}

/** Stops a process; a peer that profiles gets SIGTERM, so that it exits normally and writes its profile. */
async function stop(child: ChildProcess, graceful = false): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(graceful ? 'SIGTERM' : 'SIGKILL');
  const timer = graceful ? setTimeout(() => child.kill('SIGKILL'), 10_000) : undefined;
  await exited;
  clearTimeout(timer);
}

/** Runs one entry: starts its peers, runs the load generator(s), samples the server at each mark. */
export async function runEntry(entry: Entry, round: number): Promise<Measurement> {
  const pinned = entry.pinned ?? true;
  const peers: Array<{ process: ChildProcess; port: number }> = [];
  try {
    for (const settings of entry.peers) peers.push(await startPeer(settings, pinned, entry.peerNodeArgs));
    const urls = entry.peers.map((settings, index) => urlOf(settings, peers[index].port));
    const samples = new Map<string, Sample>();
    const sample = async (gc: boolean): Promise<Sample> => {
      let heapKb = Number.NaN;
      if (gc) {
        const memories = await Promise.all(
          peers.map(({ process: child }) => {
            const done = once(
              child,
              (message) => ((message as PeerMessage).type === 'gc-done' ? (message as { memory: NodeJS.MemoryUsage }).memory : undefined),
              'a GC',
            );
            child.send({ type: 'gc' });
            return done;
          }),
        );
        heapKb = memories.reduce((sum, memory) => sum + memory.heapUsed / 1024, 0);
      }
      const pids = peers.map(({ process: child }) => child.pid!);
      return {
        cpuMs: pids.reduce((sum, pid) => sum + cpuMs(pid), 0),
        rssKb: pids.reduce((sum, pid) => sum + rssKb(pid), 0),
        heapKb,
        at: performance.now(),
      };
    };
    const generators = entry.generators ?? 1;
    const results = await Promise.all(
      Array.from({ length: generators }, (_, index) => runGenerator(entry, urls, generators, index, pinned, sample, samples)),
    );
    return { scenario: entry.scenario, label: entry.label, size: entry.size, round, figures: derive(entry, results, samples) };
  } finally {
    const profiling = entry.peerNodeArgs?.includes('--cpu-prof') ?? false;
    await Promise.all(peers.map(({ process: child }) => stop(child, profiling)));
  }
}

async function runGenerator(
  entry: Entry,
  urls: string[],
  generators: number,
  index: number,
  pinned: boolean,
  sample: (gc: boolean) => Promise<Sample>,
  samples: Map<string, Sample>,
): Promise<LoadResult> {
  const task = { ...entry.task, protocol: entry.protocol, urls } as Task;
  const share = task.scenario === 'rpc' ? { ...task, connections: Math.ceil(task.connections / generators) } : task;
  const child = startNode(LOADGEN_MAIN, JSON.stringify(share), pinned ? 1 : undefined);
  try {
    child.on('message', (message: LoadgenMessage) => {
      if (message.type !== 'mark') return;
      void (async () => {
        // With several generators the server is sampled at the first one's marks.
        if (index === 0) samples.set(message.name, await sample(message.gc ?? false));
        child.send({ type: 'marked', name: message.name } satisfies OrchestratorMessage);
      })();
    });
    return await once(
      child,
      (message) => {
        const typed = message as LoadgenMessage;
        if (typed.type === 'failed') throw new Error(`load generator failed: ${typed.error}`);
        return typed.type === 'result' ? typed.result : undefined;
      },
      `${entry.scenario} ${entry.label}`,
      // The scale scenarios' largest sizes set up tens of thousands of sessions or a million subscriptions.
      900_000,
    );
  } finally {
    await stop(child);
  }
}

/** Adds the server-side figures (CPU per call or connect, RSS per session, CPU load) to the generator's. */
function derive(entry: Entry, results: LoadResult[], samples: Map<string, Sample>): Record<string, number> {
  const figures: Record<string, number> = { ...results[0].figures };
  if (results.length > 1) {
    for (const key of ['calls', 'callsPerSec']) figures[key] = results.reduce((sum, result) => sum + result.figures[key], 0);
  }
  const window = (from: string, to: string) => {
    const start = samples.get(from);
    const end = samples.get(to);
    return start && end
      ? { cpuMs: end.cpuMs - start.cpuMs, wallMs: end.at - start.at, rssKb: end.rssKb - start.rssKb, heapKb: end.heapKb - start.heapKb }
      : undefined;
  };
  const measured = window('measure-start', 'measure-end');
  if (measured) {
    figures.serverCpuPct = (measured.cpuMs / measured.wallMs) * 100;
    if (figures.calls) figures.serverCpuUsPerCall = (measured.cpuMs * 1000) / figures.calls;
    if (figures.deliveries) figures.serverCpuUsPerDelivery = (measured.cpuMs * 1000) / figures.deliveries;
  }
  if (entry.task.scenario === 'conns') {
    const { from, to, memory } = entry.task;
    const steps = memory ? CONNS_STEPS : 1;
    const step = Math.ceil((to - from) / steps);
    let connectCpuMs = 0;
    const points: Array<{ sessions: number; rssKb: number; heapKb: number }> = [];
    for (let index = 0; index <= steps; index++) {
      const sampled = samples.get(`memory-${index}`);
      if (sampled) points.push({ sessions: Math.min(from + index * step, to), rssKb: sampled.rssKb, heapKb: sampled.heapKb });
      const connecting = index > 0 ? window(`connect-${index}-start`, `connect-${index}-end`) : undefined;
      if (connecting) connectCpuMs += connecting.cpuMs;
    }
    figures.serverCpuUsPerConnect = (connectCpuMs * 1000) / (to - from);
    if (memory) {
      // RSS moves in pages and the heap keeps free room, so RSS is taken against the process with no
      // session at all, over all `to` sessions; the heap, being exact, is the slope from `from` to `to`.
      const none = samples.get('memory-none');
      const full = points.at(-1);
      if (none && full) figures.rssKbPerSession = (full.rssKb - none.rssKb) / full.sessions;
      figures.heapKbPerSession = slope(points.map((point) => [point.sessions, point.heapKb]));
    }
  }
  if (entry.task.scenario === 'rules') {
    for (const [name, count, key] of [
      ['subscribe', figures.subscribes, 'serverCpuUsPerSubscribe'],
      ['publish', figures.publishes, 'serverCpuUsPerPublish'],
    ] as const) {
      const measuredWindow = window(`${name}-start`, `${name}-end`);
      if (measuredWindow && count) figures[key] = (measuredWindow.cpuMs * 1000) / count;
    }
  }
  if (entry.task.scenario === 'churn') {
    const churning = window('churn-start', 'churn-end');
    if (churning) figures.serverCpuUsPerChurn = (churning.cpuMs * 1000) / entry.task.cycles;
  }
  return figures;
}

/** The least-squares slope of y over x. */
function slope(points: Array<[number, number]>): number {
  const n = points.length;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n;
  const covariance = points.reduce((sum, [x, y]) => sum + (x - meanX) * (y - meanY), 0);
  const variance = points.reduce((sum, [x]) => sum + (x - meanX) ** 2, 0);
  return covariance / variance;
}
