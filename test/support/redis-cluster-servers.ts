// A Redis Cluster started from the machine's redis-server, for the tests and the benchmark suite
// (no Jest in here: bench/ imports it).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';
import { REDIS_SERVER, redisAnswers } from './redis-server.js';
import { until } from './until.js';

/** One redis-server of the cluster: its client port, its cluster bus port, its directory (nodes.conf). */
interface ClusterNodeProcess {
  readonly port: number;
  readonly busPort: number;
  readonly dir: string;
  process?: ChildProcess;
}

/**
 * A Redis Cluster of the test's own: `masters` redis-servers on spare ports (no replicas), each
 * with a temporary directory, the 16384 slots split evenly between them (CLUSTER ADDSLOTSRANGE,
 * MEET, as `redis-cli --cluster create` does), ready once every node says `cluster_state:ok` and
 * knows every master. A node can be killed, paused and started again (it keeps its slots, from
 * its nodes.conf). `destroy` kills everything and removes the directories.
 */
export class RedisClusterServers {
  private constructor(private readonly nodes: ClusterNodeProcess[]) {}

  static async start(masters = 3): Promise<RedisClusterServers> {
    if (!existsSync(REDIS_SERVER)) throw new Error(`no redis-server at ${REDIS_SERVER} (set REDIS_SERVER_BIN)`);
    const nodes: ClusterNodeProcess[] = [];
    for (let n = 0; n < masters; n++) {
      nodes.push({ port: await freePort(), busPort: await freePort(), dir: mkdtempSync(join(tmpdir(), 'nest-wamp-cluster-')) });
    }
    const cluster = new RedisClusterServers(nodes);
    try {
      await Promise.all(nodes.map((_, index) => cluster.startNode(index)));
      await cluster.form();
      return cluster;
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
  }

  /** The nodes as the backplane's `cluster.nodes` takes them. */
  get seeds(): Array<{ host: string; port: number }> {
    return this.nodes.map(({ port }) => ({ host: '127.0.0.1', port }));
  }

  /** The client port of the node at `index`. */
  port(index: number): number {
    return this.nodes[index].port;
  }

  /** The `host:port` key of the node at `index`, as the backplane names nodes. */
  key(index: number): string {
    return `127.0.0.1:${this.nodes[index].port}`;
  }

  /** A plain connection to one node (the caller disconnects it). */
  connect(index: number): Redis {
    const client = new Redis({ host: '127.0.0.1', port: this.nodes[index].port, maxRetriesPerRequest: 1 });
    client.on('error', () => undefined);
    return client;
  }

  /** Which node serves `slot`, by index. */
  async ownerOf(slot: number): Promise<number> {
    const admin = this.connect(this.firstRunning());
    try {
      const ranges = (await admin.cluster('SLOTS')) as unknown as Array<[number, number, [string, number]]>;
      const range = ranges.find(([start, end]) => slot >= start && slot <= end);
      if (!range) throw new Error(`no node serves slot ${slot}`);
      return this.nodes.findIndex(({ port }) => port === Number(range[2][1]));
    } finally {
      admin.disconnect();
    }
  }

  /** The slot Redis computes for a key or channel (CLUSTER KEYSLOT). */
  async keySlot(key: string): Promise<number> {
    const admin = this.connect(this.firstRunning());
    try {
      return await admin.cluster('KEYSLOT', key);
    } finally {
      admin.disconnect();
    }
  }

  /** Starts (or restarts) the node at `index` on its port, with its directory. */
  async startNode(index: number): Promise<void> {
    const node = this.nodes[index];
    if (node.process && node.process.exitCode === null && node.process.signalCode === null) return;
    // The node keeps the cluster in its nodes.conf; no persistence of data.
    const args = [
      '--port',
      String(node.port),
      '--cluster-port',
      String(node.busPort),
      '--bind',
      '127.0.0.1',
      '--dir',
      node.dir,
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      'nodes.conf',
      '--cluster-node-timeout',
      '1000',
      '--save',
      '',
      '--appendonly',
      'no',
    ];
    const child = spawn(REDIS_SERVER, args, { stdio: 'ignore' });
    node.process = child;
    await until(
      async () => {
        if (child.exitCode !== null) throw new Error(`redis-server on port ${node.port} exited (${child.exitCode})`);
        return redisAnswers(`redis://127.0.0.1:${node.port}`);
      },
      `redis-server on port ${node.port} to start`,
      10_000,
    );
  }

  /** Kills the node at `index` (SIGKILL): its connections close, as with a crash. */
  async killNode(index: number): Promise<void> {
    const child = this.nodes[index].process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** Freezes the node at `index` (SIGSTOP): its connections stay up and nothing is answered. */
  pauseNode(index: number): void {
    this.nodes[index].process?.kill('SIGSTOP');
  }

  resumeNode(index: number): void {
    const child = this.nodes[index].process;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGCONT');
  }

  /** Waits until every node says `cluster_state:ok` and serves the full slot map. */
  async waitUntilOk(timeoutMs = 15_000): Promise<void> {
    await until(
      async () => {
        for (let index = 0; index < this.nodes.length; index++) {
          const client = this.connect(index);
          try {
            const info = await client.cluster('INFO');
            const ranges = (await client.cluster('SLOTS')) as unknown[];
            if (!info.includes('cluster_state:ok') || ranges.length !== this.nodes.length) return false;
          } catch {
            return false;
          } finally {
            client.disconnect();
          }
        }
        return true;
      },
      'the Redis Cluster to be ok',
      timeoutMs,
    );
  }

  /** Kills every node and removes their directories (twice is fine). */
  async destroy(): Promise<void> {
    await Promise.all(
      this.nodes.map(async (node, index) => {
        this.resumeNode(index);
        await this.killNode(index);
        rmSync(node.dir, { recursive: true, force: true });
      }),
    );
  }

  private firstRunning(): number {
    const index = this.nodes.findIndex(({ process: child }) => child && child.exitCode === null && child.signalCode === null);
    if (index === -1) throw new Error('no node of the cluster runs');
    return index;
  }

  /** Slots split evenly, epochs set, every node met: what `redis-cli --cluster create --cluster-replicas 0` does. */
  private async form(): Promise<void> {
    const clients = this.nodes.map((_, index) => this.connect(index));
    try {
      const share = Math.ceil(16384 / this.nodes.length);
      await Promise.all(
        clients.map(async (client, index) => {
          await client.call('CLUSTER', 'ADDSLOTSRANGE', String(index * share), String(Math.min(16383, (index + 1) * share - 1)));
          await client.call('CLUSTER', 'SET-CONFIG-EPOCH', String(index + 1));
        }),
      );
      for (const node of this.nodes.slice(1)) {
        await clients[0].call('CLUSTER', 'MEET', '127.0.0.1', String(node.port), String(node.busPort));
      }
    } finally {
      for (const client of clients) client.disconnect();
    }
    await this.waitUntilOk();
  }
}
