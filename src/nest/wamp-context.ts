import type { ArgumentsHost } from '@nestjs/common';
import type { WampInvocation } from '../core/invocation.js';
import { WAMP_CONTEXT_TYPE } from './wamp.constants.js';

/**
 * Whether an `ExecutionContext`/`ArgumentsHost` belongs to a WAMP handler. Global guards,
 * interceptors and filters run around WAMP handlers too; check this before reading an HTTP
 * request from the context.
 */
export function isWampContext(host: ArgumentsHost): boolean {
  return host.getType<string>() === WAMP_CONTEXT_TYPE;
}

/**
 * The invocation a WAMP handler is running for: its kind (`call`, `subscribe`, `publish`),
 * the session, the resolved URI, and the call's args or the publication's event. The context
 * arguments are `[session, invocation, uri]`, so `switchToWs().getClient()` is the session too.
 */
export function getWampInvocation(host: ArgumentsHost): WampInvocation {
  if (!isWampContext(host)) {
    throw new Error(`getWampInvocation() needs a WAMP context; this one is "${host.getType()}"`);
  }
  return host.getArgByIndex<WampInvocation>(1);
}
