/** Options of a `WampException`. */
export interface WampExceptionOptions {
  /** Close the session (code 3000) after the CALLERROR is sent. */
  readonly kill?: boolean;
}

/**
 * Throw it from an RPC handler (or a guard, pipe, interceptor or filter around one) to answer
 * the call with `[4, callId, uri, desc, details]`. Details are left out when undefined.
 */
export class WampException extends Error {
  readonly kill: boolean;

  constructor(
    readonly uri: string,
    readonly desc: string,
    readonly details?: unknown,
    options: WampExceptionOptions = {},
  ) {
    super(desc || uri);
    this.name = 'WampException';
    this.kill = options.kill ?? false;
  }
}
