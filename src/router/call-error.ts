import { WampErrorDescription, WampErrorUri } from '../protocol/error-uris.js';
import { errorMessage } from '../core/errors.js';
import type { WampCloseInfo } from '../core/wamp-session.js';
import { WampException } from '../core/wamp-exception.js';
import type { WampCallOutcome } from '../core/wamp-counters.js';
import type { WampUriMap } from '../protocol/uri-map.js';
import { WampError } from '../protocol/v2/error-uris.js';

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

/** The WAMP v2 names of the api.wamp.ws error URIs that have one (others keep their v1 URI, a valid v2 URI too). */
const V2_ERROR_NAMES: ReadonlyMap<string, string> = new Map([
  [WampErrorUri.internal, WampError.runtimeError],
  [WampErrorUri.notFound, WampError.noSuchProcedure],
  [WampErrorUri.unauthorized, WampError.notAuthorized],
  [WampErrorUri.invalidArgument, WampError.invalidArgument],
]);

const V1_ERROR_NAMES: ReadonlyMap<string, string> = new Map([...V2_ERROR_NAMES].map(([v1, v2]) => [v2, v1]));

/**
 * The ERROR URI a v2 caller gets for a CALLERROR's `uri`: its pair in `uris` (the `v2.uris`
 * option), else the v2 name of an api.wamp.ws error (`error#internal` → `wamp.error.runtime_error`,
 * `#notfound` → `no_such_procedure`, `#unauthorized` → `not_authorized`, `#invalid-argument` →
 * `invalid_argument`), else the URI as it is.
 */
export function v2ErrorUri(uri: string, uris: WampUriMap): string {
  const paired = uris.toV2(uri);
  return paired !== uri ? paired : (V2_ERROR_NAMES.get(uri) ?? uri);
}

/** The CALLERROR URI a v1 caller gets for a v2 error URI (a callee's ERROR): the reverse of `v2ErrorUri`. */
export function v1ErrorUri(uri: string, uris: WampUriMap): string {
  const paired = uris.fromV2(uri);
  return paired !== uri ? paired : (V1_ERROR_NAMES.get(uri) ?? uri);
}
