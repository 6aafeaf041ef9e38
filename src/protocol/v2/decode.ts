import { checkHelloDetails, checkMatchOptions, checkPublishOptions, checkWelcomeDetails } from './attributes.js';
import { isDict, own } from './dict.js';
import { WampError } from './error-uris.js';
import { isId } from './id.js';
import {
  ERROR_REQUEST_TYPES,
  type ErrorRequestType,
  isErrorRequestType,
  isMessageCode,
  MESSAGE_NAMES,
  MessageCode,
} from './message-code.js';
import type { Dict, HelloDetails, MatchOptions, Payload, PublishOptions, WampMessage, WelcomeDetails } from './messages.js';
import { isReservedUri, isValidUri, type UriMatch, type UriRule } from './uri.js';

export interface DecodeOptions {
  /** The URI rule enforced: `loose` (the default, the spec's MUST) or `strict` (its recommendation). */
  readonly uriRule?: UriRule;
  /** URIs longer than this many characters are refused as invalid (category `too-long`). Default: no limit. */
  readonly maxUriLength?: number;
}

/**
 * A message that ends the session: the router answers it with ABORT `abortReason` (the
 * reason text as `ABORT.Details.message`) and drops the connection, as the spec asks of
 * protocol errors.
 */
export interface ProtocolViolation {
  /** For counting: text that is no JSON, a message of the wrong shape, an invalid URI, a URI over the length limit. */
  readonly category: 'invalid-json' | 'malformed' | 'invalid-uri' | 'too-long';
  readonly reason: string;
  /** `wamp.error.invalid_uri` for an incorrect URI that no ERROR can answer (a realm, a reason), else `wamp.error.protocol_violation`. */
  readonly abortReason: typeof WampError.protocolViolation | typeof WampError.invalidUri;
}

/** The requests whose URI the spec has answered with ERROR `wamp.error.invalid_uri` rather than an ABORT. */
export type UriRequestType =
  typeof MessageCode.Publish | typeof MessageCode.Subscribe | typeof MessageCode.Call | typeof MessageCode.Register;

/** A well-formed request with an incorrect URI: answered with `[ERROR, requestType, request, {}, error]`; the session goes on. */
export interface RequestError {
  readonly category: 'invalid-uri' | 'too-long';
  readonly requestType: UriRequestType;
  readonly request: number;
  readonly error: typeof WampError.invalidUri;
  readonly reason: string;
  /** False for a PUBLISH without `acknowledge: true`: the spec has the broker answer only acknowledged publications. */
  readonly answer: boolean;
}

export type DecodeResult =
  | { readonly kind: 'message'; readonly message: WampMessage }
  | { readonly kind: 'violation'; readonly violation: ProtocolViolation }
  | { readonly kind: 'request-error'; readonly error: RequestError };

type FieldKind = 'id' | 'dict' | 'string' | 'uri' | 'request-type';

/** Each message's fixed elements after the code, as `[name, kind]`, and whether Arguments and ArgumentsKw may follow. */
interface Schema {
  readonly fields: readonly (readonly [string, FieldKind])[];
  readonly payload: boolean;
}

