import { randomBytes } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import type { BackplaneMessage, BackplaneSink, WampBackplane } from '../pubsub/backplane.js';
import type { DeliveryFilter } from '../pubsub/delivery-filter.js';
import { errorMessage } from '../core/errors.js';
import type { WampLogger } from '../core/wamp-logger.js';
import { ConnectionWatch } from './connection-watch.js';

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
}

/** The bounds and timings, with the defaults filled in. */
interface Limits {
  readonly maxInFlight: number;
  readonly maxInFlightBytes: number;
  readonly stallTimeoutMs: number;
  readonly pingIntervalMs: number;
}

/** The part of a message that is not the frame: who sent it and who may receive it. */
interface Envelope {
  /** The publishing instance, which delivered to its own subscribers already. */
  readonly o: string;
  readonly x?: readonly string[];
  readonly l?: readonly string[];
}

const NEWLINE = 0x0a;

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
  };
}

/**
 * Pub/sub across instances over Redis (ioredis). Each topic is a Redis channel, subscribed to only
 * while this instance has subscribers on the topic. A message is a small JSON envelope (origin,
 * exclude, eligible), a newline, and the EVENT frame as the publisher encoded it, so receiving
 * instances forward the bytes without re-encoding the event.
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

  private readonly instanceId = randomBytes(9).toString('base64url');
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
    this.prefix = `${options.channelPrefix ?? 'nest-wamp'}:`;
    this.limits = resolveLimits(options);
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
    this.watchdog = setInterval(() => this.checkHealth(), this.limits.pingIntervalMs).unref();
  }

  publish({ topic, frame, filter }: BackplaneMessage): void {
    const publisher = this.publisher;
    if (!publisher || !this.accepts(publisher)) {
      this.dropped++;
      return;
    }
    const envelope: Envelope = {
      o: this.instanceId,
      ...(filter.exclude?.length && { x: filter.exclude }),
      ...(filter.eligible && { l: filter.eligible }),
    };
    const header = `${JSON.stringify(envelope)}\n`;
    const size = Buffer.byteLength(header) + (typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length);
    if (publisher.events >= this.limits.maxInFlight || publisher.bytes + size > this.limits.maxInFlightBytes) {
      // Redis is behind (or hung, and the watchdog has not said so yet): waiting here would only grow memory.
      this.dropped++;
      return;
    }
    const payload = Buffer.concat([Buffer.from(header), typeof frame === 'string' ? Buffer.from(frame) : frame], size);
    publisher.trackEvent(publisher.connection.publish(this.channel(topic), payload), size, this.countDrop);
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

  private receive(channel: Buffer, payload: Buffer, sink: BackplaneSink): void {
    const split = payload.indexOf(NEWLINE);
    if (split === -1) return;
    let envelope: Envelope;
    try {
      envelope = JSON.parse(payload.subarray(0, split).toString('utf8')) as Envelope;
    } catch {
      return;
    }
    if (envelope.o === this.instanceId) return;
    const filter: DeliveryFilter = { exclude: envelope.x, eligible: envelope.l };
    sink({ topic: channel.subarray(this.prefix.length).toString('utf8'), frame: payload.subarray(split + 1), filter });
  }

  /** (Re)subscribes every watched topic: on the first connect and after every reconnect. */
  private resubscribe(): void {
    this.reportRecovery();
    const channels = [...this.watched].map((topic) => this.channel(topic));
    if (channels.length > 0) this.subscriber?.connection.subscribe(...channels).catch(() => undefined);
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
