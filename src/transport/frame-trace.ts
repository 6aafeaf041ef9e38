import { errorMessage } from '../core/errors.js';
import type { WampLogger } from '../core/wamp-logger.js';
import type { WampSession } from '../core/wamp-session.js';
import { CraProcedure } from '../protocol/cra-uris.js';
import { MessageType } from '../protocol/message-type.js';
import type { WampUriMap } from '../protocol/uri-map.js';
import { MessageCode } from '../protocol/v2/message-code.js';
import type { ServerSession } from '../session/server-session.js';
import type { TextFrame } from '../websocket/frames.js';
import type { SentTap, WebSocketConnection } from '../websocket/websocket-connection.js';

/** A Nest logger level the trace can be written at. */
export type WampTraceLevel = 'verbose' | 'debug' | 'log';

/** One WAMP message of a traced session, secrets masked. */
export interface WampTraceEntry {
  readonly sessionId: string;
  /** `'in'`: from the client (as received, each message once); `'out'`: to it. */
  readonly direction: 'in' | 'out';
  /** The message's JSON text (a CALL with secret arguments re-serialized with them masked). */
  readonly text: string;
}

/** Receives every entry of the trace. What it throws is logged once and otherwise ignored. */
export type WampTraceSink = (entry: WampTraceEntry) => void;

/** The `trace` option in full. */
export interface WampTraceOptions {
  /** Where entries go: a Nest logger level (default `'debug'`, the `WampModule` logger) or a function. */
  sink?: WampTraceLevel | WampTraceSink;
  /**
   * Which sessions are traced from their start: `true` (default) every one, `false` none (only
   * those turned on later), or a predicate asked once per session, right after its WELCOME (its
   * id, handshake and a handshake identity are known; WELCOME is traced when it answers true).
   */
  sessions?: boolean | ((session: WampSession) => boolean);
  /** Procedure URIs whose CALL arguments are masked, besides WAMP-CRA's `auth` (always masked). */
  maskCalls?: readonly string[];
}

/** `trace` as resolved: absent when tracing is off. */
export interface ResolvedTraceOptions {
  readonly sink: WampTraceLevel | WampTraceSink;
  readonly sessions: boolean | ((session: WampSession) => boolean);
  readonly maskCalls: readonly string[];
}

/** What a masked argument shows. */
export const MASKED = '***';

type Connection = WebSocketConnection<ServerSession>;

/** The connection and trace of every session of a server that has a trace, for turning it on and off later. */
const traceable = new WeakMap<WampSession, { readonly connection: Connection; readonly trace: FrameTrace }>();

/**
 * Turns the frame trace of one open session on or off, from now on (`WampBroker` offers it). False
 * when the session's server has no `trace` option (there is nowhere to write to) or the
 * session is closed.
 */
export function traceSession(session: WampSession, enabled: boolean): boolean {
  const found = traceable.get(session);
  if (found === undefined || found.connection.state !== 'open') return false;
  found.connection.tap = enabled ? found.trace : undefined;
  return true;
}

/** Whether an open session's frames are traced now. */
export function isSessionTraced(session: WampSession): boolean {
  const found = traceable.get(session);
  return found !== undefined && found.connection.state === 'open' && found.connection.tap !== undefined;
}

/**
 * The frame trace of one server (the `trace` option). A traced connection carries it as its
 * `tap`; an untraced one carries nothing, so that a session not traced costs one check per
 * message in and out, and a server without the option no more. Entries are built only for
 * traced sessions.
 */
export class FrameTrace implements SentTap<ServerSession> {
  private readonly masked: ReadonlySet<string>;
  /** The connection being opened, and what it sent before its session was known (WELCOME). */
  private openingConnection: Connection | undefined = undefined;
  private sentWhileOpening: Array<string | TextFrame> = [];
  private sinkFailed = false;
  private predicateFailed = false;

  constructor(
    private readonly options: ResolvedTraceOptions,
    private readonly logger: WampLogger & { verbose?(message: string): void },
    /** The server's names of v2 URIs, for the procedures whose CALL arguments are masked; none: v2 names are the server's. */
    private readonly uris?: WampUriMap,
  ) {
    this.masked = new Set([CraProcedure.auth, ...options.maskCalls]);
  }

  /** A connection is about to get its session: hear what it sends meanwhile when the session may be traced. */
  opening(connection: Connection): void {
    if (this.options.sessions === false) return;
    this.openingConnection = connection;
    this.sentWhileOpening = [];
    connection.tap = this;
  }

  /** The connection has its session: trace it from now on (with what it was sent already), or not. */
  opened(connection: Connection): void {
    const session = connection.owner;
    traceable.set(session, { connection, trace: this });
    const sent = this.sentWhileOpening;
    this.openingConnection = undefined;
    this.sentWhileOpening = [];
    if (this.options.sessions === false) return;
    if (!this.selects(session)) {
      connection.tap = undefined;
      return;
    }
    for (const message of sent) this.sent(connection, message);
  }