const SCHEMAS: Readonly<Record<MessageCode, Schema>> = {
  [MessageCode.Hello]: {
    fields: [
      ['Realm', 'uri'],
      ['Details', 'dict'],
    ],
    payload: false,
  },
  [MessageCode.Welcome]: {
    fields: [
      ['Session', 'id'],
      ['Details', 'dict'],
    ],
    payload: false,
  },
  [MessageCode.Abort]: {
    fields: [
      ['Details', 'dict'],
      ['Reason', 'uri'],
    ],
    payload: true,
  },
  [MessageCode.Challenge]: {
    fields: [
      ['AuthMethod', 'string'],
      ['Extra', 'dict'],
    ],
    payload: false,
  },
  [MessageCode.Authenticate]: {
    fields: [
      ['Signature', 'string'],
      ['Extra', 'dict'],
    ],
    payload: false,
  },
  [MessageCode.Goodbye]: {
    fields: [
      ['Details', 'dict'],
      ['Reason', 'uri'],
    ],
    payload: false,
  },
  [MessageCode.Error]: {
    fields: [
      ['REQUEST.Type', 'request-type'],
      ['REQUEST.Request', 'id'],
      ['Details', 'dict'],
      ['Error', 'uri'],
    ],
    payload: true,
  },
  [MessageCode.Publish]: {
    fields: [
      ['Request', 'id'],
      ['Options', 'dict'],
      ['Topic', 'uri'],
    ],
    payload: true,
  },
  [MessageCode.Published]: {
    fields: [
      ['PUBLISH.Request', 'id'],
      ['Publication', 'id'],
    ],
    payload: false,
  },
  [MessageCode.Subscribe]: {
    fields: [
      ['Request', 'id'],
      ['Options', 'dict'],
      ['Topic', 'uri'],
    ],
    payload: false,
  },
  [MessageCode.Subscribed]: {
    fields: [
      ['SUBSCRIBE.Request', 'id'],
      ['Subscription', 'id'],
    ],
    payload: false,
  },
  [MessageCode.Unsubscribe]: {
    fields: [
      ['Request', 'id'],
      ['SUBSCRIBED.Subscription', 'id'],
    ],
    payload: false,
  },
  [MessageCode.Unsubscribed]: { fields: [['UNSUBSCRIBE.Request', 'id']], payload: false },
  [MessageCode.Event]: {
    fields: [
      ['SUBSCRIBED.Subscription', 'id'],
      ['PUBLISHED.Publication', 'id'],
      ['Details', 'dict'],
    ],
    payload: true,
  },
  [MessageCode.Call]: {
    fields: [
      ['Request', 'id'],
      ['Options', 'dict'],
      ['Procedure', 'uri'],
    ],
    payload: true,
  },
  [MessageCode.Cancel]: {
    fields: [
      ['CALL.Request', 'id'],
      ['Options', 'dict'],
    ],
    payload: false,
  },
  [MessageCode.Result]: {
    fields: [
      ['CALL.Request', 'id'],
      ['Details', 'dict'],
    ],
    payload: true,
  },
  [MessageCode.Register]: {
    fields: [
      ['Request', 'id'],
      ['Options', 'dict'],
      ['Procedure', 'uri'],
    ],
    payload: false,
  },
  [MessageCode.Registered]: {
    fields: [
      ['REGISTER.Request', 'id'],
      ['Registration', 'id'],
    ],
    payload: false,
  },
  [MessageCode.Unregister]: {
    fields: [
      ['Request', 'id'],
      ['REGISTERED.Registration', 'id'],
    ],
    payload: false,
  },
  [MessageCode.Unregistered]: { fields: [['UNREGISTER.Request', 'id']], payload: false },
  [MessageCode.Invocation]: {
    fields: [
      ['Request', 'id'],
      ['REGISTERED.Registration', 'id'],
      ['Details', 'dict'],
    ],
    payload: true,
  },
  [MessageCode.Interrupt]: {
    fields: [
      ['INVOCATION.Request', 'id'],
      ['Options', 'dict'],
    ],
    payload: false,
  },
  [MessageCode.Yield]: {
    fields: [
      ['INVOCATION.Request', 'id'],
      ['Options', 'dict'],
    ],
    payload: true,
  },
};

const EXPECTED: Readonly<Record<FieldKind, string>> = {
  id: 'an integer in [1, 2^53]',
  dict: 'a dict',
  string: 'a string',
  uri: 'a URI string',
  'request-type': `the code of a request an ERROR answers (${ERROR_REQUEST_TYPES.join(', ')})`,
};

const isField: Readonly<Record<FieldKind, (value: unknown) => boolean>> = {
  id: isId,
  dict: isDict,
  string: (value) => typeof value === 'string',
  uri: (value) => typeof value === 'string',
  'request-type': isErrorRequestType,
};

const violation = (
  reason: string,
  category: ProtocolViolation['category'] = 'malformed',
  abortReason: ProtocolViolation['abortReason'] = WampError.protocolViolation,
): DecodeResult => ({ kind: 'violation', violation: { category, reason, abortReason } });

/**
 * Decodes one `wamp.2.json` text message. Never throws: returns the typed message, a
 * protocol violation, or (for a PUBLISH, SUBSCRIBE, CALL or REGISTER whose only fault is its
 * URI) the request error to answer. It decodes both directions; which messages a client may
 * send, and when, is `checkClientMessage`'s to say.
 */
export function decodeMessage(text: string, options: DecodeOptions = {}): DecodeResult {
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    return violation('invalid JSON', 'invalid-json');
  }
  return decodeFrame(frame, options);
}

