import type { WampAuthOptions } from '../auth/wamp-auth-options.js';
import type { WampBackplane } from '../pubsub/backplane.js';
import type { WampOriginRule } from '../transport/handshake.js';
import type { WampTraceLevel, WampTraceOptions, WampTraceSink } from '../transport/frame-trace.js';

/** A static topic rule: `true`/`false` for both actions, or each one separately. */
export type WampTopicRule = boolean | { readonly subscribe?: boolean; readonly publish?: boolean };

/** Per-session limits: what one client may make the server hold or do. */
export interface WampLimits {
  /** CURI prefixes one session may define. Default 256; one more closes the session (1008). */
  prefixes?: number;
  /** Topics one session may be subscribed to. Default 1024; a SUBSCRIBE beyond is ignored. */
  subscriptions?: number;
  /**
   * Characters of a URI, CURI, prefix or call id. Default 2048; a longer procedure URI gets a
   * CALLERROR (`error#invalid-message`), anything else longer closes the session (1008).
   */
  uriLength?: number;
  /** Calls one session may have in flight. Default 128; a CALL beyond gets CALLERROR `error#busy`. */
  callsInFlight?: number;
  /** SUBSCRIBE/UNSUBSCRIBE/PUBLISH waiting for a slow handler. Default 1024; one more closes the session (1008). */
  queuedPubSub?: number;
  /**
   * WebSocket frames one message may come in (the first and its continuations, empty ones too).
   * Default 1024; one more closes the connection (1009).
   */
  fragmentsPerMessage?: number;
  /**
   * A token bucket per session (off by default): `messagesPerSecond` sustained, `burst` at once
   * (default the same). Beyond it, `onExceed: 'close'` (default) closes the session (1008);
   * `'drop'` ignores the frame (a CALL gets CALLERROR `error#busy`).
   */
  rate?: { messagesPerSecond: number; burst?: number; onExceed?: 'close' | 'drop' };
}

/** What to do with a peer that does not read what is sent to it as fast as it comes. */
export interface WampSlowConsumerOptions {
  /**
   * Bytes written to a session and not yet taken by the kernel (results, errors, pongs, events,
   * close) above which it gets no more EVENTs and is no longer read until they have gone out.
   * Default 1 MiB.
   */
  highWaterMark?: number;
  /** `'drop'` (default): skip an event for that session and count it; `'close'`: close the session (1008). */
  action?: 'drop' | 'close';
  /** How long the backlog may stay above the mark before the connection is cut (logged). Default 30000 ms. */
  timeoutMs?: number;
}

/** Everything `WampModule.forRoot()` accepts. Every field is optional. */
export interface WampModuleOptions {
  /** The WebSocket path. Default `/ws`. */
  path?: string;
  /**
   * Serve WAMP on a port of its own instead of the app's HTTP server (the default, which
   * needs no extra port). `0` picks a free port; `WampBroker.address` tells which.
   */
  port?: number;
  /** The interface the own port binds to. Default: all interfaces, as Node's `listen`. */
  host?: string;
  /**
   * Origins allowed to connect: exact origins and regular expressions, or a function
   * `(origin, request) => boolean | Promise<boolean>`. Default: any origin. A refused origin
   * gets HTTP 403.
   */
  allowedOrigins?: WampOriginRule;
  /** Whether a client that sends no Origin header (not a browser) may connect. Default `true`. */
  allowMissingOrigin?: boolean;
  /** The server ident WELCOME carries. Default `nest-wamp/<version>`. */
  serverIdent?: string;
  /**
   * Topics allowed or denied without writing a handler, by exact URI, prefix pattern
   * (`http://x/feed/*`) or catch-all (`*`): `{ 'http://x/chat': true,
   * 'http://x/ticks': { subscribe: true, publish: false } }`.
   */
  topics?: Readonly<Record<string, WampTopicRule>>;
  /** Largest accepted frame in bytes; a larger one closes the session with 1009. Default 1 MiB. */
  maxPayload?: number;
  /**
   * Whether a PUBLISH that says nothing about the publisher (no excludeMe, no exclude list)
   * skips the publisher. Default `false`: the publisher gets its own event, as in clj-wamp and
   * the spec; `true` is AutobahnPython's default.
   */
  excludeMeByDefault?: boolean;
  /**
   * Put an unexpected error's message into CALLERROR details (clj-wamp does). Default `false`:
   * clients get "internal error" and the message goes to the log only.
   */
  exposeInternalErrors?: boolean;
  /**
   * How several instances of the app share pub/sub: `new RedisBackplane({ url })` from
   * `nest-wamp/redis`, or your own `WampBackplane`. Default: one instance, in memory.
   */
  backplane?: WampBackplane;
  /** WAMP-CRA authentication and permissions (see README, "Authentication"). Default: none, everyone may do everything. */
  auth?: WampAuthOptions;
  /** Per-session limits (see `WampLimits`); each has a default. */
  limits?: WampLimits;
  /** Slow subscribers: their events are dropped (default) or they are closed. */
  slowConsumer?: WampSlowConsumerOptions;
  /**
   * How often each session is pinged (WebSocket ping); a peer that has not answered the previous
   * ping by the next one is cut off and cleaned up. Default 30000 ms; 0 disables.
   */
  heartbeatIntervalMs?: number;
  /** On shutdown, how long sessions get to finish the closing handshake before being cut. Default 1000 ms. */
  shutdownGraceMs?: number;
  /**
   * The frame trace: every WAMP message in and out of the traced sessions, WAMP-CRA signatures
   * masked. `true` traces every session at the `debug` level, a level (`'verbose'`, `'debug'`,
   * `'log'`) or a function every session there; `{ sink, sessions, maskCalls }` chooses (see
   * `WampTraceOptions`; `sessions: false` traces nobody until turned on for one). Default: off,
   * at no cost.
   */
  trace?: boolean | WampTraceLevel | WampTraceSink | WampTraceOptions;
}
