import { WampErrorDescription, WampErrorUri } from '../protocol/error-uris.js';
import { errorMessage } from '../core/errors.js';
import type { WampCloseInfo } from '../core/wamp-session.js';
import { WampException } from '../core/wamp-exception.js';
import type { WampCallOutcome } from '../core/wamp-counters.js';

/** The CALLERROR a failed call gets. */
export interface CallErrorReply {
  readonly uri: string;
  readonly desc: string;
  readonly details?: unknown;
  /** Close the session this way after sending. */
  readonly kill?: WampCloseInfo;
  /** An unexpected failure: logged as an error, its message kept from the client by default. */
  readonly unexpected: boolean;
}

/** The one function that turns what a call's handler threw into its CALLERROR (the router is handed one). */
export type CallErrorMapper = (error: unknown) => CallErrorReply;

/**
 * The mapping every server has: a `WampException` gives its uri, desc and details, as thrown;
 * what `mapFramework` recognizes (the Nest module maps Nest's `HttpException`s) its answer;
 * anything else `error#internal` "internal error", with the error's message as details only when
 * `exposeInternalErrors` is set (clj-wamp always sends it).
 */
export function callErrorMapper(
  exposeInternalErrors: boolean,
  mapFramework: (error: unknown) => CallErrorReply | undefined = () => undefined,
): CallErrorMapper {
  return (error) => {
    if (error instanceof WampException) {
      return { uri: error.uri, desc: error.desc, details: error.details, kill: error.kill, unexpected: false };
    }
    return (
      mapFramework(error) ?? {
        uri: WampErrorUri.internal,
        desc: WampErrorDescription.internal,
        details: exposeInternalErrors ? errorMessage(error) : undefined,
        unexpected: true,
      }
    );
  };
}

/** Error URIs with a call outcome of their own (any other is `error`). */
const ERROR_OUTCOMES: ReadonlyMap<string, WampCallOutcome> = new Map<string, WampCallOutcome>([
  [WampErrorUri.internal, 'internal'],
  [WampErrorUri.unauthorized, 'unauthorized'],
  [WampErrorUri.notFound, 'not-found'],
  [WampErrorUri.busy, 'refused'],
  [WampErrorUri.invalidMessage, 'refused'],
]);

/** The outcome of a call answered with CALLERROR `uri`, for the counters. */
export function errorOutcome(uri: string): WampCallOutcome {
  return ERROR_OUTCOMES.get(uri) ?? 'error';
}
