/** The two procedures of WAMP-CRA, and the error URIs of the exchange (clj-wamp's). */
export const CraProcedure = {
  authreq: 'http://api.wamp.ws/procedure#authreq',
  auth: 'http://api.wamp.ws/procedure#auth',
} as const;

export const CraError = {
  alreadyAuthenticated: ['http://api.wamp.ws/error#already-authenticated', 'already authenticated'],
  alreadyRequested: [
    'http://api.wamp.ws/error#authentication-already-requested',
    'authentication request already issued - authentication pending',
  ],
  anonymousForbidden: ['http://api.wamp.ws/error#anonymous-auth-forbidden', 'authentication as anonymous is forbidden'],
  noSuchAuthKey: ['http://api.wamp.ws/error#no-such-authkey', 'authentication key does not exist'],
  notRequested: ['http://api.wamp.ws/error#no-authentication-requested', 'no authentication previously requested'],
  invalidSignature: ['http://api.wamp.ws/error#invalid-signature', 'signature for authentication request is invalid'],
  invalidArgument: ['http://api.wamp.ws/error#invalid-argument', 'invalid argument'],
  // Not clj-wamp's: after an invalid signature, no new challenge until it is answered, none at all after the last.
  coolingDown: [
    'http://api.wamp.ws/error#authentication-cooling-down',
    'the last signature was invalid - request again once it is answered',
  ],
  tooManyAttempts: ['http://api.wamp.ws/error#too-many-authentication-attempts', 'too many failed authentication attempts'],
  permissionsFailed: ['http://api.wamp.ws/error#auth-permissions-error', 'could not resolve the permissions'],
} as const;

export function isCraProcedure(uri: string): boolean {
  return uri === CraProcedure.authreq || uri === CraProcedure.auth;
}
