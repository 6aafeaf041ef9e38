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

/** What `RedisClusterServers.start` may add to the masters. */
export interface RedisClusterShape {
  /** Replicas of each master (CLUSTER REPLICATE), in sync before `start` resolves. Default 0. */
  readonly replicas?: number;
}

/** A CLUSTER SLOTS reply: ranges of slots, each with its master first, then its replicas. */
type SlotsReply = Array<[number, number, ...Array<[string, number, string?]>]>;

/**
 * A Redis Cluster of the test's own: `masters` redis-servers on spare ports, each with a temporary
 * directory, the 16384 slots split evenly between them (CLUSTER ADDSLOTSRANGE, MEET, as
 * `redis-cli --cluster create` does), and `replicas` replicas of each master if asked (indexes
 * `masters` and up: the replicas of master 0 first), ready once every node says
 * `cluster_state:ok`, serves every slot and knows every master and replica. A node can be killed,
 * paused and started again (it keeps its slots, from its nodes.conf); a replica can take over its
 * master (`failover`), and a slot can move to another master (`moveSlot`). `destroy` kills
 * everything and removes the directories.
 */
export class RedisClusterServers {
  private constructor(
    private readonly nodes: ClusterNodeProcess[],
    private readonly masters: number,
    private readonly replicas: number,
  ) {}

