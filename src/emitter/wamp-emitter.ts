import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { encodeEvent } from '../protocol/encode.js';
import type { DeliveryFilter } from '../pubsub/delivery-filter.js';
import {
  channelHead,
  encodeEnvelope,
  encodePayload,
  newOrigin,
  nodeAddress,
  payloadSize,
  type RedisClusterNode,
} from '../redis/backplane-wire.js';

/**
 * Where the emitter publishes: a Redis URL (its own connection), an ioredis client of yours
 * (`Redis`, or `Cluster`), or a Redis Cluster's nodes (its own ioredis `Cluster`).
 */
export type WampEmitterConnection =
  | {
      /** A Redis URL (`redis://host:6379/0`); the emitter opens one connection and `close` closes it. */
      readonly url: string;
      /** Extra ioredis options for that connection. */
      readonly redisOptions?: RedisOptions;
      readonly client?: never;
      readonly cluster?: never;
    }
  | {
      /**
       * An ioredis client of yours: the emitter publishes on it and leaves it open on `close`. A
       * `Cluster` publishes with SPUBLISH, routed to the master of each channel's slot.
       */
      readonly client: Redis | Cluster;
      readonly url?: never;
      readonly redisOptions?: never;
      readonly cluster?: never;
    }
  | {
      /**
       * A Redis Cluster (the apps' `RedisBackplane` has `cluster` too): the emitter opens an
       * ioredis `Cluster` on these nodes (`{ host, port }`, `'host:port'`, `'redis://host:port'`)
       * and publishes with SPUBLISH on the master of each channel's slot; `close` closes it.
       */
      readonly cluster: { readonly nodes: readonly RedisClusterNode[] };
      /** Extra ioredis options for the connection to every node (password, TLS...). */
      readonly redisOptions?: RedisOptions;
      readonly url?: never;
      readonly client?: never;
    };

export type WampEmitterOptions = WampEmitterConnection & {
  /** Prefix of the Redis channels: the `channelPrefix` of the apps' `RedisBackplane`. Default `nest-wamp`. */
  readonly channelPrefix?: string;
  /**
   * Sharded pub/sub (SPUBLISH, Redis 7 or later), for apps whose `RedisBackplane` has `sharded`:
   * the two kinds of channels do not see each other. Always on with a cluster. Default false.
   */
  readonly sharded?: boolean;
  /** Publishes handed to Redis (or waiting for its connection) and not yet answered, at most; more are rejected. Default 1000. */
  readonly maxInFlight?: number;
  /** Bytes of those publishes, at most; more are rejected. Default 8 MiB. */
  readonly maxInFlightBytes?: number;
};

/**
 * Who an event goes to: every subscriber but `exclude`, or only those in `eligible` (`[]`:
 * nobody). Each is a list of session ids or a single id, as for `WampBroker.publish`.
 */
export interface WampEmitterRecipients {
  readonly exclude?: string | readonly string[];
  readonly eligible?: string | readonly string[];
}

/** A publish refused without being sent, because `maxInFlight` or `maxInFlightBytes` publishes are waiting for Redis already. */
export class WampEmitterBusyError extends Error {
  override readonly name = 'WampEmitterBusyError';
}

/** Connection states in which an attempt to connect is under way: a publish waits for its outcome. */
const ATTEMPTING = new Set(['wait', 'connecting', 'connect']);

/**
 * Publishes WAMP events to the subscribers of every nest-wamp instance on a Redis, from any Node
 * process (a worker, a cron job, another service) without Nest: it speaks the `RedisBackplane`'s
 * wire format on its channels, so the instances deliver what it publishes as they deliver each
 * other's events, with the same exclude / eligible rules.
 *
 * Nothing is queued while Redis is away: a publish waits for a connection attempt under way (the
 * first one, say, right after `new WampEmitter`), and is rejected at once while the connection
 * is down between attempts. What waits for Redis is bounded (`maxInFlight`, `maxInFlightBytes`):
 * past the bounds a publish is rejected with `WampEmitterBusyError` instead of buffered.
 */