/** Decodes a message already deserialized (as `JSON.parse` or a MessagePack decoder gives it). */
export function decodeFrame(frame: unknown, options: DecodeOptions = {}): DecodeResult {
  if (!Array.isArray(frame) || frame.length === 0) return violation('a WAMP message is a non-empty list');
  const code: unknown = frame[0];
  if (!isMessageCode(code)) return violation(`unknown message type ${describe(code)}`);
  const name = MESSAGE_NAMES[code];
  const { fields, payload } = SCHEMAS[code];
  const fixed = fields.length + 1;
  if (frame.length < fixed || frame.length > fixed + (payload ? 2 : 0)) {
    return violation(`${name} is [${signature(code, fields, payload)}]`);
  }
  for (let i = 0; i < fields.length; i++) {
    const [field, kind] = fields[i];
    if (!isField[kind](frame[i + 1])) return violation(`${name}.${field} must be ${EXPECTED[kind]}`);
  }
  if (payload) {
    if (frame.length > fixed && !Array.isArray(frame[fixed])) return violation(`${name}.Arguments must be a list`);
    if (frame.length > fixed + 1 && !isDict(frame[fixed + 1])) return violation(`${name}.ArgumentsKw must be a dict`);
  }
  return new MessageReader(frame, options).read(code);
}

function describe(value: unknown): string {
  return typeof value === 'number'
    ? String(value)
    : `of JSON type ${value === null ? 'null' : Array.isArray(value) ? 'list' : typeof value}`;
}

function signature(code: MessageCode, fields: Schema['fields'], payload: boolean): string {
  const parts = [MESSAGE_NAMES[code], ...fields.map(([field, kind]) => `${field}|${kind === 'request-type' ? 'int' : kind}`)];
  if (payload) parts.push('Arguments|list?', 'ArgumentsKw|dict?');
  return parts.join(', ');
}

/** Builds one message whose elements have the right types, checking its attributes and URIs. */
class MessageReader {
  private readonly rule: UriRule;
  private readonly maxUriLength: number;

  constructor(
    private readonly frame: readonly unknown[],
    options: DecodeOptions,
  ) {
    this.rule = options.uriRule ?? 'loose';
    this.maxUriLength = options.maxUriLength ?? Number.POSITIVE_INFINITY;
  }

  read(code: MessageCode): DecodeResult {
    const f = this.frame;
    switch (code) {
      case MessageCode.Hello: {
        const details = f[2] as HelloDetails;
        const fault = checkHelloDetails(details);
        if (fault) return violation(fault);
        return this.sessionUri('HELLO.Realm', f[1] as string, { type: code, realm: f[1] as string, details });
      }
      case MessageCode.Welcome: {
        const details = f[2] as WelcomeDetails;
        const fault = checkWelcomeDetails(details);
        if (fault) return violation(fault);
        return ok({ type: code, session: f[1] as number, details });
      }
      case MessageCode.Abort:
        return this.sessionUri(
          'ABORT.Reason',
          f[2] as string,
          this.payload({ type: code, details: f[1] as Dict, reason: f[2] as string }, 3),
        );
      case MessageCode.Challenge:
        return ok({ type: code, authMethod: f[1] as string, extra: f[2] as Dict });
      case MessageCode.Authenticate:
        return ok({ type: code, signature: f[1] as string, extra: f[2] as Dict });
      case MessageCode.Goodbye:
        return this.sessionUri('GOODBYE.Reason', f[2] as string, { type: code, details: f[1] as Dict, reason: f[2] as string });
      case MessageCode.Error:
        return this.sessionUri(
          'ERROR.Error',
          f[4] as string,
          this.payload(
            { type: code, requestType: f[1] as ErrorRequestType, request: f[2] as number, details: f[3] as Dict, error: f[4] as string },
            5,
          ),
        );
      case MessageCode.Publish: {
        const options = f[2] as PublishOptions;
        const fault = checkPublishOptions(options);
        if (fault) return violation(fault);
        const message = this.payload({ type: code, request: f[1] as number, options, topic: f[3] as string }, 4);
        return this.requestUri(message, 'PUBLISH.Topic', message.topic, 'exact', true, own(options, 'acknowledge') === true);
      }
      case MessageCode.Published:
        return ok({ type: code, request: f[1] as number, publication: f[2] as number });
      case MessageCode.Subscribe: {
        const options = f[2] as MatchOptions;
        const fault = checkMatchOptions(options, 'SUBSCRIBE.Options');
        if (fault) return violation(fault);
        const message = { type: code, request: f[1] as number, options, topic: f[3] as string };
        return this.requestUri(message, 'SUBSCRIBE.Topic', message.topic, matchOf(options), false, true);
      }
      case MessageCode.Subscribed:
        return ok({ type: code, request: f[1] as number, subscription: f[2] as number });
      case MessageCode.Unsubscribe:
        return ok({ type: code, request: f[1] as number, subscription: f[2] as number });
      case MessageCode.Unsubscribed:
        return ok({ type: code, request: f[1] as number });
      case MessageCode.Event:
        return ok(this.payload({ type: code, subscription: f[1] as number, publication: f[2] as number, details: f[3] as Dict }, 4));
      case MessageCode.Call: {
        const message = this.payload({ type: code, request: f[1] as number, options: f[2] as Dict, procedure: f[3] as string }, 4);
        return this.requestUri(message, 'CALL.Procedure', message.procedure, 'exact', false, true);
      }
      case MessageCode.Cancel:
        return ok({ type: code, request: f[1] as number, options: f[2] as Dict });
      case MessageCode.Result:
        return ok(this.payload({ type: code, request: f[1] as number, details: f[2] as Dict }, 3));
      case MessageCode.Register: {
        const options = f[2] as MatchOptions;
        const fault = checkMatchOptions(options, 'REGISTER.Options');
        if (fault) return violation(fault);
        const message = { type: code, request: f[1] as number, options, procedure: f[3] as string };
        return this.requestUri(message, 'REGISTER.Procedure', message.procedure, matchOf(options), true, true);
      }
      case MessageCode.Registered:
        return ok({ type: code, request: f[1] as number, registration: f[2] as number });
      case MessageCode.Unregister:
        return ok({ type: code, request: f[1] as number, registration: f[2] as number });
      case MessageCode.Unregistered:
        return ok({ type: code, request: f[1] as number });
      case MessageCode.Invocation:
        return ok(this.payload({ type: code, request: f[1] as number, registration: f[2] as number, details: f[3] as Dict }, 4));
      case MessageCode.Interrupt:
        return ok({ type: code, request: f[1] as number, options: f[2] as Dict });
      case MessageCode.Yield:
        return ok(this.payload({ type: code, request: f[1] as number, options: f[2] as Dict }, 3));
    }
  }

