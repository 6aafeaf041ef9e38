import type { ThrottledLogKind } from './throttled-log.js';

/** Why a frame or a session was refused, for the counters (see README, "Limits"). */
export type RefusalKind =
  | 'invalid-json'
  | 'malformed'
  | 'too-long'
  | 'binary'
  | 'oversize'
  | 'too-many-prefixes'
  | 'too-many-subscriptions'
  | 'calls-in-flight'
  | 'pubsub-backlog'
  | 'rate-limited'
  | 'heartbeat-timeout'
  | 'slow-consumer';

/** What the server has seen since it started, and what it holds now. */
export interface WampStats {
  /** Open sessions and topics with subscribers on this instance. */
  readonly sessions: number;
  readonly topics: number;
  readonly sessionsOpened: number;
  readonly sessionsClosed: number;
  /** Frames, calls and sessions refused by a limit or the protocol, by reason. */
  readonly refused: Readonly<Record<RefusalKind, number>>;
  /** EVENTs not sent to a session whose socket buffer was over `slowConsumer.highWaterMark`. */
  readonly eventsDropped: number;
  /** The most bytes one session had waiting in its socket buffer when an event was sent to it. */
  readonly maxBufferedBytes: number;
  /**
   * Bytes the server holds now for all open connections: frames being read, messages being
   * joined, and what waits to be written (see README, "What one connection can cost").
   */
  readonly bytesHeld: number;
  /** Log lines a client provoked beyond the limit per kind and minute, left out, by kind (see `ThrottledLog`). */
  readonly logsSuppressed: Readonly<Record<ThrottledLogKind, number>>;
}

/** The running counts behind `WampStats`. */
export class WampCounters {
  sessionsOpened = 0;
  sessionsClosed = 0;
  eventsDropped = 0;
  maxBufferedBytes = 0;
  readonly refused: Record<RefusalKind, number> = {
    'invalid-json': 0,
    malformed: 0,
    'too-long': 0,
    binary: 0,
    oversize: 0,
    'too-many-prefixes': 0,
    'too-many-subscriptions': 0,
    'calls-in-flight': 0,
    'pubsub-backlog': 0,
    'rate-limited': 0,
    'heartbeat-timeout': 0,
    'slow-consumer': 0,
  };

  refuse(kind: RefusalKind): void {
    this.refused[kind]++;
  }
}
