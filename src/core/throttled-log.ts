import type { WampLogger } from './wamp-logger.js';

/**
 * The log lines a client can provoke at will, one kind per cause. Each is written at most
 * `LOG_LINES_PER_MINUTE` times a minute; the rest are counted (`WampStats.logsSuppressed`).
 */
export const THROTTLED_LOG_KINDS = [
  /** A decorated handler threw something no exception filter handled and no `WampException` / `HttpException` (Nest would log each). */
  'handler-failed',
  /** A handler's result JSON cannot carry (a cycle, a BigInt, nesting deeper than the stack). */
  'unserializable-result',
  /** A SUBSCRIBE, UNSUBSCRIBE or PUBLISH handler failed outside its guard. */
  'pubsub-failed',
  /** A publication could not be delivered (its event cannot be serialized). */
  'publish-dropped',
  /** `auth.secret` threw or rejected. */
  'auth-secret-failed',
  /** `auth.permissions` threw, rejected or returned an invalid map. */
  'auth-permissions-failed',
  /** `auth.authorize` threw. */
  'auth-authorize-failed',
  /** A lifecycle hook threw or rejected. */
  'hook-failed',
  /** An origin rule or `auth.handshake` threw during a handshake. */
  'handshake-check-failed',
  /** Opening a session or handling one of its frames failed (a bug, but reached from the wire). */
  'session-failed',
  /** A peer that read nothing was cut off. */
  'slow-consumer-cut',
] as const;

export type ThrottledLogKind = (typeof THROTTLED_LOG_KINDS)[number];

export const LOG_LINES_PER_MINUTE = 10;
const WINDOW_MS = 60_000;

/** One kind's current minute. */
interface LogWindow {
  readonly startedAt: number;
  written: number;
  suppressed: number;
  /** Ends the window (with its summary line) once something was suppressed in it. */
  timer?: NodeJS.Timeout;
}

/**
 * A logger that passes everything through, plus `error`/`warn` by kind, rate limited: a client
 * that provokes the same failure a thousand times a second must not fill the disk nor drown
 * the lines that matter. Past the limit, lines are counted, and one line at the end of the
 * minute says how many were left out.
 */
export class ThrottledLog implements WampLogger {
  private readonly windows = new Map<ThrottledLogKind, LogWindow>();
  private readonly suppressedTotals = Object.fromEntries(THROTTLED_LOG_KINDS.map((kind) => [kind, 0])) as Record<ThrottledLogKind, number>;

  constructor(
    private readonly logger: WampLogger,
    private readonly linesPerMinute = LOG_LINES_PER_MINUTE,
  ) {}

  log(message: string): void {
    this.logger.log(message);
  }

  debug(message: string): void {
    this.logger.debug(message);
  }

  warn(message: string): void {
    this.logger.warn(message);
  }

  error(message: string, stack?: string): void {
    this.logger.error(message, stack);
  }

  /** An error line a client can provoke: written unless this kind already had its lines this minute. */
  limitedError(kind: ThrottledLogKind, message: string, stack?: string): void {
    if (this.admit(kind)) this.logger.error(message, stack);
  }

  /** A warning a client can provoke, limited as `limitedError`. */
  limitedWarn(kind: ThrottledLogKind, message: string): void {
    if (this.admit(kind)) this.logger.warn(message);
  }

  /** Lines left out since the start, by kind. */
  suppressed(): Record<ThrottledLogKind, number> {
    return { ...this.suppressedTotals };
  }

  /** Writes the pending summaries and stops the timers (on shutdown). */
  close(): void {
    for (const kind of [...this.windows.keys()]) this.endWindow(kind);
  }

  private admit(kind: ThrottledLogKind): boolean {
    const now = performance.now();
    let window = this.windows.get(kind);
    if (window && now - window.startedAt >= WINDOW_MS) {
      this.endWindow(kind);
      window = undefined;
    }
    if (!window) {
      window = { startedAt: now, written: 0, suppressed: 0 };
      this.windows.set(kind, window);
    }
    if (window.written < this.linesPerMinute) {
      window.written++;
      return true;
    }
    window.suppressed++;
    this.suppressedTotals[kind]++;
    // unref: a pending summary must not keep the process alive.
    window.timer ??= setTimeout(() => this.endWindow(kind), WINDOW_MS - (now - window.startedAt)).unref();
    return false;
  }

  private endWindow(kind: ThrottledLogKind): void {
    const window = this.windows.get(kind);
    if (!window) return;
    this.windows.delete(kind);
    clearTimeout(window.timer);
    if (window.suppressed > 0) {
      this.logger.warn(`${window.suppressed} more "${kind}" lines left out in the last minute (WampBroker.stats().logsSuppressed)`);
    }
  }
}
