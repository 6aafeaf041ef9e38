import { resolveAuthOptions, type ResolvedAuthOptions } from '../auth/resolve-auth-options.js';
import { MemoryBackplane, type WampBackplane } from '../pubsub/backplane.js';
import { NEST_WAMP_VERSION } from '../version.js';
import type { WampOriginRule } from '../transport/handshake.js';
import type { ResolvedTraceOptions } from '../transport/frame-trace.js';
import type { WampModuleOptions, WampTopicRule } from './wamp-module-options.js';
import type { RouterLimits } from '../router/wamp-router.js';
import { isWellFormedPattern } from '../protocol/uri-pattern.js';
import { WampUriMap, type WampUriPair } from '../protocol/uri-map.js';
import { isValidUri } from '../protocol/v2/uri.js';
import type { PerMessageDeflateOptions } from '../websocket/permessage-deflate.js';

/** The router's limits and the connection's own. */
export interface ResolvedLimits extends RouterLimits {
  readonly fragmentsPerMessage: number;
}
import { WampOptionsError } from '../core/wamp-options-error.js';

/** The options with every default filled in and every value checked. */
export interface ResolvedWampOptions {
  readonly path: string;
  readonly port?: number;
  readonly host?: string;
  readonly allowedOrigins?: WampOriginRule;
  readonly allowMissingOrigin: boolean;
  readonly serverIdent: string;
  readonly topics: Readonly<Record<string, WampTopicRule>>;
  readonly maxPayload: number;
  readonly excludeMeByDefault: boolean;
  readonly exposeInternalErrors: boolean;
  readonly shutdownGraceMs: number;
  readonly auth?: ResolvedAuthOptions;
  readonly backplane: WampBackplane;
  readonly limits: ResolvedLimits;
  readonly slowConsumer: { readonly highWaterMark: number; readonly action: 'drop' | 'close'; readonly timeoutMs: number };
  readonly heartbeatIntervalMs: number;
  /** Absent when tracing is off. */
  readonly trace?: ResolvedTraceOptions;
  /** permessage-deflate; absent when compression is off (the default). */
  readonly compression?: PerMessageDeflateOptions;
  /** WAMP v2; absent when it is off (`v2: false`). */
  readonly v2?: ResolvedV2Options;
}

export interface ResolvedV2Options {
  readonly realm: string;
  readonly uris: readonly WampUriPair[];
}

/** The realm a v2 client gets when the `v2` option names none. */
export const DEFAULT_V2_REALM = 'realm1';

export const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/** Every key `WampModuleOptions` has (`isGlobal` is the module's own). */
const OPTION_KEYS: readonly (keyof WampModuleOptions | 'isGlobal')[] = [
  'path',
  'port',
  'host',
  'allowedOrigins',
  'allowMissingOrigin',
  'serverIdent',
  'topics',
  'maxPayload',
  'excludeMeByDefault',
  'exposeInternalErrors',
  'backplane',
  'auth',
  'limits',
  'slowConsumer',
  'heartbeatIntervalMs',
  'shutdownGraceMs',
  'trace',
  'compression',
  'v2',
  'isGlobal',
];
const LIMIT_KEYS = ['prefixes', 'subscriptions', 'uriLength', 'callsInFlight', 'queuedPubSub', 'fragmentsPerMessage', 'rate'];
const RATE_KEYS = ['messagesPerSecond', 'burst', 'onExceed'];
const SLOW_CONSUMER_KEYS = ['highWaterMark', 'action', 'timeoutMs'];
const COMPRESSION_KEYS = [
  'threshold',
  'level',
  'memLevel',
  'serverMaxWindowBits',
  'clientMaxWindowBits',
  'serverNoContextTakeover',
  'clientNoContextTakeover',
];

