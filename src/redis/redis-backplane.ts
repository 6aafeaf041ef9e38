import { Redis, type RedisOptions } from 'ioredis';
import type { BackplaneMessage, BackplaneSink, WampBackplane } from '../pubsub/backplane.js';
import { errorMessage } from '../core/errors.js';
import type { WampLogger } from '../core/wamp-logger.js';
import {
  channelHead,
  commandOverhead,
  DEFAULT_CHANNEL_PREFIX,
  type BackplaneWireMessage,
  decodePayload,
  encodeEnvelope,
  encodePayload,
  nodeAddress,
  type NodeAddress,
  payloadSize,
  type RedisClusterNode,
} from './backplane-wire.js';
import { ClusterTopology } from './cluster-topology.js';
import { ConnectionWatch } from './connection-watch.js';
import { keySlot } from './key-slot.js';
import { RedisClusterBus } from './redis-cluster-bus.js';
import { type WaitingEvent, WaitingEvents } from './waiting-events.js';
import { ReplayReceiver } from './replay-receiver.js';
import { ReplayStream } from './replay-stream.js';
import { notAClusterProblem, serverProblems } from './server-check.js';

/** A Redis Cluster for the backplane. */
export interface RedisBackplaneClusterOptions {
  /**
   * Some nodes of the cluster (one is enough; list several so that one down does not matter at
   * start): `{ host, port }`, `'host:port'` or `'redis://host:port'`. The backplane reads the slot
   * map from them (CLUSTER SLOTS) and connects to every master. Passwords, TLS and the like go in
   * `redisOptions`, which every node connection uses.
   */
  readonly nodes: readonly RedisClusterNode[];
  /**
   * How often the slot map is read again, to follow failovers and resharding. It is also read at
   * once (at most every 250 ms) when a node connection closes or a node answers MOVED. Default 5000 ms.
   */
  readonly refreshIntervalMs?: number;
}

/**
 * Replay after an outage (`RedisBackplane`'s `replay`): events are also kept for a short while in a
 * Redis Stream, so that the other instances get what was published while they, or Redis, were
 * unreachable. Bounded by age and count; beyond the bounds delivery is at most once, as without it.
 */
export interface RedisBackplaneReplayOptions {
  /**
   * Events older than this are not replayed: neither kept by a publisher for a Redis that does
   * not take commands, nor delivered from the stream to an instance catching up. Default 10000 ms.
   */
  readonly maxAgeMs?: number;
  /**
   * How many events the stream keeps (the last ones of the whole app, every topic together), and
   * how many a publisher keeps while Redis does not take commands (with `maxInFlightBytes` for
   * their bytes); the oldest go first, counted as dropped. Default 10000.
   */
  readonly maxEvents?: number;
}

export interface RedisBackplaneOptions {
  /** A Redis URL (`redis://host:6379/0`); the backplane opens and closes its two connections. */
  readonly url?: string;
  /**
   * A Redis Cluster instead of one Redis (`url` and `client` are for one Redis): topic channels
   * and `WampBroker.cluster`'s channels are shard channels (SPUBLISH, SSUBSCRIBE, Redis 7 or
   * later), each published and subscribed on the master of its slot, over two connections per
   * master. Implies `sharded`.
   */
  readonly cluster?: RedisBackplaneClusterOptions;
  /**
   * Sharded pub/sub (SPUBLISH, SSUBSCRIBE: Redis 7 or later) instead of PUBLISH and SUBSCRIBE, on
   * one Redis (`url`, `client`) or a cluster, where it is always on. Every instance of an app
   * must use the same mode: the two kinds of channels do not see each other. On an older Redis
   * nothing is shared, and a clear error is logged. Default false (true with `cluster`).
   */
  readonly sharded?: boolean;
  /**
   * An ioredis client of the application's: it is used to publish (and left open on close), and
   * a duplicate of it, owned by the backplane, subscribes.
   */
  readonly client?: Redis;
  /** Prefix of the Redis channels, so that several apps can share one Redis. Default `nest-wamp`. */
  readonly channelPrefix?: string;
  /** Extra ioredis options for the connections the backplane opens from `url`, or to the nodes of `cluster`. */
  readonly redisOptions?: RedisOptions;
  /** Events handed to Redis (all masters together, in a cluster) and not yet acknowledged by it, at most; more are dropped. Default 1000. */
  readonly maxInFlight?: number;
  /** Bytes of those events, at most; more are dropped. Default 8 MiB. */
  readonly maxInFlightBytes?: number;
  /**
   * A connection whose commands (events or health pings) have waited this long with no answer is
   * stalled: Redis hangs with the connection up. That is an outage. Default 2000 ms.
   */
  readonly stallTimeoutMs?: number;
  /** How often each connection is pinged, which is also how often stalls are looked for. Default 500 ms. */
  readonly pingIntervalMs?: number;
  /** How long a `WampBroker.cluster` operation waits for the other instances' answers. Default 1000 ms. */
  readonly requestTimeoutMs?: number;
  /** `WampBroker.cluster` operations waiting for answers at once, at most; more get no answers at once. Default 1000. */
  readonly maxPendingRequests?: number;
  /**
   * Replays to the other instances what was published during a short outage (`true` for the
   * defaults). Each event also goes to a Redis Stream (`<channelPrefix>#replay`, the same script
   * publishing it, in one round trip); a publisher keeps its events while Redis does not take
   * commands and sends them, in order, when it does; an instance whose subscription was cut
   * reads what it missed from the stream when it is back, before the live events, none twice.
   * One Redis only (not with `cluster` or `sharded`). Every instance of the app should have it:
   * an instance without it still receives the others' live events, but replays nothing. Off by
   * default: delivery across instances is then at most once.
   */
  readonly replay?: boolean | RedisBackplaneReplayOptions;
}

