/** The sample's settings, read from the environment once at startup. */
export interface SampleConfig {
  readonly host: string;
  readonly port: number;
  /** Exact origins, and regexes written `/.../` (each matched against the whole origin); undefined allows any origin. */
  readonly allowedOrigins?: Array<string | RegExp>;
  /** How long a session may stay unauthenticated (0: forever). */
  readonly authTimeoutMs: number;
  /** Share pub/sub with other instances through this Redis (`WAMP_REDIS_URL`); unset: one instance. */
  readonly redisUrl?: string;
  /** The Redis channels' prefix (`WAMP_REDIS_PREFIX`, default `nest-wamp`): apps sharing one Redis each use their own. */
  readonly redisPrefix?: string;
}

export function readSampleConfig(env: NodeJS.ProcessEnv = process.env): SampleConfig {
  return {
    host: env.HOST || '127.0.0.1',
    port: integer(env.PORT, 8080, 'PORT'),
    allowedOrigins: env.WAMP_ALLOWED_ORIGINS ? parseOrigins(env.WAMP_ALLOWED_ORIGINS) : undefined,
    authTimeoutMs: integer(env.WAMP_AUTH_TIMEOUT_MS, 20_000, 'WAMP_AUTH_TIMEOUT_MS'),
    redisUrl: env.WAMP_REDIS_URL || undefined,
    redisPrefix: env.WAMP_REDIS_PREFIX || undefined,
  };
}

export function parseOrigins(list: string): Array<string | RegExp> {
  return list
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => (entry.length > 1 && entry.startsWith('/') && entry.endsWith('/') ? new RegExp(entry.slice(1, -1)) : entry));
}

function integer(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`${name} must be a non-negative integer, got "${value}"`);
  return parsed;
}