export function resolveWampOptions(options: WampModuleOptions = {}): ResolvedWampOptions {
  WampOptionsError.rejectUnknownKeys(options, OPTION_KEYS);
  if (options.limits) WampOptionsError.rejectUnknownKeys(options.limits, LIMIT_KEYS, 'limits.');
  if (options.limits?.rate) WampOptionsError.rejectUnknownKeys(options.limits.rate, RATE_KEYS, 'limits.rate.');
  if (options.slowConsumer) WampOptionsError.rejectUnknownKeys(options.slowConsumer, SLOW_CONSUMER_KEYS, 'slowConsumer.');
  const path = options.path === undefined ? '/ws' : options.path;
  if (typeof path !== 'string' || !path.startsWith('/') || path.includes('?')) {
    fail('path', 'a URL path starting with "/" and without a query', path);
  }
  if (options.port !== undefined && !(Number.isInteger(options.port) && options.port >= 0 && options.port <= 65535)) {
    fail('port', 'an integer from 0 to 65535', options.port);
  }
  const maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
  if (!Number.isInteger(maxPayload) || maxPayload <= 0) fail('maxPayload', 'a positive number of bytes', maxPayload);
  const shutdownGraceMs = options.shutdownGraceMs ?? 1000;
  if (!Number.isFinite(shutdownGraceMs) || shutdownGraceMs < 0) {
    fail('shutdownGraceMs', 'a number of milliseconds, 0 or more', shutdownGraceMs);
  }
  const origins = options.allowedOrigins;
  if (origins !== undefined && typeof origins !== 'function' && !isOriginList(origins)) {
    fail('allowedOrigins', 'an array of origin strings and RegExps, or a function', origins);
  }
  for (const flag of ['allowMissingOrigin', 'excludeMeByDefault', 'exposeInternalErrors'] as const) {
    if (options[flag] !== undefined && typeof options[flag] !== 'boolean') fail(flag, 'true or false', options[flag]);
  }
  if (options.serverIdent !== undefined && typeof options.serverIdent !== 'string') {
    fail('serverIdent', 'a string', options.serverIdent);
  }
  if (options.host !== undefined && (typeof options.host !== 'string' || options.host === '')) {
    fail('host', 'a non-empty string', options.host);
  }
  const limits = resolveLimits(options.limits ?? {});
  const slowConsumer = {
    highWaterMark: count(options.slowConsumer?.highWaterMark, DEFAULT_MAX_PAYLOAD, 'slowConsumer.highWaterMark'),
    action: options.slowConsumer?.action ?? 'drop',
    timeoutMs: count(options.slowConsumer?.timeoutMs, 30_000, 'slowConsumer.timeoutMs'),
  };
  if (slowConsumer.action !== 'drop' && slowConsumer.action !== 'close')
    fail('slowConsumer.action', '"drop" or "close"', slowConsumer.action);
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 30_000;
  if (!Number.isInteger(heartbeatIntervalMs) || heartbeatIntervalMs < 0) {
    fail('heartbeatIntervalMs', 'a whole number of milliseconds (0 disables)', heartbeatIntervalMs);
  }
  const backplane = options.backplane ?? new MemoryBackplane();
  if (!isBackplane(backplane)) fail('backplane', 'a WampBackplane (start, publish, watch, unwatch, close)', backplane);
  const topics = options.topics ?? {};
  for (const [pattern, rule] of Object.entries(topics)) {
    if (!pattern) fail('topics', 'non-empty topic URIs or patterns as keys', pattern);
    if (!isWellFormedPattern(pattern)) fail('topics', 'URIs, prefix patterns ending in "*" or "*" alone as keys', pattern);
    if (!isTopicRule(rule)) {
      fail(`topics["${pattern}"]`, 'true, false or { subscribe?: boolean, publish?: boolean }', rule);
    }
  }
  return {
    path,
    port: options.port,
    host: options.host,
    allowedOrigins: origins,
    allowMissingOrigin: options.allowMissingOrigin ?? true,
    serverIdent: options.serverIdent ?? `nest-wamp/${NEST_WAMP_VERSION}`,
    topics,
    maxPayload,
    excludeMeByDefault: options.excludeMeByDefault ?? false,
    exposeInternalErrors: options.exposeInternalErrors ?? false,
    shutdownGraceMs,
    auth: options.auth === undefined ? undefined : resolveAuthOptions(options.auth),
    backplane,
    limits,
    slowConsumer,
    heartbeatIntervalMs,
    trace: resolveTrace(options.trace),
    compression: resolveCompression(options.compression),
    v2: resolveV2(options.v2),
  };
}