/** The parts of `replay` mode: the stream, the publisher's queue, the receiver's catch-up. */
interface Replay {
  readonly stream: ReplayStream;
  readonly queue: WaitingEvents;
  readonly receiver: ReplayReceiver;
  readonly maxEvents: number;
  readonly maxAgeMs: number;
}

/** The bounds and timings, with the defaults filled in. */
interface Limits {
  readonly maxInFlight: number;
  readonly maxInFlightBytes: number;
  readonly stallTimeoutMs: number;
  readonly pingIntervalMs: number;
  readonly requestTimeoutMs: number;
  readonly maxPendingRequests: number;
  readonly refreshIntervalMs: number;
}

function positiveValue(option: string, given: number | undefined, fallback: number): number {
  const value = given ?? fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new Error(`RedisBackplane option "${option}" must be a positive whole number; got ${String(given)}`);
  }
  return value;
}

function resolveLimits(options: RedisBackplaneOptions): Limits {
  const positive = (option: Exclude<keyof Limits, 'refreshIntervalMs'>, fallback: number): number =>
    positiveValue(option, options[option], fallback);
  return {
    maxInFlight: positive('maxInFlight', 1000),
    maxInFlightBytes: positive('maxInFlightBytes', 8 * 1024 * 1024),
    stallTimeoutMs: positive('stallTimeoutMs', 2000),
    pingIntervalMs: positive('pingIntervalMs', 500),
    requestTimeoutMs: positive('requestTimeoutMs', 1000),
    maxPendingRequests: positive('maxPendingRequests', 1000),
    refreshIntervalMs: positiveValue('cluster.refreshIntervalMs', options.cluster?.refreshIntervalMs, 5000),
  };
}

/** A message read off Redis, as the dispatcher takes it. */
function backplaneMessage(topic: string, message: BackplaneWireMessage): BackplaneMessage {
  const { frame, filter, publication, payload } = message;
  return publication === undefined && payload === undefined ? { topic, frame, filter } : { topic, frame, filter, publication, payload };
}

/** A Redis glob pattern matching exactly `text`. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** A Redis server the backplane publishes and subscribes on: the one Redis, or a master of the cluster. */
interface Shard {
  /** `host:port` of the master, or `url`'s / the client's server for one Redis. */
  readonly key: string;
  readonly publisher: ConnectionWatch;
  readonly subscriber: ConnectionWatch;
  /** Whether the backplane opened the publisher (an application's `client` is left alone). */
  readonly ownsPublisher: boolean;
  /** The channels this instance receives from this server: subscribed again on every ready. */
  readonly channels: Set<string>;
  /** In a cluster, until the publisher is first ready: the events waiting for it. */
  opening?: WaitingEvents;
}

/**
 * How long a catch-up waits, at most, for the publisher to be ready, holding live events meanwhile:
 * after a restart the two connections come back on their own backoffs (at most 5 s apart).
 */
const PUBLISHER_WAIT_MS = 5000;

/** Reads of the slot map at most this often when a node closes or answers MOVED. */
const MIN_REFRESH_GAP_MS = 250;

