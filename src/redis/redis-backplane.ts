import { randomBytes } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import type { BackplaneMessage, BackplaneSink, WampBackplane } from '../pubsub/backplane.js';
import type { DeliveryFilter } from '../pubsub/delivery-filter.js';
import { errorMessage } from '../router/call-error.js';
import type { WampLogger } from '../router/wamp-logger.js';

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
}

/** The part of a message that is not the frame: who sent it and who may receive it. */
interface Envelope {
  /** The publishing instance, which delivered to its own subscribers already. */
  readonly o: string;
  readonly x?: readonly string[];
  readonly l?: readonly string[];
}

const NEWLINE = 0x0a;

/**
 * Pub/sub across instances over Redis (ioredis). Each topic is a Redis channel, subscribed to only
 * while this instance has subscribers on the topic. A message is a small JSON envelope (origin,
 * exclude, eligible), a newline, and the EVENT frame as the publisher encoded it, so receiving
 * instances forward the bytes without re-encoding the event.
 *
 * Delivery across instances is at most once: while Redis is unreachable, local delivery goes on,
 * events for other instances are dropped (never queued), the outage is logged once, and the
 * connections retry with backoff and resubscribe when Redis is back.
 */
export class RedisBackplane implements WampBackplane {
  /** Events that could not be handed to Redis (it was down), since the start. */
  dropped = 0;

  private readonly instanceId = randomBytes(9).toString('base64url');
  private readonly prefix: string;
  private readonly watched = new Set<string>();
  private publisher?: Redis;
  private subscriber?: Redis;
  private ownsPublisher = false;
  private logger?: WampLogger;
  private outage = false;

  constructor(private readonly options: RedisBackplaneOptions) {
    if (!options.url === !options.client) throw new Error('RedisBackplane needs exactly one of `url` and `client`');
    this.prefix = `${options.channelPrefix ?? 'nest-wamp'}:`;
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
    if (this.options.client) {
      this.publisher = this.options.client;
      this.subscriber = this.options.client.duplicate(connectionOptions);
    } else {
      this.publisher = new Redis(this.options.url!, connectionOptions);
      this.subscriber = new Redis(this.options.url!, connectionOptions);
      this.ownsPublisher = true;
    }
    for (const connection of [this.publisher, this.subscriber]) {
      connection.on('error', (error: Error) => this.reportOutage(error));
    }
    this.subscriber.on('ready', () => this.resubscribe());
    this.publisher.on('ready', () => this.reportRecovery());
    this.subscriber.on('messageBuffer', (channel: Buffer, payload: Buffer) => this.receive(channel, payload, sink));
  }

  publish({ topic, frame, filter }: BackplaneMessage): void {
    const publisher = this.publisher;
    if (!publisher || publisher.status !== 'ready') {
      this.dropped++;
      return;
    }
    const envelope: Envelope = { o: this.instanceId, ...(filter.exclude?.length && { x: filter.exclude }), ...(filter.eligible && { l: filter.eligible }) };
    const payload = Buffer.concat([Buffer.from(`${JSON.stringify(envelope)}\n`), typeof frame === 'string' ? Buffer.from(frame) : frame]);
    publisher.publish(this.channel(topic), payload).catch(() => this.dropped++);
  }

  watch(topic: string): void {
    this.watched.add(topic);
    if (this.subscriber?.status === 'ready') this.subscriber.subscribe(this.channel(topic)).catch(() => undefined);
  }

  unwatch(topic: string): void {
    this.watched.delete(topic);
    if (this.subscriber?.status === 'ready') this.subscriber.unsubscribe(this.channel(topic)).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect();
    if (this.ownsPublisher) this.publisher?.disconnect();
    this.subscriber = this.publisher = undefined;
  }

  /** Topics this instance receives from Redis (for tests and diagnostics). */
  watchedTopics(): string[] {
    return [...this.watched];
  }

  private channel(topic: string): string {
    return this.prefix + topic;
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
    if (channels.length > 0) this.subscriber?.subscribe(...channels).catch(() => undefined);
  }

  private reportOutage(error: Error): void {
    if (this.outage) return;
    this.outage = true;
    this.logger?.error(
      `Redis backplane unreachable (${errorMessage(error)}): events reach this instance's subscribers only until it is back; retrying with backoff`,
    );
  }

  private reportRecovery(): void {
    if (!this.outage || this.publisher?.status !== 'ready' || this.subscriber?.status !== 'ready') return;
    this.outage = false;
    this.logger?.log('Redis backplane reachable again: events are shared across instances');
  }
}
