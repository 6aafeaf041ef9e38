import { HttpException, HttpStatus } from '@nestjs/common';
import { WampErrorDescription, WampErrorUri } from '../protocol/error-uris.js';
import { callErrorMapper, type CallErrorMapper, type CallErrorReply } from '../router/call-error.js';

/**
 * The router's error mapping with Nest's `HttpException`s (what guards, pipes and app code
 * throw): 401 and 403, including a guard that returned false, → `error#unauthorized`
 * "unauthorized"; 400, e.g. a `ValidationPipe` failure → `error#invalid-argument` with its
 * message and the validation messages as details; any other status → `error#generic` with its
 * message. `WampException`s and unexpected errors as `callErrorMapper` says.
 */
export function nestCallErrorMapper(exposeInternalErrors: boolean): CallErrorMapper {
  return callErrorMapper(exposeInternalErrors, (error) => (error instanceof HttpException ? fromHttpException(error) : undefined));
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
