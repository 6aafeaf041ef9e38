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

/**
 * Publishes a message on a channel and resolves with how many subscribers received it; undefined
 * when it cannot be sent now (Redis is away). The backplane's, so that the bus speaks its mode
 * (PUBLISH, or SPUBLISH on the channel's shard).
 */
export type BusSender = (channel: string, payload: string) => Promise<number> | undefined;

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
 * each other instance answers on the asker's own channel. In a Redis Cluster the channels are
 * shard channels (SPUBLISH, SSUBSCRIBE): every instance subscribes to the request channel on the
 * one master of its slot, so that the count is exact there too (a classic PUBLISH is broadcast
 * to every node and counts the receivers of the node it was sent to only). Nothing waits longer than the timeout,
 * nothing is queued while Redis is away (the ask then resolves with no answers), and at most
 * `maxPending` asks wait at once (more resolve with none at once).
 */
export class RedisClusterBus implements ClusterBus {
  /** This instance's name, also the origin of the events it publishes. */
  readonly instanceId = newOrigin();
  readonly requestChannel: string;
  readonly answerChannel: string;
  private readonly channelHead: string;
  private readonly pending = new Map<number, PendingAsk>();
  private nextId = 1;
  private respond?: ClusterResponder;
  private send?: BusSender;

  constructor(
    /** The backplane's channel prefix (its topic channels are `<prefix>:<topic>`, so these cannot collide). */
    prefix: string,
    private readonly timeoutMs: number,
    private readonly maxPending: number,
    private readonly logger?: () => WampLogger | undefined,
    /**
     * Shard channels: all of them on one slot (a hash tag, `{<prefix>#cluster}`), so that the
     * bus lives on one master, where SPUBLISH's count is every instance, and answers go where
     * requests go: with that master down, operations act on this instance only, at once.
     */
    sharded = false,
  ) {
    this.channelHead = sharded ? `{${prefix}#cluster}` : `${prefix}#cluster`;
    this.requestChannel = this.channelHead;
    this.answerChannel = this.answerChannelOf(this.instanceId);
  }

  /** The channels the backplane's subscriber must listen to. */
  get channels(): string[] {
    return [this.requestChannel, this.answerChannel];
  }

  /** Gives the bus the backplane's way to publish. */
  attach(send: BusSender): void {
    this.send = send;
  }

  serve(respond: ClusterResponder): void {
    this.respond = respond;
  }

  ask(request: ClusterRequest): Promise<unknown[]> {
    if (!this.send || this.pending.size >= this.maxPending) return Promise.resolve([]);
    const id = this.nextId++;
    const message: RequestMessage = { i: id, o: this.instanceId, r: request };
    const sent = this.send(this.requestChannel, JSON.stringify(message));
    if (!sent) return Promise.resolve([]);
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle(id), this.timeoutMs).unref();
      this.pending.set(id, { answers: [], received: 0, timer, resolve });
      sent.then(
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
    this.send = undefined;
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
    this.send?.(this.answerChannelOf(o), JSON.stringify(answer))?.catch(() => undefined);
  }

  private answerChannelOf(instance: string): string {
    return `${this.channelHead}:${instance}`;
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
