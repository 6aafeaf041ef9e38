import { Redis, type RedisOptions } from 'ioredis';
import { errorMessage } from '../core/errors.js';
import type { NodeAddress } from './backplane-wire.js';
import { SLOT_COUNT } from './key-slot.js';

/** A CLUSTER SLOTS reply: ranges of slots, each with its master first. */
type SlotsReply = Array<[number, number, ...Array<[string, number, ...unknown[]]>]>;

/**
 * Which master of a Redis Cluster serves each slot, from CLUSTER SLOTS: asked of a node the caller
 * is connected to, or else of a seed or a known master on a short-lived connection, with bounded
 * waits. What it holds is the last map that a node gave.
 */
export class ClusterTopology {
  private owners: Array<string | undefined> = new Array<string | undefined>(SLOT_COUNT);
  private nodes = new Map<string, NodeAddress>();
  private signature = '';

  constructor(
    private readonly seeds: readonly NodeAddress[],
    private readonly redisOptions: RedisOptions,
    private readonly timeoutMs: number,
  ) {}

  /** Whether a map was read yet. */
  get known(): boolean {
    return this.nodes.size > 0;
  }

  /** The masters that serve slots, by key. */
  masters(): ReadonlyMap<string, NodeAddress> {
    return this.nodes;
  }

  /** The key of the master serving `slot`, if any does. */
  ownerOf(slot: number): string | undefined {
    return this.owners[slot];
  }

  /**
   * Reads the map again: from the first of `connected` (connections to masters, ready now) that
   * answers, else from the seeds and known masters one by one. Resolves with whether it changed;
   * rejects with the last error when no node answered.
   */
  async refresh(connected: readonly Redis[]): Promise<boolean> {
    let lastError: unknown = new Error('no cluster node to ask');
    for (const connection of connected) {
      try {
        return this.update(await within<SlotsReply>(connection.cluster('SLOTS'), this.timeoutMs), connection.options.host);
      } catch (error) {
        lastError = error;
      }
    }
    const candidates = new Map([...this.nodes, ...this.seeds.map((seed) => [seed.key, seed] as const)]);
    for (const node of candidates.values()) {
      const probe = new Redis({
        ...this.redisOptions,
        host: node.host,
        port: node.port,
        lazyConnect: true,
        connectTimeout: this.timeoutMs,
        commandTimeout: this.timeoutMs,
        maxRetriesPerRequest: 0,
        enableOfflineQueue: true,
        retryStrategy: () => null,
      });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        return this.update(await probe.cluster('SLOTS'), node.host);
      } catch (error) {
        lastError = error;
      } finally {
        probe.disconnect();
      }
    }
    throw new Error(errorMessage(lastError));
  }

  private update(reply: SlotsReply, askedHost: string | undefined): boolean {
    const owners = new Array<string | undefined>(SLOT_COUNT);
    const nodes = new Map<string, NodeAddress>();
    for (const [start, end, master] of reply) {
      if (!master) continue;
      // A node that does not know its own address gives '' or '?': it is the one asked.
      const host = master[0] === '' || master[0] === '?' ? (askedHost ?? '127.0.0.1') : master[0];
      const node = { host, port: Number(master[1]), key: `${host}:${Number(master[1])}` };
      nodes.set(node.key, node);
      for (let slot = start; slot <= end; slot++) owners[slot] = node.key;
    }
    const signature = reply
      .map(([start, end, master]) => `${start}-${end}@${master?.[0]}:${master?.[1]}`)
      .sort()
      .join(',');
    const changed = signature !== this.signature;
    this.owners = owners;
    this.nodes = nodes;
    this.signature = signature;
    return changed;
  }
}

/** A reply, or a rejection once `timeoutMs` passed (a node that hangs must not hold a refresh up). */
function within<T>(reply: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([reply, timeout]).finally(() => clearTimeout(timer));
}
