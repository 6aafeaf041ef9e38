import { HttpException, HttpStatus } from '@nestjs/common';
import { WampErrorDescription, WampErrorUri } from '../protocol/error-uris.js';
import type { WampCloseInfo } from '../session/wamp-session.js';
import { WampException } from './wamp-exception.js';

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

/**
 * The one place an error becomes a CALLERROR:
 * - `WampException`: its uri, desc and details, as thrown;
 * - a Nest `HttpException` (what guards, pipes and app code throw): 401 and 403, including
 *   a guard that returned false, → `error#unauthorized` "unauthorized"; 400, e.g. a
 *   `ValidationPipe` failure → `error#invalid-argument` with its message and the validation
 *   messages as details; any other status → `error#generic` with its message;
 * - anything else → `error#internal` "internal error", with the error's message as details
 *   only when `exposeInternalErrors` is set (clj-wamp always sends it).
 */
export function toCallError(error: unknown, exposeInternalErrors: boolean): CallErrorReply {
  if (error instanceof WampException) {
    return { uri: error.uri, desc: error.desc, details: error.details, kill: error.kill, unexpected: false };
  }
  if (error instanceof HttpException) {
    return fromHttpException(error);
  }
  return {
    uri: WampErrorUri.internal,
    desc: WampErrorDescription.internal,
    details: exposeInternalErrors ? errorMessage(error) : undefined,
    unexpected: true,
  };
}

function fromHttpException(error: HttpException): CallErrorReply {
  const status = error.getStatus();
  if (status === HttpStatus.UNAUTHORIZED || status === HttpStatus.FORBIDDEN) {
    return { uri: WampErrorUri.unauthorized, desc: WampErrorDescription.unauthorized, unexpected: false };
  }
  if (status === HttpStatus.BAD_REQUEST) {
    const response = error.getResponse();
    const messages = typeof response === 'object' && response !== null ? (response as { message?: unknown }).message : undefined;
    return {
      uri: WampErrorUri.invalidArgument,
      desc: error.message,
      details: messages === error.message ? undefined : messages,
      unexpected: false,
    };
  }
  return { uri: WampErrorUri.generic, desc: error.message, unexpected: false };
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
