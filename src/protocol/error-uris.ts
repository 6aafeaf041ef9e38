/**
 * Error URIs and descriptions sent in CALLERROR. The ones clj-wamp defined keep its exact
 * strings, so clients written against it see the same errors.
 */
export const WampErrorUri = {
  notFound: 'http://api.wamp.ws/error#notfound',
  internal: 'http://api.wamp.ws/error#internal',
  generic: 'http://api.wamp.ws/error#generic',
  unauthorized: 'http://api.wamp.ws/error#unauthorized',
  invalidArgument: 'http://api.wamp.ws/error#invalid-argument',
  invalidMessage: 'http://api.wamp.ws/error#invalid-message',
  /** A limit refused the call (calls in flight, message rate); the session goes on. */
  busy: 'http://api.wamp.ws/error#busy',
} as const;

export const WampErrorDescription = {
  notFound: 'not found error',
  internal: 'internal error',
  generic: 'generic error',
  unauthorized: 'unauthorized',
} as const;
