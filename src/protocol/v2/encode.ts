import type { ErrorRequestType } from './message-code.js';
import { MessageCode } from './message-code.js';
import type { Dict, WelcomeDetails } from './messages.js';
import { encodePayload } from './payload.js';

/**
 * Encoders for what a router sends, each returning the `wamp.2.json` text. Arguments and
 * ArgumentsKw are left out when empty, as the spec asks (see `encodePayload`). Payloads and
 * dicts JSON cannot carry (a BigInt, a cycle) make them throw. IDs and URIs are written as
 * given: they are the router's own, already valid.
 */

const json = (value: unknown): string => JSON.stringify(value) ?? 'null';

/** `[WELCOME, Session|id, Details|dict]`: `details.roles` announces the broker and/or dealer role. */
export function encodeWelcome(session: number, details: WelcomeDetails): string {
  return `[${MessageCode.Welcome},${session},${json(details)}]`;
}

/** `[ABORT, Details|dict, Reason|uri, Arguments|list?, ArgumentsKw|dict?]` */
export function encodeAbort(details: Dict, reason: string, args?: readonly unknown[], kwargs?: Dict): string {
  return `[${MessageCode.Abort},${json(details)},${json(reason)}${encodePayload(args, kwargs)}]`;
}

/** `[CHALLENGE, AuthMethod|string, Extra|dict]` */
export function encodeChallenge(authMethod: string, extra: Dict): string {
  return `[${MessageCode.Challenge},${json(authMethod)},${json(extra)}]`;
}

/** `[GOODBYE, Details|dict, Reason|uri]` */
export function encodeGoodbye(details: Dict, reason: string): string {
  return `[${MessageCode.Goodbye},${json(details)},${json(reason)}]`;
}

/** `[ERROR, REQUEST.Type|int, REQUEST.Request|id, Details|dict, Error|uri, Arguments|list?, ArgumentsKw|dict?]` */
export function encodeError(
  requestType: ErrorRequestType,
  request: number,
  details: Dict,
  error: string,
  args?: readonly unknown[],
  kwargs?: Dict,
): string {
  return `[${MessageCode.Error},${requestType},${request},${json(details)},${json(error)}${encodePayload(args, kwargs)}]`;
}

/** `[PUBLISHED, PUBLISH.Request|id, Publication|id]` */
export function encodePublished(request: number, publication: number): string {
  return `[${MessageCode.Published},${request},${publication}]`;
}

/** `[SUBSCRIBED, SUBSCRIBE.Request|id, Subscription|id]` */
export function encodeSubscribed(request: number, subscription: number): string {
  return `[${MessageCode.Subscribed},${request},${subscription}]`;
}

/** `[UNSUBSCRIBED, UNSUBSCRIBE.Request|id]` */
export function encodeUnsubscribed(request: number): string {
  return `[${MessageCode.Unsubscribed},${request}]`;
}

/**
 * `[EVENT, SUBSCRIBED.Subscription|id, PUBLISHED.Publication|id, Details|dict, Arguments|list?, ArgumentsKw|dict?]`,
 * for one subscription. For a publication delivered on several, `PreparedEvent` serializes the payload once.
 */
export function encodeEvent(subscription: number, publication: number, details: Dict, args?: readonly unknown[], kwargs?: Dict): string {
  return `[${MessageCode.Event},${subscription},${publication},${json(details)}${encodePayload(args, kwargs)}]`;
}

/** `[RESULT, CALL.Request|id, Details|dict, Arguments|list?, ArgumentsKw|dict?]` */
export function encodeResult(request: number, details: Dict, args?: readonly unknown[], kwargs?: Dict): string {
  return `[${MessageCode.Result},${request},${json(details)}${encodePayload(args, kwargs)}]`;
}

/** `[REGISTERED, REGISTER.Request|id, Registration|id]` */
export function encodeRegistered(request: number, registration: number): string {
  return `[${MessageCode.Registered},${request},${registration}]`;
}

/** `[UNREGISTERED, UNREGISTER.Request|id]` */
export function encodeUnregistered(request: number): string {
  return `[${MessageCode.Unregistered},${request}]`;
}

/** `[INVOCATION, Request|id, REGISTERED.Registration|id, Details|dict, Arguments|list?, ArgumentsKw|dict?]` */
export function encodeInvocation(request: number, registration: number, details: Dict, args?: readonly unknown[], kwargs?: Dict): string {
  return `[${MessageCode.Invocation},${request},${registration},${json(details)}${encodePayload(args, kwargs)}]`;
}
