import type { IncomingMessage } from 'node:http';
import type { WampSession } from '../core/wamp-session.js';
import type { WampActionKind } from '../core/invocation.js';
import type { WampPermissions } from '../core/wamp-permissions.js';

type MaybePromise<T> = T | Promise<T>;

/**
 * A key's secret: the secret string (unsalted WAMP-CRA), or the secret with the salting
 * parameters (salted: the HMAC key is derived with PBKDF2, as AutobahnJS's `ab.deriveKey`).
 */
export type WampSecret =
  string | { readonly secret: string; readonly salt: string; readonly keylen?: number; readonly iterations?: number };

/** Who a connection is, as the `handshake` hook decided from its upgrade request. */
export interface WampHandshakeIdentity {
  readonly authKey: string;
  readonly permissions: WampPermissions;
}

/** `WampModule.forRoot({ auth })`: WAMP-CRA as AutobahnJS 0.8 speaks it, enforced by guards. */
export interface WampAuthOptions {
  /**
   * The secret of an auth key, or null/undefined when the key does not exist. May be async (use
   * `forRootAsync` to reach injected services). Without it only anonymous and handshake
   * authentication are possible.
   */
  secret?: (authKey: string, authExtra: Record<string, unknown>, session: WampSession) => MaybePromise<WampSecret | null | undefined>;
  /**
   * WAMP v2 ticket authentication (authmethod `ticket`): whether `ticket` (AUTHENTICATE's
   * signature) is valid for `authKey` (HELLO's authid). May be async; compare secrets in constant
   * time. The session's permissions then come from `permissions(authKey, session)`, as for
   * WAMP-CRA. Without it, v2 clients cannot use `ticket`.
   */
  ticket?: (authKey: string, ticket: string, session: WampSession) => MaybePromise<boolean>;
  /**
   * The permission map of an authenticated session (`authKey` is null for an anonymous one),
   * resolved once when it authenticates. May be async. A map is compiled once per object and
   * treated as immutable, so returning one shared object per role is cheap; to change what a
   * role may do, return a new object.
   */
  permissions: (authKey: string | null, session: WampSession) => MaybePromise<WampPermissions>;
  /**
   * Asked on every message a permission check covers (calls, subscribes and publishes of an
   * authenticated session), after its permission map allowed it: false denies. clj-wamp asks its
   * permission callback per message; this gives that dynamic behaviour at the cost of one
   * synchronous call per checked message. A throw denies (and is logged, rate limited). Default:
   * none, the permission map alone decides.
   */
  authorize?: (session: WampSession, kind: WampActionKind, uri: string) => boolean;
  /** Whether a session may authenticate anonymously (authreq without a key, auth without a signature). Default `false`. */
  allowAnonymous?: boolean;
  /**
   * A v1 session not authenticated this long after WELCOME is closed (1008); a v2 connection not
   * welcomed this long after it opened gets ABORT and is closed (1008). Default 20000 ms; 0 disables.
   */
  timeoutMs?: number;
  /** Failed `auth` calls after which a v1 session is closed (1008). Default 5. (A v2 session gets one attempt.) */
  maxAttempts?: number;
  /**
   * An invalid signature (and, in v2, an unknown authid or a refused ticket) is answered after a
   * random delay of up to this many ms (against timing attacks). Default 1000.
   */
  failureDelayMs?: number;
  /** Also accept clj-wamp 1.0.2's signature, HMAC(key = challenge, message = secret), for clients migrating from it. Default `false`. */
  legacySignature?: boolean;
  /**
   * Decides from the HTTP upgrade request (cookie, header, query token), before WELCOME:
   * `false` refuses the connection (HTTP 401); `{ authKey, permissions }` opens the session
   * already authenticated, so an app with its own login can skip WAMP-CRA; nothing lets the
   * session authenticate with WAMP-CRA as usual. May be async.
   */
  handshake?: (request: IncomingMessage) => MaybePromise<WampHandshakeIdentity | false | null | undefined>;
  /**
   * Whether the module applies `WampPermissionGuard` to every WAMP handler as a global guard.
   * Default `true`. Set `false` to apply it (or a subclass) yourself with `@UseGuards`.
   */
  globalGuard?: boolean;
}