  static async start(masters = 3, { replicas = 0 }: RedisClusterShape = {}): Promise<RedisClusterServers> {
    if (!existsSync(REDIS_SERVER)) throw new Error(`no redis-server at ${REDIS_SERVER} (set REDIS_SERVER_BIN)`);
    const nodes: ClusterNodeProcess[] = [];
    for (let n = 0; n < masters * (1 + replicas); n++) {
      nodes.push({ port: await freePort(), busPort: await freePort(), dir: mkdtempSync(join(tmpdir(), 'nest-wamp-cluster-')) });
    }
    const cluster = new RedisClusterServers(nodes, masters, replicas);
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

  /** Waits until `count` clients subscribed `channel` on the node at `index` (PUBSUB SHARDNUMSUB there). */
  async untilShardSubscribers(index: number, channel: string, count: number, timeoutMs = 5000): Promise<void> {
    const node = this.connect(index);
    try {
      await until(
        async () => Number(((await node.call('PUBSUB', 'SHARDNUMSUB', channel)) as [string, number])[1]) === count,
        `${count} shard subscribers of ${channel} on ${this.key(index)}`,
        timeoutMs,
      );
    } finally {
      node.disconnect();
    }
  }

  /** Which node serves `slot` (its master), by index. */
  async ownerOf(slot: number): Promise<number> {
    return (await this.servingNodes(slot))[0];
  }

  /** The master of `slot` first, then its replicas, by index (CLUSTER SLOTS of a running node). */
  async servingNodes(slot: number): Promise<number[]> {
    const admin = this.connect(this.firstRunning());
    try {
      const ranges = (await admin.cluster('SLOTS')) as unknown as SlotsReply;
      const range = ranges.find(([start, end]) => slot >= start && slot <= end);
      if (!range) throw new Error(`no node serves slot ${slot}`);
      const [, , ...nodes] = range;
      return nodes.map(([, port]) => this.indexOfPort(Number(port)));
    } finally {
      admin.disconnect();
    }
  }

  /**
   * A manual failover of the master of `slot`: CLUSTER FAILOVER sent to its first replica, which
   * waits for the replication offsets to match and then takes the master's slots (the master
   * becomes its replica). Resolves with the new master's index once every node serves the slot
   * from it.
   */
  async failover(slot: number): Promise<number> {
    const [master, replica] = await this.servingNodes(slot);
    if (replica === undefined) throw new Error(`the master of slot ${slot} (${this.key(master)}) has no replica`);
    const admin = this.connect(replica);
    try {
      await admin.cluster('FAILOVER');
    } finally {
      admin.disconnect();
    }
    await this.waitUntilServedBy(slot, replica, true);
    return replica;
  }

  /**
   * Moves `slot` from its master to the master at `target`, as `redis-cli --cluster reshard` does:
   * CLUSTER SETSLOT IMPORTING on the target and MIGRATING on the source, the slot's keys moved
   * with MIGRATE, then SETSLOT NODE on the target, the source and the other masters. Resolves once
   * every node serves the slot from the target.
   */
  async moveSlot(slot: number, target: number): Promise<void> {
    const source = await this.ownerOf(slot);
    if (source === target) return;
    const [from, to] = [this.connect(source), this.connect(target)];
    try {
      const [sourceId, targetId] = await Promise.all([from.cluster('MYID'), to.cluster('MYID')]);
      await to.call('CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', sourceId);
      await from.call('CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', targetId);
      for (let round = 0; round < 1000; round++) {
        const keys = (await from.call('CLUSTER', 'GETKEYSINSLOT', String(slot), '100')) as string[];
        if (keys.length === 0) break;
        await from.call('MIGRATE', '127.0.0.1', String(this.port(target)), '', '0', '5000', 'KEYS', ...keys);
      }
      await to.call('CLUSTER', 'SETSLOT', String(slot), 'NODE', targetId);
      await from.call('CLUSTER', 'SETSLOT', String(slot), 'NODE', targetId);
      for (const other of await this.masterIndexes()) {
        if (other === source || other === target) continue;
        const client = this.connect(other);
        try {
          await client.call('CLUSTER', 'SETSLOT', String(slot), 'NODE', targetId);
        } finally {
          client.disconnect();
        }
      }
    } finally {
      from.disconnect();
      to.disconnect();
    }
    await this.waitUntilServedBy(slot, target, false);
  }

  /** The indexes of the nodes that are masters of some slots now. */
  async masterIndexes(): Promise<number[]> {
    const admin = this.connect(this.firstRunning());
    try {
      const ranges = (await admin.cluster('SLOTS')) as unknown as SlotsReply;
      return [...new Set(ranges.map(([, , [, port]]) => this.indexOfPort(Number(port))))];
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
      // A replica's first sync at once (the default waits 5 s for more replicas).
      '--repl-diskless-sync-delay',
      '0',
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

  /**
   * Waits until every node says `cluster_state:ok` and serves the full slot map, from every
   * master, each with its replicas, and every replica's link to its master is up.
   */
  async waitUntilOk(timeoutMs = 15_000): Promise<void> {
    await until(
      async () => {
        for (let index = 0; index < this.nodes.length; index++) {
          const client = this.connect(index);
          try {
            const info = await client.cluster('INFO');
            const ranges = (await client.cluster('SLOTS')) as unknown as SlotsReply;
            const slots = ranges.reduce((sum, [start, end]) => sum + end - start + 1, 0);
            const masters = new Set(ranges.map(([, , [, port]]) => port));
            const replicated = ranges.every((range) => range.length === 3 + this.replicas);
            if (!info.includes('cluster_state:ok') || slots !== 16384 || masters.size !== this.masters || !replicated) return false;
            const replication = await client.info('replication');
            if (replication.includes('role:slave') && !replication.includes('master_link_status:up')) return false;
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

  /** Waits until every running node serves `slot` from the node at `owner` (and, if `replicated`, that it has its replicas). */
  private async waitUntilServedBy(slot: number, owner: number, replicated: boolean, timeoutMs = 10_000): Promise<void> {
    await until(
      async () => {
        for (let index = 0; index < this.nodes.length; index++) {
          if (!this.running(index)) continue;
          const client = this.connect(index);
          try {
            const ranges = (await client.cluster('SLOTS')) as unknown as SlotsReply;
            const range = ranges.find(([start, end]) => slot >= start && slot <= end);
            if (!range || Number(range[2][1]) !== this.port(owner)) return false;
            if (replicated && range.length !== 3 + this.replicas) return false;
          } catch {
            return false;
          } finally {
            client.disconnect();
          }
        }
        return true;
      },
      `every node to serve slot ${slot} from ${this.key(owner)}`,
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

  private running(index: number): boolean {
    const child = this.nodes[index].process;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  private firstRunning(): number {
    const index = this.nodes.findIndex((_, n) => this.running(n));
    if (index === -1) throw new Error('no node of the cluster runs');
    return index;
  }

  private indexOfPort(port: number): number {
    const index = this.nodes.findIndex((node) => node.port === port);
    if (index === -1) throw new Error(`no node of this cluster has port ${port}`);
    return index;
  }

  /**
   * Slots split evenly between the masters, epochs set, every node met, each replica told its
   * master: what `redis-cli --cluster create --cluster-replicas <replicas>` does.
   */
  private async form(): Promise<void> {
    const clients = this.nodes.map((_, index) => this.connect(index));
    try {
      const share = Math.ceil(16384 / this.masters);
      await Promise.all(
        clients.map(async (client, index) => {
          if (index < this.masters) {
            await client.call('CLUSTER', 'ADDSLOTSRANGE', String(index * share), String(Math.min(16383, (index + 1) * share - 1)));
          }
          await client.call('CLUSTER', 'SET-CONFIG-EPOCH', String(index + 1));
        }),
      );
      for (const node of this.nodes.slice(1)) {
        await clients[0].call('CLUSTER', 'MEET', '127.0.0.1', String(node.port), String(node.busPort));
      }
      if (this.replicas > 0) {
        const ids = await Promise.all(clients.slice(0, this.masters).map((client) => client.cluster('MYID')));
        for (let index = this.masters; index < this.nodes.length; index++) {
          const master = ids[Math.floor((index - this.masters) / this.replicas)];
          // The replica must know its master first (MEET spreads by gossip).
          await until(
            async () => ((await clients[index].cluster('NODES')) as string).includes(master),
            `${this.key(index)} to know its master`,
            10_000,
          );
          await clients[index].call('CLUSTER', 'REPLICATE', master);
        }
      }
    } finally {
      for (const client of clients) client.disconnect();
    }
    await this.waitUntilOk();
  }
}
