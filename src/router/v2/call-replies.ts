import type { WampUriMap } from '../../protocol/uri-map.js';
import { encodeError, encodeResult } from '../../protocol/v2/encode.js';
import { type ErrorRequestType, MessageCode } from '../../protocol/v2/message-code.js';
import { type CallErrorReply, v2ErrorUri } from '../call-error.js';

/**
 * ERROR for a request the router refuses (a rule, a permission, a limit, an invalid URI): one
 * shape for the broker, the dealer and the router, the explanation as the one argument, where
 * clients show it (Autobahn|JS: `error.args[0]`).
 */
export function encodeRefusal(type: ErrorRequestType, request: number, error: string, message: string): string {
  return encodeError(type, request, {}, error, [message]);
}

/**
 * How a server procedure's answer reaches a v2 caller, whose call is pending under the CALL's
 * request id in decimal (`callId`). RESULT carries the value as its one argument
 * (`[50, request, {}, [P]]`); `undefined` gives a RESULT without arguments.
 */
export function encodeV2CallResult(callId: string, result: unknown): string {
  return encodeResult(Number(callId), {}, result === undefined ? undefined : [result]);
}

/**
 * ERROR for a v2 caller from a CALLERROR: the URI's v2 name (`v2ErrorUri`), with Arguments
 * `[desc]`, or `[desc, details]` when there are details. Details JSON cannot carry are dropped
 * rather than the answer.
 */
export function encodeV2CallError(callId: string, error: Omit<CallErrorReply, 'unexpected'>, uris: WampUriMap): string {
  const request = Number(callId);
  const uri = v2ErrorUri(error.uri, uris);
  if (error.details === undefined || error.details === null) return encodeError(MessageCode.Call, request, {}, uri, [error.desc]);
  try {
    return encodeError(MessageCode.Call, request, {}, uri, [error.desc, error.details]);
  } catch {
    return encodeError(MessageCode.Call, request, {}, uri, [error.desc]);
  }
}