const V2_KEYS = ['realm', 'uris'];

function resolveV2(given: WampModuleOptions['v2']): ResolvedV2Options | undefined {
  if (given === false) return undefined;
  if (given === undefined || given === true) return { realm: DEFAULT_V2_REALM, uris: [] };
  if (typeof given !== 'object' || given === null || Array.isArray(given)) fail('v2', 'true, false or { realm?, uris? }', given);
  WampOptionsError.rejectUnknownKeys(given, V2_KEYS, 'v2.');
  const realm = given.realm ?? DEFAULT_V2_REALM;
  if (typeof realm !== 'string' || !isValidUri(realm)) fail('v2.realm', 'a WAMP v2 URI (e.g. "realm1")', realm);
  const uris = given.uris ?? [];
  if (!Array.isArray(uris)) fail('v2.uris', 'an array of { v1, v2 } pairs', uris);
  try {
    new WampUriMap(uris);
  } catch (error) {
    fail('v2.uris', `{ v1, v2 } pairs of URIs or of prefixes ending in "*", each URI with one name (${(error as Error).message})`, uris);
  }
  return { realm, uris: [...uris] };
}

/** What `compression: true` means, and each field's default (README, "Compression"). */
export const DEFAULT_COMPRESSION: PerMessageDeflateOptions = {
  threshold: 1024,
  level: 6,
  memLevel: 8,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
  serverNoContextTakeover: true,
  clientNoContextTakeover: false,
};

function resolveCompression(compression: WampModuleOptions['compression']): PerMessageDeflateOptions | undefined {
  if (compression === undefined || compression === false) return undefined;
  const given = compression === true ? {} : compression;
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    fail('compression', 'true, false or { threshold?, level?, memLevel?, serverMaxWindowBits?, clientMaxWindowBits?, ... }', given);
  }
  WampOptionsError.rejectUnknownKeys(given, COMPRESSION_KEYS, 'compression.');
  const threshold = given.threshold ?? DEFAULT_COMPRESSION.threshold;
  if (!Number.isInteger(threshold) || threshold < 0) fail('compression.threshold', 'a whole number of bytes, 0 or more', threshold);
  for (const flag of ['serverNoContextTakeover', 'clientNoContextTakeover'] as const) {
    if (given[flag] !== undefined && typeof given[flag] !== 'boolean') fail(`compression.${flag}`, 'true or false', given[flag]);
  }
  return {
    threshold,
    level: integerIn(given.level, DEFAULT_COMPRESSION.level, 1, 9, 'compression.level'),
    memLevel: integerIn(given.memLevel, DEFAULT_COMPRESSION.memLevel, 1, 9, 'compression.memLevel'),
    serverMaxWindowBits: integerIn(
      given.serverMaxWindowBits,
      DEFAULT_COMPRESSION.serverMaxWindowBits,
      9,
      15,
      'compression.serverMaxWindowBits',
    ),
    clientMaxWindowBits: integerIn(
      given.clientMaxWindowBits,
      DEFAULT_COMPRESSION.clientMaxWindowBits,
      8,
      15,
      'compression.clientMaxWindowBits',
    ),
    serverNoContextTakeover: given.serverNoContextTakeover ?? DEFAULT_COMPRESSION.serverNoContextTakeover,
    clientNoContextTakeover: given.clientNoContextTakeover ?? DEFAULT_COMPRESSION.clientNoContextTakeover,
  };
}

/** A whole number from `min` to `max`, or the default when not given. */
function integerIn(value: number | undefined, fallback: number, min: number, max: number, option: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) fail(option, `a whole number from ${min} to ${max}`, value);
  return value;
}

const TRACE_LEVELS: ReadonlySet<unknown> = new Set(['verbose', 'debug', 'log']);

