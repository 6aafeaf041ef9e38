import { MessageType, WAMP_PROTOCOL_VERSION } from './message-type.js';

/**
 * Encoders for the four messages a server sends. Each returns the text frame. A payload that
 * JSON cannot represent (a BigInt, a cycle) makes them throw; `undefined` becomes `null`, as
 * the spec requires a result and an event to be present.
 */

export function encodeWelcome(sessionId: string, serverIdent: string): string {
  return `[${MessageType.Welcome},${JSON.stringify(sessionId)},${WAMP_PROTOCOL_VERSION},${JSON.stringify(serverIdent)}]`;
}

export function encodeCallResult(callId: string, result: unknown): string {
  return `[${MessageType.CallResult},${JSON.stringify(callId)},${toJson(result)}]`;
}

/** Details are left out when null or undefined: the spec forbids a null errorDetails. */
export function encodeCallError(callId: string, uri: string, desc: string, details?: unknown): string {
  const head = `[${MessageType.CallError},${JSON.stringify(callId)},${JSON.stringify(uri)},${JSON.stringify(desc)}`;
  return details === undefined || details === null ? `${head}]` : `${head},${toJson(details)}]`;
}

export function encodeEvent(topic: string, event: unknown): string {
  return `[${MessageType.Event},${JSON.stringify(topic)},${toJson(event)}]`;
}

/** The JSON of values registered with `serializedOnce`. */
const serialized = new WeakMap<object, string>();

/**
 * Serializes `value` now, and reuses that JSON whenever it is sent as a result, an event or
 * error details. Only for values that never change, deeply (frozen): nothing checks it later.
 */
export function serializedOnce<T extends object>(value: T): T {
  serialized.set(value, JSON.stringify(value));
  return value;
}

function toJson(value: unknown): string {
  if (typeof value === 'object' && value !== null) {
    const json = serialized.get(value);
    if (json !== undefined) return json;
  }
  // JSON.stringify gives undefined (not a string) for undefined, functions and symbols.
  return JSON.stringify(value) ?? 'null';
}
