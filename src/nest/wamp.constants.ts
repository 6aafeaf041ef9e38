/** The `ExecutionContext.getType()` of every WAMP handler invocation. */
export const WAMP_CONTEXT_TYPE = 'wamp';

/** Where `@WampRpc`, `@WampSubscribe` and `@WampPublish` store their metadata (on the method). */
export const WAMP_HANDLER_METADATA = 'nest-wamp:handler';

/** The parameter layout synthesized for a handler without parameter decorators. */
export const WAMP_POSITIONAL_PARAMS_METADATA = 'nest-wamp:positional-params';

/**
 * The parameter kinds of WAMP handlers. `Payload` is 3, the value Nest maps to `'body'`, so
 * pipes such as `ValidationPipe` validate call arguments and events as they validate bodies.
 */
export const WampParamtype = {
  Payload: 3,
  Session: 20,
  Topic: 21,
  CallId: 22,
  /** The whole invocation: what a handler registered at runtime is given. */
  Invocation: 23,
} as const;
