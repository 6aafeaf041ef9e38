import type { Redis } from 'ioredis';
import type { ClusterBus, ClusterRequest, ClusterResponder } from '../cluster/cluster-bus.js';
import { errorMessage } from '../core/errors.js';
import type { WampLogger } from '../core/wamp-logger.js';
import { newOrigin } from './backplane-wire.js';

/** A request on the wire: its id, the asking instance, and the question. */
interface RequestMessage {
  readonly i: number;
  readonly o: string;
  readonly r: ClusterRequest;
}

/** An answer on the wire, sent to the asking instance's own channel: the request id and the value, or an error. */
interface AnswerMessage {
  readonly i: number;
  readonly a?: unknown;
  readonly e?: string;
}

interface PendingAsk {
  readonly answers: unknown[];
  /** Answers that came, errors included. */
  received: number;
  /** How many instances got the request (known once Redis said so). */
  expected?: number;
  readonly timer: NodeJS.Timeout;
  readonly resolve: (answers: unknown[]) => void;
}

/**
 * The instances' questions and answers over the backplane's Redis connections: a request is
 * published on one channel every instance listens to; PUBLISH tells how many received it, and
 * each other instance answers on the asker's own channel. Nothing waits longer than the timeout,
 * nothing is queued while Redis is away (the ask then resolves with no answers), and at most
 * `maxPending` asks wait at once (more resolve with none at once).
 */
export class RedisClusterBus implements ClusterBus {
  /** This instance's name, also the origin of the events it publishes. */
  readonly instanceId = newOrigin();
  readonly requestChannel: string;
  readonly answerChannel: string;
  private readonly pending = new Map<number, PendingAsk>();
  private nextId = 1;
  private respond?: ClusterResponder;
  private publisher?: Redis;

  constructor(
    /** The backplane's channel prefix (its topic channels are `<prefix>:<topic>`, so these cannot collide). */
    private readonly prefix: string,
    private readonly timeoutMs: number,
    private readonly maxPending: number,
    private readonly logger?: () => WampLogger | undefined,
  ) {
    this.requestChannel = `${prefix}#cluster`;
    this.answerChannel = this.answerChannelOf(this.instanceId);
  }

  /** The channels the backplane's subscriber must listen to. */
  get channels(): string[] {
    return [this.requestChannel, this.answerChannel];
  }

  /** Gives the bus the connection it publishes on (the backplane's). */
  attach(publisher: Redis): void {
    this.publisher = publisher;
  }

  serve(respond: ClusterResponder): void {
    this.respond = respond;
  }

  ask(request: ClusterRequest): Promise<unknown[]> {
    const publisher = this.publisher;
    if (!publisher || publisher.status !== 'ready' || this.pending.size >= this.maxPending) return Promise.resolve([]);
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle(id), this.timeoutMs).unref();
      this.pending.set(id, { answers: [], received: 0, timer, resolve });
      const message: RequestMessage = { i: id, o: this.instanceId, r: request };
      publisher.publish(this.requestChannel, JSON.stringify(message)).then(
        (receivers) => {
          const ask = this.pending.get(id);
          if (!ask) return;
          ask.expected = receivers - 1; // every instance but this one
          if (ask.received >= ask.expected) this.settle(id);
        },
        () => this.settle(id),
      );
    });
  }

  /** A message on one of `channels` (the backplane routes them here). */
  receive(channel: string, payload: string): void {
    let message: unknown;
    try {
      message = JSON.parse(payload);
    } catch {
      return;
    }
    if (typeof message !== 'object' || message === null) return;
    if (channel === this.requestChannel) void this.answer(message as RequestMessage);
    else if (channel === this.answerChannel) this.collect(message as AnswerMessage);
  }

  /** Ends every waiting ask with what it has. */
  close(): void {
    for (const id of [...this.pending.keys()]) this.settle(id);
    this.publisher = undefined;
  }

  private async answer({ i, o, r }: RequestMessage): Promise<void> {
    if (o === this.instanceId || typeof o !== 'string' || typeof i !== 'number' || typeof r?.op !== 'string' || !Array.isArray(r.args)) {
      return;
    }
    let answer: AnswerMessage;
    try {
      answer = { i, a: (await this.respond?.(r)) ?? null };
    } catch (error) {
      this.logger?.()?.warn(`Cluster request "${r.op}" failed: ${errorMessage(error)}`);
      answer = { i, e: errorMessage(error) };
    }
    this.publisher?.publish(this.answerChannelOf(o), JSON.stringify(answer)).catch(() => undefined);
  }

  private answerChannelOf(instance: string): string {
    return `${this.prefix}#cluster:${instance}`;
  }

  private collect({ i, a, e }: AnswerMessage): void {
    const ask = typeof i === 'number' ? this.pending.get(i) : undefined;
    if (!ask) return;
    ask.received++;
    if (e === undefined) ask.answers.push(a);
    if (ask.expected !== undefined && ask.received >= ask.expected) this.settle(i);
  }

  private settle(id: number): void {
    const ask = this.pending.get(id);
    if (!ask) return;
    this.pending.delete(id);
    clearTimeout(ask.timer);
    ask.resolve(ask.answers);
  }
}