function resolveTrace(trace: WampModuleOptions['trace']): ResolvedTraceOptions | undefined {
  if (trace === undefined || trace === false) return undefined;
  if (trace === true) return { sink: 'debug', sessions: true, maskCalls: [] };
  if (typeof trace === 'function' || TRACE_LEVELS.has(trace)) {
    return { sink: trace as ResolvedTraceOptions['sink'], sessions: true, maskCalls: [] };
  }
  if (typeof trace !== 'object' || trace === null || Array.isArray(trace)) {
    fail('trace', 'true, false, "verbose", "debug", "log", a function or { sink?, sessions?, maskCalls? }', trace);
  }
  const { sink = 'debug', sessions = true, maskCalls = [], ...rest } = trace;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) fail(`trace.${unknown[0]}`, 'no such option (sink, sessions, maskCalls)', rest[unknown[0] as never]);
  if (typeof sink !== 'function' && !TRACE_LEVELS.has(sink)) fail('trace.sink', '"verbose", "debug", "log" or a function', sink);
  if (typeof sessions !== 'boolean' && typeof sessions !== 'function') fail('trace.sessions', 'true, false or a function', sessions);
  if (!Array.isArray(maskCalls) || !maskCalls.every((uri) => typeof uri === 'string' && uri !== '')) {
    fail('trace.maskCalls', 'an array of procedure URIs', maskCalls);
  }
  return { sink, sessions, maskCalls: [...maskCalls] };
}

function resolveLimits(limits: NonNullable<WampModuleOptions['limits']>): ResolvedLimits {
  const rate = limits.rate;
  if (rate !== undefined) {
    if (typeof rate !== 'object' || rate === null) fail('limits.rate', '{ messagesPerSecond, burst?, onExceed? }', rate);
    if (!(typeof rate.messagesPerSecond === 'number' && rate.messagesPerSecond > 0)) {
      fail('limits.rate.messagesPerSecond', 'a positive number', rate.messagesPerSecond);
    }
    if (rate.onExceed !== undefined && rate.onExceed !== 'close' && rate.onExceed !== 'drop') {
      fail('limits.rate.onExceed', '"close" or "drop"', rate.onExceed);
    }
  }
  return {
    prefixes: count(limits.prefixes, 256, 'limits.prefixes'),
    subscriptions: count(limits.subscriptions, 1024, 'limits.subscriptions'),
    uriLength: count(limits.uriLength, 2048, 'limits.uriLength'),
    callsInFlight: count(limits.callsInFlight, 128, 'limits.callsInFlight'),
    queuedPubSub: count(limits.queuedPubSub, 1024, 'limits.queuedPubSub'),
    fragmentsPerMessage: count(limits.fragmentsPerMessage, 1024, 'limits.fragmentsPerMessage'),
    rate: rate && {
      messagesPerSecond: rate.messagesPerSecond,
      burst: count(rate.burst, Math.max(1, Math.ceil(rate.messagesPerSecond)), 'limits.rate.burst'),
      onExceed: rate.onExceed ?? 'close',
    },
  };
}

/** A positive whole number, or the default when not given. */
function count(value: number | undefined, fallback: number, option: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) fail(option, 'a positive whole number', value);
  return value;
}

function isBackplane(value: unknown): value is WampBackplane {
  const methods = ['start', 'publish', 'watch', 'unwatch', 'close'] as const;
  return (
    typeof value === 'object' && value !== null && methods.every((name) => typeof (value as Record<string, unknown>)[name] === 'function')
  );
}

function isOriginList(value: unknown): boolean {
  return Array.isArray(value) && value.every((entry) => typeof entry === 'string' || entry instanceof RegExp);
}

function isTopicRule(rule: unknown): rule is WampTopicRule {
  if (typeof rule === 'boolean') return true;
  if (typeof rule !== 'object' || rule === null) return false;
  const { subscribe, publish, ...rest } = rule as Record<string, unknown>;
  return (
    Object.keys(rest).length === 0 &&
    (subscribe === undefined || typeof subscribe === 'boolean') &&
    (publish === undefined || typeof publish === 'boolean')
  );
}

function fail(option: string, expected: string, got: unknown): never {
  throw WampOptionsError.invalid(option, expected, got);
}
