import type { Redis } from 'ioredis';
import { atBatchEnd } from '../core/write-batch.js';

/**
 * What one Redis connection has sent and not yet heard back about. Redis answers a connection's
 * commands in order, so a connection that has commands waiting and has answered none of them for
 * a while is stalled (a hung or stopped Redis keeps the TCP connection up, and ioredis would wait,
 * and queue, forever), while one that answers slowly but steadily is only busy.
 */
export class ConnectionWatch {
  /** Events (PUBLISH commands) sent and not yet answered or failed. */
  events = 0;
  /** Payload bytes of those events. */
  bytes = 0;
  /** Commands waiting for an answer: the events and a health PING. */
  private waiting = 0;
  /** Since when commands have waited with no answer at all. */
  private waitingSince = 0;
  private pinging = false;
  /** Which socket of the connection the counts are about: a reconnect starts from zero. */
  private socket = 0;
  /** Whether the socket holds this batch's writes (`holdWrites`). */
  private holding = false;
  /** Whether nothing waited for an answer when the batch began holding. */
  private heldFromIdle = false;

  constructor(readonly connection: Redis) {
    // What was sent on a closed socket is gone from Redis's point of view; ioredis fails those
    // commands, but depending on its options only later or never, so they stop counting here.
    connection.on('close', () => {
      this.socket++;
      this.events = this.bytes = this.waiting = 0;
      this.pinging = false;
    });
  }

  /** Counts an event until Redis answers it; `onFailure` runs, with the error, when it fails instead. */
  trackEvent(reply: Promise<unknown>, bytes: number, onFailure: (error: unknown) => void): void {
    this.events++;
    this.bytes += bytes;
    this.track(
      reply,
      () => {
        this.events--;
        this.bytes -= bytes;
      },
      onFailure,
    );
  }

  /**
   * Holds what is written on the connection until the running batch of writes ends (see
   * core/write-batch.ts), so that the events one read from a client carried leave in one write:
   * Redis then reads them together and passes them on to each other instance in one write, and
   * that instance delivers them together, one write per subscriber, as this one does. Written one
   * by one, Redis (woken by the first) would pass them on one by one. When nothing was waiting
   * before, the wait for an answer starts as they leave: a batch that ran long (a busy event
   * loop) is not a stalled Redis.
   */
  holdWrites(): void {
    const stream = this.connection.stream;
    if (this.holding || !stream) return;
    this.holding = true;
    this.heldFromIdle = this.waiting === 0;
    stream.cork();
    atBatchEnd(() => {
      this.holding = false;
      stream.uncork();
      if (this.heldFromIdle && this.waiting > 0) this.waitingSince = Date.now();
    });
  }

  /** Sends a PING when none is waiting, so that a stall shows on an idle connection too (PING is valid in subscriber mode). */
  ping(): void {
    if (this.pinging || this.connection.status !== 'ready') return;
    this.pinging = true;
    this.track(this.connection.ping(), () => (this.pinging = false));
  }

  /** Whether commands have waited longer than `timeoutMs` with no answer. */
  stalled(timeoutMs: number): boolean {
    return this.waiting > 0 && Date.now() - this.waitingSince > timeoutMs;
  }

  private track(reply: Promise<unknown>, release: () => void, onFailure?: (error: unknown) => void): void {
    if (this.waiting++ === 0) this.waitingSince = Date.now();
    const socket = this.socket;
    const settled = (): void => {
      if (socket !== this.socket) return;
      this.waiting--;
      this.waitingSince = Date.now();
      release();
    };
    reply.then(settled, (error: unknown) => {
      settled();
      onFailure?.(error);
    });
  }
}
