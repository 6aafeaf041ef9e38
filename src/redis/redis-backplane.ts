import { Redis, type RedisOptions } from 'ioredis';
import type { BackplaneMessage, BackplaneSink, WampBackplane } from '../pubsub/backplane.js';
import { errorMessage } from '../core/errors.js';
import type { WampLogger } from '../core/wamp-logger.js';
import { channelHead, DEFAULT_CHANNEL_PREFIX, decodePayload, encodeEnvelope, encodePayload, payloadSize } from './backplane-wire.js';
import { ConnectionWatch } from './connection-watch.js';
import { RedisClusterBus } from './redis-cluster-bus.js';

export interface RedisBackplaneOptions {
  /** A Redis URL (`redis://host:6379/0`); the backplane opens and closes its two connections. */
  readonly url?: string;
  /**
   * An ioredis client of the application's: it is used to publish (and left open on close), and
   * a duplicate of it, owned by the backplane, subscribes.
   */
  readonly client?: Redis;
  /** Prefix of the Redis channels, so that several apps can share one Redis. Default `nest-wamp`. */
  readonly channelPrefix?: string;
  /** Extra ioredis options for the connections the backplane opens from `url`. */
  readonly redisOptions?: RedisOptions;
  /** Events handed to Redis and not yet acknowledged by it, at most; more are dropped. Default 1000. */
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
}

/** The bounds and timings, with the defaults filled in. */
interface Limits {
  readonly maxInFlight: number;
  readonly maxInFlightBytes: number;
  readonly stallTimeoutMs: number;
  readonly pingIntervalMs: number;
  readonly requestTimeoutMs: number;
  readonly maxPendingRequests: number;
}

function resolveLimits(options: RedisBackplaneOptions): Limits {
  const positive = (option: keyof Limits, fallback: number): number => {
    const value = options[option] ?? fallback;
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new Error(`RedisBackplane option "${option}" must be a positive whole number; got ${String(options[option])}`);
    }
    return value;
  };
  return {
    maxInFlight: positive('maxInFlight', 1000),
    maxInFlightBytes: positive('maxInFlightBytes', 8 * 1024 * 1024),
    stallTimeoutMs: positive('stallTimeoutMs', 2000),
    pingIntervalMs: positive('pingIntervalMs', 500),
    requestTimeoutMs: positive('requestTimeoutMs', 1000),
    maxPendingRequests: positive('maxPendingRequests', 1000),
  };
}

/**
 * Pub/sub across instances over Redis (ioredis). Each topic is a Redis channel, subscribed to only
 * while this instance has subscribers on the topic. A message is a small JSON envelope (origin,
 * exclude, eligible), a newline, and the EVENT frame as the publisher encoded it, so receiving
 * instances forward the bytes without re-encoding the event (`backplane-wire.ts`, which
 * `WampEmitter` speaks too). Two more channels carry `WampBroker.cluster`'s requests and answers
 * (`RedisClusterBus`).
 *
 * Delivery across instances is at most once: while Redis is unreachable, local delivery goes on,
 * events for other instances are dropped (never queued), the outage is logged once, and the
 * connections retry with backoff and resubscribe when Redis is back. What is in flight to Redis
 * is bounded (count and bytes), and a Redis that stops answering with its connections up (hung,
 * stopped, overloaded) is an outage too: its connections are cut, which frees what ioredis holds.
 */
export class RedisBackplane implements WampBackplane {
  /** Events that could not be handed to Redis (it was down, stalled, or too far behind), since the start. */
  dropped = 0;

  /** `WampBroker.cluster`'s requests and answers, on two channels of their own. */
  readonly bus: RedisClusterBus;
  private readonly prefix: string;
  private readonly limits: Limits;
  private readonly watched = new Set<string>();
  private publisher?: ConnectionWatch;
  private subscriber?: ConnectionWatch;
  private ownsPublisher = false;
  private watchdog?: NodeJS.Timeout;
  private logger?: WampLogger;
  private outage = false;

  constructor(private readonly options: RedisBackplaneOptions) {
    if (!options.url === !options.client) throw new Error('RedisBackplane needs exactly one of `url` and `client`');
    const channelPrefix = options.channelPrefix ?? DEFAULT_CHANNEL_PREFIX;
    this.prefix = channelHead(channelPrefix);
    this.limits = resolveLimits(options);
    this.bus = new RedisClusterBus(channelPrefix, this.limits.requestTimeoutMs, this.limits.maxPendingRequests, () => this.logger);
  }

  /** Events handed to Redis and not yet acknowledged, and their bytes (for tests and diagnostics). */
  get inFlight(): { readonly events: number; readonly bytes: number } {
    return { events: this.publisher?.events ?? 0, bytes: this.publisher?.bytes ?? 0 };
  }

  /**
   * Whether both connections are up and answering (not stalled), so that events reach the other
   * instances: false before `start`, during an outage and after `close`.
   */
  connected(): boolean {
    return this.publisher !== undefined && this.subscriber !== undefined && this.accepts(this.publisher) && this.accepts(this.subscriber);
  }