  /** Adds Arguments and ArgumentsKw when the message has them (their types were checked). */
  /** Adds Arguments and ArgumentsKw to a message just built (assigned, not spread: this is on every CALL, PUBLISH and YIELD). */
  private payload<T extends object>(message: T, at: number): T & Payload {
    const f = this.frame;
    const withPayload = message as T & { args?: unknown[]; kwargs?: Dict };
    if (f.length > at) withPayload.args = f[at] as unknown[];
    if (f.length > at + 1) withPayload.kwargs = f[at + 1] as Dict;
    return withPayload;
  }

  /** Why `uri` is refused, or undefined. */
  private uriFault(
    field: string,
    uri: string,
    match: UriMatch,
    reserved: boolean,
  ): Omit<RequestError, 'requestType' | 'request' | 'error' | 'answer'> | undefined {
    if (uri.length > this.maxUriLength) {
      return { category: 'too-long', reason: `${field} is longer than ${this.maxUriLength} characters` };
    }
    if (!isValidUri(uri, this.rule, match)) {
      const what = match === 'exact' ? 'URI' : `${match} pattern`;
      return { category: 'invalid-uri', reason: `${field} is not a valid ${what} (${this.rule} rule)` };
    }
    if (reserved && isReservedUri(uri)) {
      return { category: 'invalid-uri', reason: `${field} starts with "wamp", which the spec reserves to itself` };
    }
    return undefined;
  }

  /** A URI no ERROR can answer: an incorrect one aborts the session with `wamp.error.invalid_uri`. */
  private sessionUri(field: string, uri: string, message: WampMessage): DecodeResult {
    const fault = this.uriFault(field, uri, 'exact', false);
    return fault ? violation(fault.reason, fault.category, WampError.invalidUri) : ok(message);
  }

  /** The URI of a request: an incorrect one is answered with ERROR `wamp.error.invalid_uri`. */
  private requestUri(
    message: WampMessage & { readonly type: UriRequestType; readonly request: number },
    field: string,
    uri: string,
    match: UriMatch,
    reserved: boolean,
    answer: boolean,
  ): DecodeResult {
    const fault = this.uriFault(field, uri, match, reserved);
    if (!fault) return ok(message);
    const error: RequestError = { ...fault, requestType: message.type, request: message.request, error: WampError.invalidUri, answer };
    return { kind: 'request-error', error };
  }
}

function ok(message: WampMessage): DecodeResult {
  return { kind: 'message', message };
}

function matchOf(options: MatchOptions): UriMatch {
  return (own(options, 'match') as UriMatch | undefined) ?? 'exact';
}
