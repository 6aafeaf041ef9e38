/**
 * The WAMP v2 error URIs a router sends: in ERROR (`Error|uri`) and as ABORT reasons. From
 * the Basic Profile's URI reference unless noted.
 */
export const WampError = {
  /** An incorrect URI in a request (realm, topic, procedure). */
  invalidUri: 'wamp.error.invalid_uri',
  noSuchProcedure: 'wamp.error.no_such_procedure',
  procedureAlreadyExists: 'wamp.error.procedure_already_exists',
  noSuchRegistration: 'wamp.error.no_such_registration',
  noSuchSubscription: 'wamp.error.no_such_subscription',
  invalidArgument: 'wamp.error.invalid_argument',
  /** A call canceled by the dealer or the callee (the spec's spelling; one paragraph has `cancelled`). */
  canceled: 'wamp.error.canceled',
  payloadSizeExceeded: 'wamp.error.payload_size_exceeded',
  /** The ABORT reason for a protocol error. */
  protocolViolation: 'wamp.error.protocol_violation',
  notAuthorized: 'wamp.error.not_authorized',
  /** The authorization check itself failed (a custom authorizer threw). */
  authorizationFailed: 'wamp.error.authorization_failed',
  noSuchRealm: 'wamp.error.no_such_realm',
  noSuchRole: 'wamp.error.no_such_role',
  /** Advanced Profile: none of HELLO.Details.authmethods is accepted. */
  noMatchingAuthMethod: 'wamp.error.no_matching_auth_method',
  /** Advanced Profile: the credentials were wrong. */
  authenticationDenied: 'wamp.error.authentication_denied',
  /** Advanced Profile: authentication failed for a technical reason. */
  authenticationFailed: 'wamp.error.authentication_failed',
  /** Advanced Profile: the client offered no non-anonymous authentication. */
  authenticationRequired: 'wamp.error.authentication_required',
  /** Advanced Profile: no such authid. */
  noSuchPrincipal: 'wamp.error.no_such_principal',
  /** Advanced Profile: a call that timed out. */
  timeout: 'wamp.error.timeout',
  /** Advanced Profile: a request option the router does not allow. */
  optionNotAllowed: 'wamp.error.option_not_allowed',
  /** Advanced Profile: a feature the callee cannot handle. */
  featureNotSupported: 'wamp.error.feature_not_supported',
  /**
   * Not in the spec: the URI Autobahn and other clients send for an error without a URI of
   * its own (an exception in an invocation handler); routers use it the same way.
   */
  runtimeError: 'wamp.error.runtime_error',
} as const;

/** GOODBYE (and ABORT) reasons. */
export const WampClose = {
  /** The peer is shutting down completely. */
  systemShutdown: 'wamp.close.system_shutdown',
  /** The peer leaves the realm. */
  closeRealm: 'wamp.close.close_realm',
  /** The reply to a GOODBYE. */
  goodbyeAndOut: 'wamp.close.goodbye_and_out',
  /** Advanced Profile: the router terminated the session by force. */
  killed: 'wamp.close.killed',
  /** Not in the spec's lists: the reason Autobahn clients send in GOODBYE when they leave. */
  normal: 'wamp.close.normal',
} as const;

export type WampErrorUri = (typeof WampError)[keyof typeof WampError];
export type WampCloseUri = (typeof WampClose)[keyof typeof WampClose];
