import { WampOptionsError } from '../core/wamp-options-error.js';
import type { WampAuthOptions } from './wamp-auth-options.js';

export type ResolvedAuthOptions = Required<Omit<WampAuthOptions, 'secret' | 'ticket' | 'handshake' | 'authorize'>> &
  Pick<WampAuthOptions, 'secret' | 'ticket' | 'handshake' | 'authorize'>;

const AUTH_KEYS: readonly (keyof WampAuthOptions)[] = [
  'secret',
  'ticket',
  'permissions',
  'authorize',
  'allowAnonymous',
  'timeoutMs',
  'maxAttempts',
  'failureDelayMs',
  'legacySignature',
  'handshake',
  'globalGuard',
];

export function resolveAuthOptions(auth: WampAuthOptions): ResolvedAuthOptions {
  if (typeof auth !== 'object' || auth === null) fail('auth', 'an object', auth);
  WampOptionsError.rejectUnknownKeys(auth, AUTH_KEYS, 'auth.');
  if (typeof auth.permissions !== 'function') fail('auth.permissions', 'a function (authKey, session) => permission map', auth.permissions);
  for (const hook of ['secret', 'ticket', 'handshake', 'authorize'] as const) {
    if (auth[hook] !== undefined && typeof auth[hook] !== 'function') fail(`auth.${hook}`, 'a function', auth[hook]);
  }
  for (const flag of ['allowAnonymous', 'legacySignature', 'globalGuard'] as const) {
    if (auth[flag] !== undefined && typeof auth[flag] !== 'boolean') fail(`auth.${flag}`, 'true or false', auth[flag]);
  }
  const timeoutMs = auth.timeoutMs ?? 20_000;
  const maxAttempts = auth.maxAttempts ?? 5;
  const failureDelayMs = auth.failureDelayMs ?? 1000;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 0) fail('auth.timeoutMs', 'a whole number of milliseconds (0 disables)', timeoutMs);
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) fail('auth.maxAttempts', 'a whole number, 1 or more', maxAttempts);
  if (!Number.isFinite(failureDelayMs) || failureDelayMs < 0)
    fail('auth.failureDelayMs', 'a number of milliseconds, 0 or more', failureDelayMs);
  return {
    secret: auth.secret,
    ticket: auth.ticket,
    permissions: auth.permissions,
    handshake: auth.handshake,
    authorize: auth.authorize,
    allowAnonymous: auth.allowAnonymous ?? false,
    legacySignature: auth.legacySignature ?? false,
    globalGuard: auth.globalGuard ?? true,
    timeoutMs,
    maxAttempts,
    failureDelayMs,
  };
}

function fail(option: string, expected: string, got: unknown): never {
  throw WampOptionsError.invalid(option, expected, got);
}
