import type { RouterDependencies, WampRouter } from '../wamp-router.js';
import type { Wamp2Authentication } from './wamp2-authentication.js';

/** What the parts of the v2 router share: the v1 router's dependencies (one registry, one topic index, one set of hooks), the realm, and the v1 router itself. */
export interface Wamp2Context extends RouterDependencies {
  /** The one realm served. */
  readonly realm: string;
  /** The v1 router: subscriptions, permission changes and answers to pending calls go through it for both protocols. */
  readonly router: WampRouter;
  /** Who a session is: the answers to HELLO and AUTHENTICATE (from the `auth` option). */
  readonly authentication: Wamp2Authentication;
  /** How long a session the router said GOODBYE to may take to answer before its connection is closed (`shutdownGraceMs`). */
  readonly goodbyeTimeoutMs: number;
}
