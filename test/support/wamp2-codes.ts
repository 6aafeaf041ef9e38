// WAMP v2 message codes as on the wire (written out from the spec, not imported from src/, so
// that the tests check the server against the spec rather than against itself).
export const HELLO = 1;
export const WELCOME = 2;
export const ABORT = 3;
export const CHALLENGE = 4;
export const AUTHENTICATE = 5;
export const GOODBYE = 6;
export const ERROR = 8;
export const PUBLISH = 16;
export const PUBLISHED = 17;
export const SUBSCRIBE = 32;
export const SUBSCRIBED = 33;
export const UNSUBSCRIBE = 34;
export const UNSUBSCRIBED = 35;
export const EVENT = 36;
export const CALL = 48;
export const CANCEL = 49;
export const RESULT = 50;
export const REGISTER = 64;
export const REGISTERED = 65;
export const UNREGISTER = 66;
export const UNREGISTERED = 67;
export const INVOCATION = 68;
export const INTERRUPT = 69;
export const YIELD = 70;

/** The roles a test client announces in HELLO: all four client roles. */
export const CLIENT_ROLES = { caller: {}, callee: {}, publisher: {}, subscriber: {} };