/**
 * Pub/sub across instances over Redis (ioredis). Each topic is a Redis channel, subscribed to only
 * while this instance has subscribers on the topic. A message is a small JSON envelope (origin,
 * exclude, eligible), a newline, and the EVENT frame as the publisher encoded it, so receiving
 * instances forward the bytes without re-encoding the event (`backplane-wire.ts`, which
 * `WampEmitter` speaks too). Two more channels carry `WampBroker.cluster`'s requests and answers
 * (`RedisClusterBus`).
 *
 * One Redis by default (`url` or `client`), with PUBLISH and SUBSCRIBE, or with sharded pub/sub
 * (`sharded`, Redis 7). With `cluster`, a Redis Cluster: each channel is a shard channel that
 * lives on the master of its slot, where this instance publishes and subscribes it, over two
 * connections per master; the slot map is followed (failover, resharding), and an outage of one
 * master only concerns the topics on its slots.
 *
 * Delivery across instances is at most once: while Redis is unreachable, local delivery goes on,
 * events for other instances are dropped (never queued), the outage is logged once, and the
 * connections retry with backoff and resubscribe when Redis is back. What is in flight to Redis
 * is bounded (count and bytes), and a Redis that stops answering with its connections up (hung,
 * stopped, overloaded) is an outage too: its connections are cut, which frees what ioredis holds.
 * With `replay` (one Redis), a short outage is bridged instead, within bounds: events also go to a
 * Redis Stream, a publisher keeps its events until Redis takes them, and an instance whose
 * subscription was cut catches up from the stream (`replay-stream.ts`, `waiting-events.ts`,
 * `replay-receiver.ts`).
 */
export class RedisBackplane implements WampBackplane {
  /** Events that could not be handed to Redis (it was down, stalled, or too far behind), since the start. */
  dropped = 0;

  /** `WampBroker.cluster`'s requests and answers, on two channels of their own. */
  readonly bus: RedisClusterBus;
  private readonly prefix: string;
  private readonly limits: Limits;
  private readonly sharded: boolean;
  private readonly seeds?: readonly NodeAddress[];
  private readonly watched = new Set<string>();
  /** The prefixes watched (`watchPrefix`), by their PSUBSCRIBE pattern. */
  private readonly prefixOfPattern = new Map<string, string>();
  /** The servers, by key: the one Redis, or the cluster's masters. */
  private readonly shards = new Map<string, Shard>();
  /** Without `cluster`, the one Redis's shard (from `start` to `close`). */
  private sole: Shard | undefined;
  /** Where each channel this instance receives is subscribed. */
  private readonly placement = new Map<string, Shard>();
  private topology?: ClusterTopology;
  private connectionOptions: RedisOptions = {};
  private sink?: BackplaneSink;
  private watchdog?: NodeJS.Timeout;
  private refresher?: NodeJS.Timeout;
  private refreshTimer?: NodeJS.Timeout;
  private refreshing = false;
  private refreshAgain = false;
  private lastRefresh = 0;
  private logger?: WampLogger;
  private outage = false;
  private closed = false;
  /** Configuration errors logged already (each once). */
  private readonly problems = new Set<string>();
  private readonly replayMode?: Replay;

  constructor(private readonly options: RedisBackplaneOptions) {
    const given = [options.url, options.client, options.cluster].filter((option) => option !== undefined).length;
    if (given !== 1) throw new Error('RedisBackplane needs exactly one of `url` and `client` (one Redis), or `cluster` (a Redis Cluster)');
    if (options.cluster) {
      if (options.sharded === false) {
        throw new Error('RedisBackplane: `cluster` uses sharded pub/sub (SPUBLISH, SSUBSCRIBE); leave `sharded` unset or true');
      }
      if (!Array.isArray(options.cluster.nodes) || options.cluster.nodes.length === 0) {
        throw new Error('RedisBackplane: `cluster.nodes` must list at least one node of the cluster');
      }
      this.seeds = options.cluster.nodes.map((node) => nodeAddress(node, 'RedisBackplane'));
    }
    this.sharded = options.cluster !== undefined || options.sharded === true;
    const channelPrefix = options.channelPrefix ?? DEFAULT_CHANNEL_PREFIX;
    this.prefix = channelHead(channelPrefix);
    this.limits = resolveLimits(options);
    this.bus = new RedisClusterBus(
      channelPrefix,
      this.limits.requestTimeoutMs,
      this.limits.maxPendingRequests,
      () => this.logger,
      this.sharded,
    );
    if (options.replay) this.replayMode = this.createReplay(options.replay, channelPrefix);
  }

  /**
   * In `replay` mode: events kept for Redis now (`queued`, `queuedBytes`), and since the start
   * the events delivered from the stream (`replayed`) and those found there but too old to be
   * delivered (`expired`). Undefined without `replay`.
   */
  get replay(): { readonly queued: number; readonly queuedBytes: number; readonly replayed: number; readonly expired: number } | undefined {
    const replay = this.replayMode;
    if (!replay) return undefined;
    const { queue, receiver } = replay;
    return { queued: queue.events, queuedBytes: queue.bytes, replayed: receiver.replayed, expired: receiver.expired };
  }

  /** Events handed to Redis and not yet acknowledged, and their bytes (for tests and diagnostics). */
  get inFlight(): { readonly events: number; readonly bytes: number } {
    let events = 0;
    let bytes = 0;
    for (const { publisher, opening } of this.shards.values()) {
      events += publisher.events + (opening?.events ?? 0);
      bytes += publisher.bytes + (opening?.bytes ?? 0);
    }
    return { events, bytes };
  }