  start(sink: BackplaneSink, logger: WampLogger): void {
    this.logger = logger;
    const connectionOptions: RedisOptions = {
      // Nothing is queued while Redis is away: a publish then fails at once and is dropped.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      // Subscriptions are restored from `watched` on every ready instead (see below).
      autoResubscribe: false,
      retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 6), 5000),
      ...this.options.redisOptions,
    };
    let publisher: Redis;
    let subscriber: Redis;
    if (this.options.client) {
      publisher = this.options.client;
      subscriber = this.options.client.duplicate(connectionOptions);
    } else {
      publisher = new Redis(this.options.url!, connectionOptions);
      subscriber = new Redis(this.options.url!, connectionOptions);
      this.ownsPublisher = true;
    }
    this.publisher = new ConnectionWatch(publisher);
    this.subscriber = new ConnectionWatch(subscriber);
    for (const connection of [publisher, subscriber]) {
      connection.on('error', (error: Error) => this.reportOutage(errorMessage(error)));
    }
    subscriber.on('ready', () => this.resubscribe());
    publisher.on('ready', () => this.reportRecovery());
    subscriber.on('messageBuffer', (channel: Buffer, payload: Buffer) => this.receive(channel, payload, sink));
    this.bus.attach(publisher);
    this.watchdog = setInterval(() => this.checkHealth(), this.limits.pingIntervalMs).unref();
  }

  publish({ topic, frame, filter }: BackplaneMessage): void {
    const publisher = this.publisher;
    if (!publisher || !this.accepts(publisher)) {
      this.dropped++;
      return;
    }
    const envelope = encodeEnvelope(this.bus.instanceId, filter);
    const size = payloadSize(envelope, frame);
    if (publisher.events >= this.limits.maxInFlight || publisher.bytes + size > this.limits.maxInFlightBytes) {
      // Redis is behind (or hung, and the watchdog has not said so yet): waiting here would only grow memory.
      this.dropped++;
      return;
    }
    publisher.trackEvent(publisher.connection.publish(this.channel(topic), encodePayload(envelope, frame, size)), size, this.countDrop);
  }

  watch(topic: string): void {
    this.watched.add(topic);
    const subscriber = this.subscriber?.connection;
    if (subscriber?.status === 'ready') subscriber.subscribe(this.channel(topic)).catch(() => undefined);
  }

  unwatch(topic: string): void {
    this.watched.delete(topic);
    const subscriber = this.subscriber?.connection;
    if (subscriber?.status === 'ready') subscriber.unsubscribe(this.channel(topic)).catch(() => undefined);
  }

  async close(): Promise<void> {
    clearInterval(this.watchdog);
    this.watchdog = undefined;
    this.bus.close();
    this.subscriber?.connection.disconnect();
    if (this.ownsPublisher) this.publisher?.connection.disconnect();
    this.subscriber = this.publisher = undefined;
  }

  /** Topics this instance receives from Redis (for tests and diagnostics). */
  watchedTopics(): string[] {
    return [...this.watched];
  }

  private readonly countDrop = (): void => {
    this.dropped++;
  };

  private channel(topic: string): string {
    return this.prefix + topic;
  }

  /** Whether a connection takes commands now: connected, and not stalled. */
  private accepts(watch: ConnectionWatch): boolean {
    return watch.connection.status === 'ready' && !watch.stalled(this.limits.stallTimeoutMs);
  }

  /** A message on a topic's channel (anyone with access to Redis may publish: what is not ours is ignored), or on the bus's. */
  private receive(channel: Buffer, payload: Buffer, sink: BackplaneSink): void {
    const name = channel.toString('utf8');
    if (!name.startsWith(this.prefix)) {
      if (this.bus.channels.includes(name)) this.bus.receive(name, payload.toString('utf8'));
      return;
    }
    const message = decodePayload(payload);
    if (!message || message.origin === this.bus.instanceId) return;
    sink({ topic: name.slice(this.prefix.length), frame: message.frame, filter: message.filter });
  }

  /** (Re)subscribes every watched topic: on the first connect and after every reconnect. */
  private resubscribe(): void {
    this.reportRecovery();
    const channels = [...this.bus.channels, ...[...this.watched].map((topic) => this.channel(topic))];
    this.subscriber?.connection.subscribe(...channels).catch(() => undefined);
  }

  /** Every `pingIntervalMs`: cuts stalled connections, pings the others, and notices a stall that cleared by itself. */
  private checkHealth(): void {
    for (const watch of [this.publisher, this.subscriber]) {
      if (!watch) continue;
      if (watch.stalled(this.limits.stallTimeoutMs)) setImmediate(() => this.confirmStall(watch));
      else watch.ping();
    }
    this.reportRecovery();
  }

  /**
   * Timers run before pending I/O is read: after the event loop was blocked for a while, replies
   * may be waiting unread. A check after the I/O phase tells a stalled Redis from a busy process.
   */
  private confirmStall(watch: ConnectionWatch): void {
    if ((watch === this.publisher || watch === this.subscriber) && watch.stalled(this.limits.stallTimeoutMs)) this.stalled(watch);
  }

  /**
   * A connection is up but Redis does not answer on it. ioredis would keep every command (and the
   * socket its bytes) until Redis answers, however late, so a connection of the backplane's own
   * is destroyed rather than ended (a hung Redis never completes a close): ioredis then fails the
   * waiting commands (which are counted as dropped) and reconnects, and the reconnection waits in
   * its handshake, taking nothing, until Redis answers again. A `client` of the application's is
   * left alone: while it stays stalled the backplane only drops.
   */
  private stalled(watch: ConnectionWatch): void {
    this.reportOutage(`no answer within ${this.limits.stallTimeoutMs} ms`);
    if (watch === this.publisher && !this.ownsPublisher) return;
    watch.connection.stream?.destroy();
  }

  private reportOutage(reason: string): void {
    if (this.outage) return;
    this.outage = true;
    this.logger?.error(
      `Redis backplane unreachable (${reason}): events reach this instance's subscribers only until it is back; retrying with backoff`,
    );
  }

  private reportRecovery(): void {
    if (!this.outage || !this.publisher || !this.subscriber || !this.accepts(this.publisher) || !this.accepts(this.subscriber)) return;
    this.outage = false;
    this.logger?.log('Redis backplane reachable again: events are shared across instances');
  }
}