export class WampEmitter {
  /** What the emitter publishes on: one Redis's connection, or a cluster client. */
  private readonly link: Redis | Cluster;
  private readonly owned: boolean;
  private readonly sharded: boolean;
  private readonly head: string;
  private readonly origin = newOrigin();
  private readonly maxInFlight: number;
  private readonly maxInFlightBytes: number;
  private events = 0;
  private bytes = 0;
  private closed = false;
  /** Publishes waiting for a connection attempt's outcome: told when `close` comes first. */
  private readonly waiting = new Set<(error?: Error) => void>();
  /** The last error the connection reported, to say why a publish could not be sent. */
  private lastError?: Error;

  constructor(options: WampEmitterOptions) {
    const given = [options.url, options.client, options.cluster].filter((option) => option !== undefined).length;
    if (given !== 1) throw new Error('WampEmitter needs exactly one of `url` and `client`, or `cluster` for a Redis Cluster');
    const cluster = options.cluster !== undefined || options.client instanceof Cluster;
    if (cluster && options.sharded === false) {
      throw new Error('WampEmitter: a Redis Cluster takes sharded pub/sub (SPUBLISH); leave `sharded` unset or true');
    }
    this.sharded = cluster || options.sharded === true;
    this.head = channelHead(options.channelPrefix);
    this.maxInFlight = positive(options, 'maxInFlight', 1000);
    this.maxInFlightBytes = positive(options, 'maxInFlightBytes', 8 * 1024 * 1024);
    this.owned = options.client === undefined;
    const connectionOptions: RedisOptions = {
      // Nothing is queued while Redis is away: a command fails at once, and what was sent and not
      // answered fails when the connection drops (no retry, no resend).
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 6), 5000),
      ...options.redisOptions,
    };
    if (options.client) this.link = options.client;
    else if (options.cluster) {
      if (!Array.isArray(options.cluster.nodes) || options.cluster.nodes.length === 0) {
        throw new Error('WampEmitter: `cluster.nodes` must list at least one node of the cluster');
      }
      const nodes = options.cluster.nodes.map((node) => nodeAddress(node, 'WampEmitter'));
      const { retryStrategy: _retry, enableOfflineQueue: _queue, ...nodeOptions } = connectionOptions;
      this.link = new Cluster(
        nodes.map(({ host, port }) => ({ host, port })),
        {
          enableOfflineQueue: false,
          clusterRetryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 6), 5000),
          // The node connections: no retries of their own; the cluster reconnects them.
          redisOptions: nodeOptions,
        },
      );
    } else this.link = new Redis(options.url!, connectionOptions);
    this.link.on('error', this.noteError);
  }

  /** The connection to one Redis (the tests read what ioredis holds on it); a cluster's client otherwise. */
  private get connection(): Redis {
    return this.link as Redis;
  }

  /** Publishes waiting for Redis now, and their bytes. */
  get inFlight(): { readonly events: number; readonly bytes: number } {
    return { events: this.events, bytes: this.bytes };
  }

  /**
   * Sends `event` to the subscribers of `topic` (a full URI: there are no CURIs here) on every
   * instance: all of them, all but `exclude`, or only those in `eligible`. Resolves, once Redis has
   * taken it, with the number of instances that had subscribers on the topic and so received it
   * (an empty `eligible` reaches nobody and resolves with 0 without sending). Rejects with the
   * connection's error while Redis is unreachable, and with `WampEmitterBusyError` past the
   * in-flight bounds; never buffers beyond them. Throws a TypeError for a caller's mistake (a bad
   * topic or recipients, an event JSON cannot represent).
   */
  publish(topic: string, event: unknown, recipients: WampEmitterRecipients = {}): Promise<number> {
    if (typeof topic !== 'string' || topic === '')
      throw new TypeError(`WampEmitter.publish: topic must be a non-empty URI, got ${describe(topic)}`);
    const filter = deliveryFilter(recipients);
    const frame = encodeEvent(topic, event);
    if (this.closed) return Promise.reject(new Error('WampEmitter is closed'));
    if (filter.eligible?.length === 0) return Promise.resolve(0);
    const envelope = encodeEnvelope(this.origin, filter);
    const size = payloadSize(envelope, frame);
    if (this.events >= this.maxInFlight || this.bytes + size > this.maxInFlightBytes) {
      return Promise.reject(
        new WampEmitterBusyError(
          `WampEmitter: ${this.events} publishes (${this.bytes} bytes) are waiting for Redis; this one (${size} bytes) would pass maxInFlight ${this.maxInFlight} or maxInFlightBytes ${this.maxInFlightBytes}`,
        ),
      );
    }
    this.events++;
    this.bytes += size;
    const channel = this.head + topic;
    const payload = encodePayload(envelope, frame, size);
    return this.ready()
      .then(() => (this.sharded ? (this.link.spublish(channel, payload) as Promise<number>) : this.link.publish(channel, payload)))
      .finally(() => {
        this.events--;
        this.bytes -= size;
      });
  }

  /**
   * Closes the connection the emitter opened (a `client` of yours stays open). Publishes still
   * waiting for Redis are rejected: await those you care about first.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const settle of this.waiting) settle(new Error('WampEmitter is closed'));
    this.waiting.clear();
    this.link.off('error', this.noteError);
    if (this.owned) this.link.disconnect();
  }

  private readonly noteError = (error: Error): void => {
    this.lastError = error;
  };

  /** Resolves when the connection takes commands: at once, after the attempt under way, or never (rejects) while it is down. */
  private ready(): Promise<void> {
    const connection = this.link;
    if (connection.status === 'ready') return Promise.resolve();
    if (!ATTEMPTING.has(connection.status)) return Promise.reject(this.unreachable());
    if (connection.status === 'wait') connection.connect().catch(() => undefined); // lazyConnect
    return new Promise<void>((resolve, reject) => {
      const settle = (error?: Error): void => {
        connection.off('ready', onReady);
        connection.off('close', onClose);
        this.waiting.delete(settle);
        if (error) reject(error);
        else resolve();
      };
      const onReady = (): void => settle();
      const onClose = (): void => settle(this.unreachable());
      connection.once('ready', onReady);
      connection.once('close', onClose);
      this.waiting.add(settle);
    });
  }

  private unreachable(): Error {
    if (this.closed) return new Error('WampEmitter is closed');
    const reason = this.lastError ? `: ${this.lastError.message}` : '';
    return new Error(`WampEmitter: Redis is unreachable (connection ${this.link.status})${reason}`, { cause: this.lastError });
  }
}

function positive(options: WampEmitterOptions, option: 'maxInFlight' | 'maxInFlightBytes', fallback: number): number {
  const value = options[option] ?? fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new Error(`WampEmitter option "${option}" must be a positive whole number; got ${String(options[option])}`);
  }
  return value;
}

/** Lists as they are; a single id as a list of one; anything else is a caller's mistake (`WampBroker.publish`'s rules). */
function deliveryFilter({ exclude, eligible }: WampEmitterRecipients): DeliveryFilter {
  return { exclude: idList(exclude, 'exclude'), eligible: idList(eligible, 'eligible') };
}

function idList(ids: string | readonly string[] | undefined, name: string): readonly string[] | undefined {
  if (ids === undefined || Array.isArray(ids)) return ids as readonly string[] | undefined;
  if (typeof ids === 'string') return [ids];
  throw new TypeError(`WampEmitter.publish: ${name} must be a session id or a list of session ids, got ${describe(ids)}`);
}

function describe(value: unknown): string {
  return value === null ? 'null' : typeof value;
}
