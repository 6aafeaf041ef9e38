import type { WampAuthOptions } from '../auth/wamp-auth-options.js';
import type { WampBackplane } from '../pubsub/backplane.js';
import type { WampOriginRule } from '../transport/handshake.js';
import type { WampTraceLevel, WampTraceOptions, WampTraceSink } from '../transport/frame-trace.js';

/** A static topic rule: `true`/`false` for both actions, or each one separately. */
import type { WampUriPair } from '../protocol/uri-map.js';

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

/**
 * permessage-deflate (RFC 7692): WebSocket messages compressed with DEFLATE, for clients that
 * offer it (browsers do). Every field is optional.
 *
 * Compression is synchronous, with one zlib context at a time for the whole process, freed after
 * each message: a connection keeps no zlib state, only the sliding windows of context takeover
 * (plain buffers, counted in `WampBroker.stats().bytesHeld`). What one connection keeps is at most
 * 2^clientWindowBits (0 with `clientNoContextTakeover`) + 2^serverMaxWindowBits (0 with
 * `serverNoContextTakeover`, the default) bytes; while one message is compressed, zlib uses about
 * 2^(serverMaxWindowBits + 2) + 2^(memLevel + 9) bytes (256 KiB at the defaults), while one is
 * inflated about 2^15 + 7 KiB, once for the whole process.
 *
 * `maxPayload` applies to the inflated size of a message as well as to its compressed bytes: a
 * message inflating beyond it (an inflate bomb) is cut there and closes the session with 1009
 * (counted as `oversize`); corrupt compressed data closes it with 1007 (counted as `malformed`).
 */
export interface WampCompressionOptions {
  /**
   * Text messages smaller than this many bytes (UTF-8) are sent uncompressed: compressing a small
   * message costs more time than it saves bytes. Default 1024; 0 compresses every message. A
   * message that deflate would not make smaller is sent uncompressed too.
   */
  threshold?: number;
  /** zlib compression level, 1 (fastest) to 9 (smallest). Default 6, zlib's own. */
  level?: number;
  /**
   * zlib memLevel, 1 to 9: the memory of the compressor's hash table, 2^(memLevel + 9) bytes
   * while a message is compressed (not kept between messages). Default 8.
   */
  memLevel?: number;
  /**
   * The LZ77 window the server compresses with, 2^n bytes, 9 to 15. Default 15 (32 KiB). A client
   * asking for a smaller one (`server_max_window_bits`) gets it; one asking for 8 bits is declined
   * (zlib cannot compress within 256 bytes) and the connection goes on uncompressed. With context
   * takeover (`serverNoContextTakeover: false`) it is also what each connection keeps.
   */
  serverMaxWindowBits?: number;
  /**
   * The largest LZ77 window clients may compress with, 2^n bytes, 8 to 15. Default 15. Only a
   * client that offers `client_max_window_bits` can be limited (browsers do); one that does not
   * uses 15. It is what the server keeps per connection for the client's context takeover.
   */
  clientMaxWindowBits?: number;
  /**
   * Whether the server compresses each message on its own (`server_no_context_takeover`), always
   * answered so. Default `true`: no window kept per connection, and an EVENT published to many
   * subscribers is compressed once for all of them. `false` compresses repetitive small messages
   * better, at the cost of 2^serverMaxWindowBits bytes per connection and one compression per
   * subscriber (a client that asks for no context takeover still gets it).
   */
  serverNoContextTakeover?: boolean;
  /**
   * Whether clients must compress each message on their own (`client_no_context_takeover`,
   * imposed in the answer). Default `false`: the server keeps the client's last 2^clientWindowBits
   * bytes per connection; `true` keeps nothing (and costs the clients' messages some ratio).
   */
  clientNoContextTakeover?: boolean;
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
  /**
   * permessage-deflate for clients that offer it: `true` with the defaults, or the settings (see
   * `WampCompressionOptions`). Default `false`: no extension is negotiated, and a frame with a
   * reserved bit set closes the connection (1002).
   */
  compression?: boolean | WampCompressionOptions;
  /**
   * WAMP v2 (`wamp.2.json`) on the same endpoint, from the same handlers: on by default with realm
   * `realm1`; `false` serves v1 only; `{ realm, uris }` chooses (see `WampV2Options`). A client
   * offering both `wamp` and `wamp.2.json` gets v2.
   */
  v2?: boolean | WampV2Options;
}

/** WAMP v2 on the endpoint (README, "WAMP v2"). */
export interface WampV2Options {
  /** The one realm served; a HELLO for another is refused (ABORT `wamp.error.no_such_realm`). Default `realm1`. */
  realm?: string;
  /**
   * The v2 names of v1 URIs, for procedures, topics and error URIs: exact pairs (`{ v1:
   * 'http://app/event#sub-only', v2: 'app.event.sub_only' }`) and prefix pairs ending in `*` on
   * both sides (`{ v1: 'http://app/rpc#*', v2: 'app.rpc.*' }`, the remainder kept as it is). A
   * handler decorator's `v2` option adds an exact pair for its URI. A URI without a pair has the
   * same name in both protocols.
   */
  uris?: readonly WampUriPair[];
}