  /** A message from a traced session's client (called before the router handles it). */
  received(connection: Connection, payload: Buffer, isBinary: boolean): void {
    const session = connection.owner;
    const text = isBinary ? `<binary, ${payload.length} bytes>` : this.masking(session, payload.toString('utf8'));
    this.write({ sessionId: session.id, direction: 'in', text });
  }

  /** A message to a traced session's client. */
  sent(connection: Connection, message: string | TextFrame): void {
    if (connection === this.openingConnection) {
      this.sentWhileOpening.push(message);
      return;
    }
    const text = typeof message === 'string' ? message : framePayload(message);
    this.write({ sessionId: connection.owner.id, direction: 'out', text });
  }

  private selects(session: ServerSession): boolean {
    const sessions = this.options.sessions;
    if (typeof sessions !== 'function') return sessions;
    try {
      return sessions(session) === true;
    } catch (error) {
      // Every new connection would log it again: once is enough.
      if (!this.predicateFailed) {
        this.predicateFailed = true;
        this.logger.error(`trace.sessions threw (logged once; such sessions are not traced): ${errorMessage(error)}`);
      }
      return false;
    }
  }

  /**
   * The text, or the message re-serialized with its secrets masked: a CALL of a masked procedure
   * (its arguments; in v2 each element of Arguments and each value of ArgumentsKw), a v2
   * AUTHENTICATE (its WAMP-CRA signature or ticket).
   */
  private masking(session: ServerSession, text: string): string {
    if (session.protocolVersion === 2) return LOOKS_LIKE_CALL_2.test(text) ? this.maskingCall2(text) : maskingAuthenticate(text);
    if (!LOOKS_LIKE_CALL.test(text)) return text;
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return text;
    }
    if (!Array.isArray(message) || message[0] !== MessageType.Call || typeof message[2] !== 'string') return text;
    if (!this.masked.has(session.resolve(message[2])) || message.length <= 3) return text;
    return JSON.stringify([...message.slice(0, 3), ...message.slice(3).map(() => MASKED)]);
  }

  /** A v2 CALL `[48, request, options, procedure, args?, kwargs?]` with its payload masked when it calls a masked procedure. */
  private maskingCall2(text: string): string {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return text;
    }
    if (!Array.isArray(message) || message[0] !== MessageCode.Call || typeof message[3] !== 'string' || message.length <= 4) return text;
    const procedure = this.uris ? this.uris.fromV2(message[3]) : message[3];
    if (!this.masked.has(procedure)) return text;
    const [args, kwargs] = message.slice(4) as unknown[];
    const masked: unknown[] = [...message.slice(0, 4), Array.isArray(args) ? args.map(() => MASKED) : MASKED];
    if (message.length > 5) {
      masked.push(
        typeof kwargs === 'object' && kwargs !== null && !Array.isArray(kwargs)
          ? Object.fromEntries(Object.keys(kwargs).map((key) => [key, MASKED]))
          : MASKED,
      );
    }
    return JSON.stringify(masked);
  }

  private write(entry: WampTraceEntry): void {
    const sink = this.options.sink;
    if (typeof sink === 'function') {
      try {
        sink(entry);
      } catch (error) {
        if (this.sinkFailed) return;
        this.sinkFailed = true;
        this.logger.error(`the trace sink threw (logged once, the trace goes on): ${errorMessage(error)}`, (error as Error)?.stack);
      }
      return;
    }
    const line = `session ${entry.sessionId} ${entry.direction === 'in' ? 'in ' : 'out'} ${entry.text}`;
    if (sink === 'log') this.logger.log(line);
    else if (sink === 'verbose' && this.logger.verbose) this.logger.verbose(line);
    else this.logger.debug(line);
  }
}

/** Builds a server's trace, or nothing when the option is off. */
export function frameTrace(options: ResolvedTraceOptions | undefined, logger: WampLogger, uris?: WampUriMap): FrameTrace | undefined {
  return options && new FrameTrace(options, logger, uris);
}

/** Only a message whose text starts as a CALL is parsed to look for secrets. */
const LOOKS_LIKE_CALL = /^\s*\[\s*2\s*,/;
/** In v2, only one whose text starts as a CALL or an AUTHENTICATE. */
const LOOKS_LIKE_CALL_2 = /^\s*\[\s*48\s*,/;
const LOOKS_LIKE_AUTHENTICATE = /^\s*\[\s*5\s*,/;

/** A v2 AUTHENTICATE with its signature (or ticket) masked; anything else as it is. */
function maskingAuthenticate(text: string): string {
  if (!LOOKS_LIKE_AUTHENTICATE.test(text)) return text;
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    // Unparsable: it may still carry a secret; the router refuses it as a protocol violation.
    return `[5,"${MASKED}",<unparsable>]`;
  }
  if (!Array.isArray(message) || message[0] !== MessageCode.Authenticate || message.length < 2) return text;
  return JSON.stringify([MessageCode.Authenticate, MASKED, ...message.slice(2)]);
}

/** The text of a complete, unmasked text frame built by `textFrame`. */
function framePayload(frame: TextFrame): string {
  const length = frame[1] & 0x7f;
  return frame.toString('utf8', length < 126 ? 2 : length === 126 ? 4 : 10);
}
