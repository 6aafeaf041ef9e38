import { MessageType } from './message-type.js';
import type { ClientMessage, PublishMessage } from './messages.js';

/**
 * Why a frame was refused. A CALL whose call id could be read is answered with a CALLERROR
 * carrying `callId` and the session goes on; any other violation closes the session (with the
 * close code the router gives its kind), since the server can no longer tell what the client meant.
 */
export interface ProtocolViolation {
  /** For counting: text that is no JSON, a message of the wrong shape, or a URI over the length limit. */
  readonly kind: 'invalid-json' | 'malformed' | 'too-long';
  readonly reason: string;
  readonly callId?: string;
}

export type DecodeResult =
  { readonly ok: true; readonly message: ClientMessage } | { readonly ok: false; readonly violation: ProtocolViolation };

const violation = (reason: string, kind: ProtocolViolation['kind'] = 'malformed'): DecodeResult => ({
  ok: false,
  violation: { kind, reason },
});

const tooLong = (maxUriLength: number): DecodeResult =>
  violation(`URIs, CURIs, prefixes and call ids are limited to ${maxUriLength} characters`, 'too-long');

const SERVER_ONLY_TYPES: ReadonlySet<unknown> = new Set([
  MessageType.Welcome,
  MessageType.CallResult,
  MessageType.CallError,
  MessageType.Event,
]);

/**
 * Decodes one text frame from a client. Never throws. Strings a client uses as keys (URIs,
 * CURIs, prefixes, call ids) longer than `maxUriLength` are refused.
 */
export function decodeClientMessage(text: string, maxUriLength = Number.POSITIVE_INFINITY): DecodeResult {
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    return violation('invalid JSON', 'invalid-json');
  }
  if (!Array.isArray(frame) || frame.length === 0) {
    return violation('a WAMP message is a non-empty JSON array');
  }
  switch (frame[0]) {
    case MessageType.Prefix:
      return decodePrefix(frame, maxUriLength);
    case MessageType.Call:
      return decodeCall(frame, maxUriLength);
    case MessageType.Subscribe:
    case MessageType.Unsubscribe:
      return decodeTopicMessage(frame, frame[0], maxUriLength);
    case MessageType.Publish:
      return decodePublish(frame, maxUriLength);
    default:
      return SERVER_ONLY_TYPES.has(frame[0])
        ? violation(`message type ${frame[0]} is sent by servers only`)
        : violation('unknown message type');
  }
}

function decodePrefix(frame: unknown[], maxUriLength: number): DecodeResult {
  const [, prefix, uri] = frame;
  if (frame.length !== 3 || typeof prefix !== 'string' || typeof uri !== 'string') {
    return violation('PREFIX is [1, prefix: string, uri: string]');
  }
  if (prefix.length > maxUriLength || uri.length > maxUriLength) return tooLong(maxUriLength);
  return { ok: true, message: { type: MessageType.Prefix, prefix, uri } };
}

function decodeCall(frame: unknown[], maxUriLength: number): DecodeResult {
  const [, callId, uri] = frame;
  if (typeof callId !== 'string') {
    return violation('CALL without a string call id');
  }
  if (callId.length > maxUriLength) return tooLong(maxUriLength);
  if (typeof uri !== 'string') {
    return {
      ok: false,
      violation: { kind: 'malformed', reason: 'CALL without a string procedure URI', callId },
    };
  }
  if (uri.length > maxUriLength) {
    const reason = `procedure URIs are limited to ${maxUriLength} characters`;
    return { ok: false, violation: { kind: 'too-long', reason, callId } };
  }
  return { ok: true, message: { type: MessageType.Call, callId, uri, args: frame.slice(3) } };
}

function decodeTopicMessage(
  frame: unknown[],
  type: typeof MessageType.Subscribe | typeof MessageType.Unsubscribe,
  maxUriLength: number,
): DecodeResult {
  const topic = frame[1];
  if (frame.length !== 2 || typeof topic !== 'string') {
    const name = type === MessageType.Subscribe ? 'SUBSCRIBE' : 'UNSUBSCRIBE';
    return violation(`${name} is [${type}, topic: string]`);
  }
  if (topic.length > maxUriLength) return tooLong(maxUriLength);
  return { ok: true, message: { type, topic } };
}

/**
 * The 4th element is excludeMe (boolean) or an exclude list; the 5th an eligible list. Any
 * other value there (AutobahnPython's client sends `null`) leaves the default, as
 * AutobahnPython does; list entries that are not strings can match no session and are dropped.
 */
function decodePublish(frame: unknown[], maxUriLength: number): DecodeResult {
  const [, topic, event, excludeArg, eligibleArg] = frame;
  if (frame.length < 3 || frame.length > 5 || typeof topic !== 'string') {
    return violation('PUBLISH is [7, topic: string, event, (excludeMe | exclude)?, eligible?]');
  }
  if (topic.length > maxUriLength) return tooLong(maxUriLength);
  const message: { -readonly [K in keyof PublishMessage]: PublishMessage[K] } = {
    type: MessageType.Publish,
    topic,
    event,
  };
  if (typeof excludeArg === 'boolean') message.excludeMe = excludeArg;
  else if (Array.isArray(excludeArg)) message.exclude = onlyStrings(excludeArg);
  if (Array.isArray(eligibleArg)) message.eligible = onlyStrings(eligibleArg);
  return { ok: true, message };
}

function onlyStrings(values: unknown[]): string[] {
  return values.filter((value): value is string => typeof value === 'string');
}
