import { DurationHistogram, type WampDurationHistogram } from './duration-histogram.js';
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

/** Why a WebSocket handshake on the WAMP path was refused (HTTP status in parentheses). */
export type HandshakeRefusalKind =
  /** Not a valid WebSocket opening handshake (400, 405, 426). */
  | 'not-websocket'
  /** A WebSocket upgrade for a path nobody serves (404). */
  | 'wrong-path'
  /** The client did not offer the `wamp` subprotocol (400). */
  | 'no-wamp-subprotocol'
  /** `allowedOrigins` refused the origin (403). */
  | 'origin'
  /** `auth.handshake` refused the request (401). */
  | 'unauthorized'
  /** An origin rule or `auth.handshake` threw (500; logged). */
  | 'check-failed'
  /** The server is shutting down (503). */
  | 'shutting-down';

const HANDSHAKE_REFUSAL_KINDS: readonly HandshakeRefusalKind[] = [
  'not-websocket',
  'wrong-path',
  'no-wamp-subprotocol',
  'origin',
  'unauthorized',
  'check-failed',
  'shutting-down',
];

/**
 * How a CALL was answered, told by the answer the caller got (`stats().calls`, the `outcome`
 * label of `wamp_calls_total`). Calls whose session ended before they were answered are not counted.
 */
export type WampCallOutcome =
  /** CALLRESULT. */
  | 'result'
  /** CALLERROR with any URI not listed below: what the application chose (a `WampException`, a mapped `HttpException`, a failed WAMP-CRA signature). */
  | 'error'
  /** CALLERROR `error#internal`: something unexpected was thrown, or the result was not JSON. */
  | 'internal'
  /** CALLERROR `error#unauthorized`: permissions, a guard, or a session not authenticated yet. */
  | 'unauthorized'
  /** CALLERROR `error#notfound`: no such procedure. */
  | 'not-found'
  /** CALLERROR `error#busy` or `error#invalid-message`: refused before any handler ran (a limit, a malformed or duplicate CALL). */
  | 'refused';

export const WAMP_CALL_OUTCOMES: readonly WampCallOutcome[] = Object.freeze([
  'result',
  'error',
  'internal',
  'unauthorized',
  'not-found',
  'refused',
]);

/**
 * Where the backplane stands: `none` for one that does not report a connection (`MemoryBackplane`,
 * the single-instance default), otherwise whether it reaches the other instances now.
 */
export type WampBackplaneState = 'none' | 'connected' | 'disconnected';

/** Where the server is in its life: listening (`serving`) only between the two. */
export type WampServerState = 'starting' | 'serving' | 'stopping' | 'stopped';

/** What the server has seen since it started, and what it holds now. */
export interface WampStats {
  /** `serving` from the moment WAMP listens until shutdown begins. */
  readonly state: WampServerState;
  /** Open sessions and topics with subscribers on this instance. */
  readonly sessions: number;
  readonly topics: number;
  readonly sessionsOpened: number;
  readonly sessionsClosed: number;
  /** Frames, calls and sessions refused by a limit or the protocol, by reason. */
  readonly refused: Readonly<Record<RefusalKind, number>>;
  /** WebSocket handshakes refused before a session opened, by reason. */
  readonly handshakesRefused: Readonly<Record<HandshakeRefusalKind, number>>;
  /** CALLs answered since the start, by outcome. */
  readonly calls: Readonly<Record<WampCallOutcome, number>>;
  /**
   * How long the calls took, by outcome: from the CALL being read to its answer being written
   * (refused calls count as 0), in the fixed buckets of `WAMP_CALL_DURATION_BUCKETS`.
   */
  readonly callDurations: Readonly<Record<WampCallOutcome, WampDurationHistogram>>;
  /** EVENT messages sent to this instance's sessions (one per recipient), whichever instance published them. */
  readonly eventsDelivered: number;
  /** EVENTs not sent to a session whose socket buffer was over `slowConsumer.highWaterMark`. */
  readonly eventsDropped: number;
  /** The backplane's connection, and the events it could not hand to the other instances (as it counts them; 0 when it does not). */
  readonly backplane: { readonly state: WampBackplaneState; readonly eventsDropped: number };
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
  eventsDelivered = 0;
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

  readonly handshakesRefused = Object.fromEntries(HANDSHAKE_REFUSAL_KINDS.map((kind) => [kind, 0])) as Record<HandshakeRefusalKind, number>;

  /** Call durations by outcome; their counts are the calls. */
  readonly calls = Object.fromEntries(WAMP_CALL_OUTCOMES.map((outcome) => [outcome, new DurationHistogram()])) as Record<
    WampCallOutcome,
    DurationHistogram
  >;

  /** A CALL was answered: `milliseconds` after it was read (0 for one refused at once). */
  answered(outcome: WampCallOutcome, milliseconds: number): void {
    this.calls[outcome].observe(milliseconds / 1000);
  }

  refuse(kind: RefusalKind): void {
    this.refused[kind]++;
  }

  refuseHandshake(kind: HandshakeRefusalKind): void {
    this.handshakesRefused[kind]++;
  }
}
