import type { WampCloseInfo } from './wamp-session.js';

/** Options of a `WampException`. */
export interface WampExceptionOptions {
  /**
   * Close the session after the CALLERROR is sent: `true` closes with code 3000 ("killed by
   * the application"), or give the close code and reason.
   */
  readonly kill?: boolean | WampCloseInfo;
}

/**
 * Throw it from an RPC handler (or a guard, pipe, interceptor or filter around one) to answer
 * the call with `[4, callId, uri, desc, details]`. Details are left out when undefined. It is an
 * expected outcome: the handler pipeline does not log it as an error (as Nest's own
 * `IntrinsicException`s are not).
 */
const KILLED: WampCloseInfo = { code: 3000, reason: 'killed by the application' };

export class WampException extends Error {
  readonly kill: WampCloseInfo | undefined;

  constructor(
    readonly uri: string,
    readonly desc: string,
    readonly details?: unknown,
    options: WampExceptionOptions = {},
  ) {
    super(desc || uri);
    // Callers without types (plain JavaScript) may leave these out; the frame must stay valid.
    this.uri = String(uri);
    this.desc = desc === undefined || desc === null ? '' : String(desc);
    this.name = 'WampException';
    this.kill = options.kill === true ? KILLED : options.kill || undefined;
  }
}
