/**
 * WAMP v2 message codes: the Basic Profile's, plus the Advanced Profile's CHALLENGE and
 * AUTHENTICATE (authentication) and CANCEL and INTERRUPT (call canceling), which are
 * recognized so that they get an accurate answer.
 */
export const MessageCode = {
  Hello: 1,
  Welcome: 2,
  Abort: 3,
  Challenge: 4,
  Authenticate: 5,
  Goodbye: 6,
  Error: 8,
  Publish: 16,
  Published: 17,
  Subscribe: 32,
  Subscribed: 33,
  Unsubscribe: 34,
  Unsubscribed: 35,
  Event: 36,
  Call: 48,
  Cancel: 49,
  Result: 50,
  Register: 64,
  Registered: 65,
  Unregister: 66,
  Unregistered: 67,
  Invocation: 68,
  Interrupt: 69,
  Yield: 70,
} as const;

export type MessageCode = (typeof MessageCode)[keyof typeof MessageCode];

/** The spec's name of each code (`HELLO`, `WELCOME`, ...), for reasons and logs. */
export const MESSAGE_NAMES: Readonly<Record<MessageCode, string>> = {
  1: 'HELLO',
  2: 'WELCOME',
  3: 'ABORT',
  4: 'CHALLENGE',
  5: 'AUTHENTICATE',
  6: 'GOODBYE',
  8: 'ERROR',
  16: 'PUBLISH',
  17: 'PUBLISHED',
  32: 'SUBSCRIBE',
  33: 'SUBSCRIBED',
  34: 'UNSUBSCRIBE',
  35: 'UNSUBSCRIBED',
  36: 'EVENT',
  48: 'CALL',
  49: 'CANCEL',
  50: 'RESULT',
  64: 'REGISTER',
  65: 'REGISTERED',
  66: 'UNREGISTER',
  67: 'UNREGISTERED',
  68: 'INVOCATION',
  69: 'INTERRUPT',
  70: 'YIELD',
};

export function isMessageCode(value: unknown): value is MessageCode {
  return typeof value === 'number' && Object.hasOwn(MESSAGE_NAMES, value);
}

/**
 * The requests an ERROR may answer (its `REQUEST.Type`): SUBSCRIBE, UNSUBSCRIBE, PUBLISH,
 * REGISTER, UNREGISTER and CALL from the router, INVOCATION from a callee.
 */
export const ERROR_REQUEST_TYPES = [
  MessageCode.Subscribe,
  MessageCode.Unsubscribe,
  MessageCode.Publish,
  MessageCode.Register,
  MessageCode.Unregister,
  MessageCode.Call,
  MessageCode.Invocation,
] as const;

export type ErrorRequestType = (typeof ERROR_REQUEST_TYPES)[number];

export function isErrorRequestType(value: unknown): value is ErrorRequestType {
  return (ERROR_REQUEST_TYPES as readonly unknown[]).includes(value);
}

/** The WebSocket subprotocols of WAMP v2 (unbatched); this codec serves the JSON one. */
export const WAMP_V2_JSON_SUBPROTOCOL = 'wamp.2.json';
export const WAMP_V2_MSGPACK_SUBPROTOCOL = 'wamp.2.msgpack';