  /**
   * Whether every connection is up and answering (not stalled), so that events reach the other
   * instances: false before `start`, during an outage (in a cluster, of any master) and after
   * `close`.
   */
  connected(): boolean {
    if (this.shards.size === 0) return false;
    for (const shard of this.shards.values()) if (!this.accepts(shard.publisher) || !this.accepts(shard.subscriber)) return false;
    return true;
  }

  start(sink: BackplaneSink, logger: WampLogger): void {
    this.logger = logger;
    this.sink = sink;
    this.connectionOptions = {
      // Nothing is queued while Redis is away: a publish then fails at once and is dropped.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      // Subscriptions are restored from `placement` on every ready instead (see below).
      autoResubscribe: false,
      retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 6), 5000),
      ...this.options.redisOptions,
    };
    this.bus.attach(this.sendBusMessage);
    if (this.seeds) {
      this.topology = new ClusterTopology(this.seeds, this.connectionOptions, Math.max(this.limits.stallTimeoutMs, 1000));
      this.requestRefresh();
      this.refresher = setInterval(() => this.requestRefresh(), this.limits.refreshIntervalMs).unref();
    } else {
      let publisher: Redis;
      let subscriber: Redis;
      if (this.options.client) {
        publisher = this.options.client;
        subscriber = this.options.client.duplicate(this.connectionOptions);
      } else {
        publisher = new Redis(this.options.url!, this.connectionOptions);
        subscriber = new Redis(this.options.url!, this.connectionOptions);
      }
      this.sole = this.addShard(
        `${publisher.options.host ?? 'localhost'}:${publisher.options.port ?? 6379}`,
        publisher,
        subscriber,
        !this.options.client,
      );
      for (const channel of this.wantedChannels()) this.place(channel);
    }
    this.watchdog = setInterval(() => this.checkHealth(), this.limits.pingIntervalMs).unref();
  }

  publish(message: BackplaneMessage): void {
    const { topic, frame, filter } = message;
    if (this.replayMode) {
      this.publishForReplay(this.replayMode, message);
      return;
    }
    const channel = this.channel(topic);
    const shard = this.route(channel);
    if (!shard || (!shard.opening && !this.accepts(shard.publisher))) {
      this.dropped++;
      return;
    }
    const envelope = encodeEnvelope(this.bus.instanceId, filter, message);
    const payloadBytes = payloadSize(envelope, frame);
    const size = payloadBytes + commandOverhead(channel);
    const inFlight = this.sole ? shard.publisher : this.inFlight;
    if (inFlight.events >= this.limits.maxInFlight || inFlight.bytes + size > this.limits.maxInFlightBytes) {
      // Redis is behind (or hung, and the watchdog has not said so yet): waiting here would only grow memory.
      this.dropped++;
      return;
    }
    if (shard.opening) this.dropped += shard.opening.push({ topic, channel, envelope, frame, size, at: Date.now() });
    else this.sendEvent(shard, channel, encodePayload(envelope, frame, payloadBytes), size);
  }

  private sendEvent(shard: Shard, channel: string, payload: Buffer, size: number): void {
    shard.publisher.holdWrites();
    shard.publisher.trackEvent(this.send(shard.publisher.connection, channel, payload), size, this.countDrop);
  }

  watch(topic: string): void {
    this.watched.add(topic);
    this.replayMode?.receiver.watched(topic);
    if (this.sink) this.place(this.channel(topic));
  }

  unwatch(topic: string): void {
    this.watched.delete(topic);
    this.replayMode?.receiver.unwatched(topic);
    this.unplace(this.channel(topic));
  }

  /**
   * Receives the events of every topic starting with `prefix` (a WAMP v2 prefix subscription here)
   * through one Redis pattern subscription (PSUBSCRIBE `<channelPrefix>:<prefix>*`). Sharded pub/sub
   * has no patterns: with `sharded` or `cluster`, prefix subscriptions get this instance's
   * publications only (said once in the log).
   */
  watchPrefix(prefix: string): void {
    if (this.sharded) {
      this.reportProblem(
        'RedisBackplane: sharded pub/sub has no pattern subscriptions, so WAMP v2 prefix subscriptions receive the publications of their own instance only',
      );
      return;
    }
    const pattern = `${globEscape(this.channel(prefix))}*`;
    if (this.prefixOfPattern.has(pattern)) return;
    this.prefixOfPattern.set(pattern, prefix);
    if (this.sink) this.watchPrefixes([pattern]);
  }

  unwatchPrefix(prefix: string): void {
    const pattern = `${globEscape(this.channel(prefix))}*`;
    if (!this.prefixOfPattern.delete(pattern)) return;
    const subscriber = this.sole?.subscriber.connection;
    if (subscriber?.status === 'ready') subscriber.punsubscribe(pattern).catch(() => undefined);
  }

  /** Prefixes this instance receives through pattern subscriptions (for tests and diagnostics). */
  watchedPrefixes(): string[] {
    return [...this.prefixOfPattern.values()];
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.watchdog);
    clearInterval(this.refresher);
    clearTimeout(this.refreshTimer);
    this.watchdog = this.refresher = this.refreshTimer = undefined;
    this.bus.close();
    if (this.replayMode) {
      this.replayMode.receiver.close();
      this.dropped += this.replayMode.queue.clear();
    }
    for (const shard of this.shards.values()) this.closeShard(shard);
    this.sole = undefined;
    this.placement.clear();
  }

  /** Topics this instance receives from Redis (for tests and diagnostics). */
  watchedTopics(): string[] {
    return [...this.watched];
  }

  /**
   * Where the channels this instance receives are subscribed, by server (`host:port`), for tests
   * and diagnostics: in a cluster, each on the master of its slot.
   */
  subscriptions(): Record<string, string[]> {
    const byShard: Record<string, string[]> = {};
    for (const shard of this.shards.values()) byShard[shard.key] = [...shard.channels];
    return byShard;
  }

  /** The publisher of the one Redis (the stall tests read what ioredis holds on it). */
  private get publisher(): ConnectionWatch | undefined {
    return this.sole?.publisher;
  }

  private readonly countDrop = (error: unknown): void => {
    this.dropped++;
    if (this.topology && errorMessage(error).startsWith('MOVED')) this.requestRefresh();
  };

  /** The bus's messages go where an event on their channel would, as long as the connection is up. */
  private readonly sendBusMessage = (channel: string, payload: string): Promise<number> | undefined => {
    const shard = this.route(channel);
    if (!shard || shard.publisher.connection.status !== 'ready') return undefined;
    return this.send(shard.publisher.connection, channel, payload);
  };

  private send(connection: Redis, channel: string, payload: string | Buffer): Promise<number> {
    return this.sharded ? (connection.spublish(channel, payload) as Promise<number>) : connection.publish(channel, payload);
  }

  private channel(topic: string): string {
    return this.prefix + topic;
  }

  private wantedChannels(): string[] {
    return [...this.bus.channels, ...[...this.watched].map((topic) => this.channel(topic))];
  }

  /** The server of a channel: the one Redis, or the master of the channel's slot (if the map has one). */
  private route(channel: string): Shard | undefined {
    if (!this.topology) return this.sole;
    const owner = this.topology.ownerOf(keySlot(channel));
    return owner === undefined ? undefined : this.shards.get(owner);
  }

  /** Subscribes a channel where it lives now, leaving where it was (the slot moved). */
  private place(channel: string): void {
    const target = this.route(channel);
    const current = this.placement.get(channel);
    if (current === target && target?.channels.has(channel)) return;
    if (current && current !== target) this.unplace(channel);
    if (!target) return;
    this.placement.set(channel, target);
    target.channels.add(channel);
    if (target.subscriber.connection.status === 'ready') this.subscribe(target, [channel]);
  }

  private unplace(channel: string): void {
    const current = this.placement.get(channel);
    if (!current) return;
    this.placement.delete(channel);
    current.channels.delete(channel);
    const subscriber = current.subscriber.connection;
    if (subscriber.status !== 'ready') return;
    (this.sharded ? subscriber.sunsubscribe(channel) : subscriber.unsubscribe(channel)).catch(() => undefined);
  }

  /**
   * SUBSCRIBE, or SSUBSCRIBE with the channels of one slot at a time (a cluster refuses more). In
   * `replay` mode, once Redis has acknowledged it, the receiver learns the new topics' floors and,
   * after a resubscription (`generation`), catches up.
   */
  private subscribe(shard: Shard, channels: string[], generation?: number): void {
    if (channels.length === 0) return;
    const subscriber = shard.subscriber.connection;
    if (!this.sharded) {
      const acknowledged = subscriber.subscribe(...channels);
      const receiver = this.replayMode?.receiver;
      if (receiver)
        acknowledged.then(
          () => receiver.subscribed(this.watched, generation),
          () => undefined,
        );
      else acknowledged.catch(() => undefined);
      return;
    }
    const bySlot = new Map<number, string[]>();
    for (const channel of channels) {
      const slot = keySlot(channel);
      const group = bySlot.get(slot);
      if (group) group.push(channel);
      else bySlot.set(slot, [channel]);
    }
    for (const group of bySlot.values()) {
      subscriber.ssubscribe(...group).catch(() => this.topology && this.requestRefresh()); // MOVED: the map is old
    }
  }

  private addShard(key: string, publisher: Redis, subscriber: Redis, ownsPublisher: boolean): Shard {
    const shard: Shard = {
      key,
      publisher: new ConnectionWatch(publisher),
      subscriber: new ConnectionWatch(subscriber),
      ownsPublisher,
      channels: new Set(),
      opening:
        this.topology && publisher.status !== 'ready'
          ? new WaitingEvents(this.limits.maxInFlight, this.limits.maxInFlightBytes, this.limits.stallTimeoutMs)
          : undefined,
    };
    this.shards.set(key, shard);
    const current = (): boolean => this.shards.get(key) === shard && !this.closed;
    for (const connection of [publisher, subscriber]) {
      connection.on('error', (error: Error) => current() && this.reportOutage(this.about(shard, errorMessage(error))));
      if (this.topology) connection.on('close', () => current() && this.requestRefresh());
    }
    subscriber.on('ready', () => current() && this.resubscribe(shard));
    publisher.on('ready', () => current() && this.publisherReady(shard));
    subscriber.on(this.sharded ? 'smessageBuffer' : 'messageBuffer', (channel: Buffer, payload: Buffer) => this.receive(channel, payload));
    if (!this.sharded)
      subscriber.on('pmessageBuffer', (pattern: string, channel: Buffer, payload: Buffer) =>
        this.receiveByPrefix(pattern, channel, payload),
      );
    if (this.topology) subscriber.on('moved', () => current() && this.requestRefresh());
    if (publisher.status === 'ready') {
      this.replayMode?.stream.load(publisher);
      this.checkServer(shard);
    }
    return shard;
  }

  private closeShard(shard: Shard): void {
    this.dropped += shard.opening?.clear() ?? 0;
    if (this.shards.get(shard.key) === shard) this.shards.delete(shard.key);
    for (const channel of shard.channels) if (this.placement.get(channel) === shard) this.placement.delete(channel);
    shard.subscriber.connection.disconnect();
    if (shard.ownsPublisher) shard.publisher.connection.disconnect();
  }

  /** A message on a topic's channel (anyone with access to Redis may publish: what is not ours is ignored), or on the bus's. */
  private receive(channel: Buffer, payload: Buffer): void {
    const name = channel.toString('utf8');
    if (!name.startsWith(this.prefix)) {
      if (this.bus.channels.includes(name)) this.bus.receive(name, payload.toString('utf8'));
      return;
    }
    const message = decodePayload(payload);
    if (!message) return;
    if (this.replayMode) {
      this.replayMode.receiver.live(name.slice(this.prefix.length), message);
      return;
    }
    if (message.origin === this.bus.instanceId) return;
    this.sink?.(backplaneMessage(name.slice(this.prefix.length), message));
  }

  /**
   * A message through a prefix watch (PSUBSCRIBE): for the prefix subscriptions on that prefix only.
   * Live only: replay does not cover prefix watches.
   */
  private receiveByPrefix(pattern: string, channel: Buffer, payload: Buffer): void {
    const prefix = this.prefixOfPattern.get(pattern);
    const name = channel.toString('utf8');
    if (prefix === undefined || !name.startsWith(this.prefix)) return;
    const message = decodePayload(payload);
    if (!message || message.origin === this.bus.instanceId) return;
    this.sink?.({ ...backplaneMessage(name.slice(this.prefix.length), message), prefix });
  }

  /** PSUBSCRIBE of the watched prefixes (one Redis, without sharded pub/sub: the only case they are watched in). */
  private watchPrefixes(patterns: string[]): void {
    const subscriber = this.sole?.subscriber.connection;
    if (patterns.length === 0 || subscriber?.status !== 'ready') return;
    subscriber.psubscribe(...patterns).catch(() => undefined);
  }

  /** (Re)subscribes every channel of a server: on the first connect and after every reconnect. */
  private resubscribe(shard: Shard): void {
    this.reportRecovery();
    this.subscribe(shard, [...shard.channels], this.replayMode?.receiver.resubscribing());
    if (!this.sharded) this.watchPrefixes([...this.prefixOfPattern.keys()]);
  }

  private publisherReady(shard: Shard): void {
    const opening = shard.opening;
    shard.opening = undefined;
    for (let event = opening?.shift(); event; event = opening!.shift()) {
      this.sendEvent(shard, event.channel, encodePayload(event.envelope, event.frame), event.size);
    }
    if (this.replayMode) {
      this.replayMode.stream.load(shard.publisher.connection);
      this.drain();
    }
    this.reportRecovery();
    this.checkServer(shard);
  }

  private createReplay(given: true | RedisBackplaneReplayOptions, channelPrefix: string): Replay {
    if (this.sharded) {
      throw new Error(
        'RedisBackplane: `replay` works on one Redis with PUBLISH and SUBSCRIBE only; leave out `cluster` and `sharded`, or `replay`',
      );
    }
    const options = given === true ? {} : given;
    if (typeof options !== 'object' || options === null)
      throw new Error('RedisBackplane option "replay" must be true or { maxAgeMs?, maxEvents? }');
    const maxAgeMs = positiveValue('replay.maxAgeMs', options.maxAgeMs, 10_000);
    const maxEvents = positiveValue('replay.maxEvents', options.maxEvents, 10_000);
    const stream = new ReplayStream(`${channelPrefix}#replay`, maxEvents, maxAgeMs);
    const receiver = new ReplayReceiver({
      stream,
      maxEvents,
      maxHeldBytes: this.limits.maxInFlightBytes,
      maxAgeMs,
      origin: this.bus.instanceId,
      publisher: () => this.publisherSoon(PUBLISHER_WAIT_MS),
      deliver: (topic, message) => this.sink?.(backplaneMessage(topic, message)),
      logger: () => this.logger,
    });
    return { stream, receiver, maxEvents, maxAgeMs, queue: new WaitingEvents(maxEvents, this.limits.maxInFlightBytes, maxAgeMs) };
  }

  /**
   * In `replay` mode an event goes through the stream's script; while Redis does not take it (down,
   * stalled, or behind: the in-flight bounds), and while older events wait, it waits in the queue.
   */
  private publishForReplay(replay: Replay, message: BackplaneMessage): void {
    const { topic, frame, filter } = message;
    const envelope = encodeEnvelope(this.bus.instanceId, filter, message);
    const event: WaitingEvent = {
      topic,
      channel: this.channel(topic),
      envelope,
      frame,
      size: payloadSize(envelope, frame),
      at: Date.now(),
    };
    const publisher = this.publisher;
    if (replay.queue.events === 0 && publisher && this.takesNow(publisher, event.size)) this.append(replay, publisher, event, 0);
    else this.dropped += replay.queue.push(event);
  }

  /**
   * The publisher once it takes commands: now, or when it is ready again (it reconnects on its own
   * backoff, the subscriber on its), or undefined after `waitMs`.
   */
  private publisherSoon(waitMs: number): Promise<Redis | undefined> {
    const publisher = this.publisher;
    if (!publisher || this.closed) return Promise.resolve(undefined);
    if (this.accepts(publisher)) return Promise.resolve(publisher.connection);
    const connection = publisher.connection;
    return new Promise((resolve) => {
      const ready = (): void => {
        clearTimeout(timer);
        resolve(this.closed ? undefined : connection);
      };
      const timer = setTimeout(() => {
        connection.off('ready', ready);
        resolve(undefined);
      }, waitMs).unref();
      connection.once('ready', ready);
    });
  }

  /** Whether the connection takes an event of `size` bytes now: up, answering, and within the in-flight bounds. */
  private takesNow(publisher: ConnectionWatch, size: number): boolean {
    return this.accepts(publisher) && publisher.events < this.limits.maxInFlight && publisher.bytes + size <= this.limits.maxInFlightBytes;
  }

  private append(replay: Replay, publisher: ConnectionWatch, event: WaitingEvent, ageMs: number): void {
    const reply = replay.stream.append(publisher.connection, event.channel, event.topic, event.envelope, event.frame, ageMs);
    publisher.trackEvent(reply, event.size, this.countDrop);
    if (replay.queue.events > 0) reply.then(this.drain, this.drain);
  }

  /** Sends what the queue kept, oldest first, as far as the connection takes it now; goes on as Redis answers. */
  private readonly drain = (): void => {
    const replay = this.replayMode;
    const publisher = this.publisher;
    if (!replay || !publisher || this.closed) return;
    const { queue } = replay;
    const now = Date.now();
    this.dropped += queue.expire(now);
    for (let event = queue.peek(); event && this.takesNow(publisher, event.size); event = queue.peek()) {
      queue.shift();
      this.append(replay, publisher, event, now - event.at);
    }
  };

  /** With sharded pub/sub, whether the server can do it (Redis 7, and a cluster node only with `cluster`). */
  private checkServer(shard: Shard): void {
    if (!this.sharded) return;
    shard.publisher.connection.info().then(
      (info) => {
        const use = { owner: 'RedisBackplane', node: shard.key, sharded: true, cluster: this.topology !== undefined };
        for (const problem of serverProblems(info, use)) this.reportProblem(problem);
      },
      () => undefined,
    );
  }

  /** Reads the slot map soon (now, or once `MIN_REFRESH_GAP_MS` passed since the last read). */
  private requestRefresh(): void {
    if (!this.topology || this.closed || this.refreshTimer) return;
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    const delay = Math.max(0, this.lastRefresh + MIN_REFRESH_GAP_MS - Date.now());
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.refreshTopology();
    }, delay).unref();
  }

  private async refreshTopology(): Promise<void> {
    const topology = this.topology;
    if (!topology || this.closed) return;
    this.refreshing = true;
    this.lastRefresh = Date.now();
    const ready = [...this.shards.values()].filter((shard) => this.accepts(shard.publisher)).map((shard) => shard.publisher.connection);
    try {
      await topology.refresh(ready);
      if (!this.closed) this.applyTopology(topology);
    } catch (error) {
      if (this.closed) return;
      const reason = errorMessage(error);
      const problem = notAClusterProblem('RedisBackplane', reason);
      if (problem) this.reportProblem(problem);
      else this.reportOutage(`no node of the cluster answered CLUSTER SLOTS: ${reason}`);
    } finally {
      this.refreshing = false;
      if (this.refreshAgain) {
        this.refreshAgain = false;
        this.requestRefresh();
      }
    }
  }

  /** Connects to new masters, moves the channels whose slots moved, and lets go of servers that are no longer masters. */
  private applyTopology(topology: ClusterTopology): void {
    const masters = topology.masters();
    for (const node of masters.values()) {
      if (this.shards.has(node.key)) continue;
      const options = { ...this.connectionOptions, host: node.host, port: node.port };
      this.addShard(node.key, new Redis(options), new Redis(options), true);
    }
    for (const channel of this.wantedChannels()) this.place(channel);
    for (const shard of [...this.shards.values()]) if (!masters.has(shard.key)) this.closeShard(shard);
    this.reportRecovery();
  }

  /** Whether a connection takes commands now: connected, and not stalled. */
  private accepts(watch: ConnectionWatch): boolean {
    return watch.connection.status === 'ready' && !watch.stalled(this.limits.stallTimeoutMs);
  }

  private *watches(): Generator<ConnectionWatch> {
    for (const shard of this.shards.values()) yield* [shard.publisher, shard.subscriber];
  }

  /** Every `pingIntervalMs`: cuts stalled connections, pings the others, and notices a stall that cleared by itself. */
  private checkHealth(): void {
    const now = Date.now();
    for (const { opening } of this.shards.values()) if (opening) this.dropped += opening.expire(now);
    for (const watch of this.watches()) {
      if (watch.stalled(this.limits.stallTimeoutMs)) setImmediate(() => this.confirmStall(watch));
      else watch.ping();
    }
    this.reportRecovery();
    if (this.replayMode && this.replayMode.queue.events > 0) this.drain(); // a stall that cleared by itself, and ageing
  }

  /**
   * Timers run before pending I/O is read: after the event loop was blocked for a while, replies
   * may be waiting unread. A check after the I/O phase tells a stalled Redis from a busy process.
   */
  private confirmStall(watch: ConnectionWatch): void {
    if (!watch.stalled(this.limits.stallTimeoutMs)) return;
    for (const shard of this.shards.values()) {
      if (watch === shard.publisher || watch === shard.subscriber) this.stalled(shard, watch);
    }
  }

  /**
   * A connection is up but Redis does not answer on it. ioredis would keep every command (and the
   * socket its bytes) until Redis answers, however late, so a connection of the backplane's own
   * is destroyed rather than ended (a hung Redis never completes a close): ioredis then fails the
   * waiting commands (which are counted as dropped) and reconnects, and the reconnection waits in
   * its handshake, taking nothing, until Redis answers again. A `client` of the application's is
   * left alone: while it stays stalled the backplane only drops.
   */
  private stalled(shard: Shard, watch: ConnectionWatch): void {
    this.reportOutage(this.about(shard, `no answer within ${this.limits.stallTimeoutMs} ms`));
    if (watch === shard.publisher && !shard.ownsPublisher) return;
    watch.connection.stream?.destroy();
  }

  /** A reason, naming the node in a cluster (one Redis is named by the app's configuration already). */
  private about(shard: Shard, reason: string): string {
    return this.topology ? `node ${shard.key}: ${reason}` : reason;
  }

  private reportOutage(reason: string): void {
    if (this.outage) return;
    this.outage = true;
    const lost = this.topology
      ? "the events of topics on that node's slots reach this instance's subscribers only until it is back"
      : this.replayMode
        ? `events reach this instance's subscribers only, and are kept for the others (at most ${this.replayMode.maxEvents}, for ${this.replayMode.maxAgeMs} ms) until it is back`
        : "events reach this instance's subscribers only until it is back";
    this.logger?.error(`Redis backplane unreachable (${reason}): ${lost}; retrying with backoff`);
  }

  private reportRecovery(): void {
    if (!this.outage || !this.connected()) return;
    this.outage = false;
    this.logger?.log('Redis backplane reachable again: events are shared across instances');
  }

  private reportProblem(problem: string): void {
    if (this.problems.has(problem)) return;
    this.problems.add(problem);
    this.logger?.error(problem);
  }
}
