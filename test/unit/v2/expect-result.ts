import {
  decodeMessage,
  type DecodeOptions,
  type DecodeResult,
  type ProtocolViolation,
  type RequestError,
} from '../../../src/protocol/v2/decode.js';
import type { WampMessage } from '../../../src/protocol/v2/messages.js';

/** Decodes a frame given as a JS value (JSON-encoded first). */
export const decodeValue = (value: unknown, options?: DecodeOptions): DecodeResult => decodeMessage(JSON.stringify(value), options);

export function expectMessage(result: DecodeResult): WampMessage {
  if (result.kind !== 'message') throw new Error(`expected a message, got ${JSON.stringify(result)}`);
  return result.message;
}

export function expectViolation(result: DecodeResult): ProtocolViolation {
  if (result.kind !== 'violation') throw new Error(`expected a violation, got ${JSON.stringify(result)}`);
  return result.violation;
}

export function expectRequestError(result: DecodeResult): RequestError {
  if (result.kind !== 'request-error') throw new Error(`expected a request error, got ${JSON.stringify(result)}`);
  return result.error;
}
