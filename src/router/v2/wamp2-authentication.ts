import type { WampIdentity } from '../../core/wamp-session.js';
import type { Dict, HelloDetails } from '../../protocol/v2/messages.js';
import type { ServerSession } from '../../session/server-session.js';

/** The session is established: its identity (none without the `auth` option) and how WELCOME.Details names it. */
export interface Wamp2Welcome {
  readonly step: 'welcome';
  readonly identity: WampIdentity | undefined;
  readonly authid: string;
  readonly authrole: string;
  readonly authmethod: string;
  readonly authprovider: string;
}

/** The client must prove who it is: CHALLENGE with this method and extra. */
export interface Wamp2Challenge {
  readonly step: 'challenge';
  readonly authmethod: string;
  readonly extra: Dict;
}

/** The session is refused: ABORT with this reason URI and message, then the connection is closed. */
export interface Wamp2Refusal {
  readonly step: 'abort';
  readonly reason: string;
  readonly message: string;
}

export type Wamp2AuthStep = Wamp2Welcome | Wamp2Challenge | Wamp2Refusal;

/**
 * Who a v2 session is: the answer to its HELLO and to its AUTHENTICATE. The opening sends what it
 * decides; the `auth` module option behind it lives outside the router (`Wamp2Authenticator`).
 * An answer may be a promise (a secret, ticket or permissions callback, or a failure's delay);
 * it never rejects.
 */
export interface Wamp2Authentication {
  /** How long a connection may take from opening to WELCOME; 0: no limit. */
  readonly timeoutMs: number;
  /** Exchanges under way (HELLO answered or being answered, AUTHENTICATE not yet): 0 once every such session is gone. */
  readonly pendingExchanges: number;
  /** The answer to HELLO (the realm is already checked). */
  hello(session: ServerSession, details: HelloDetails): Wamp2AuthStep | Promise<Wamp2AuthStep>;
  /** The answer to AUTHENTICATE, once a CHALLENGE went out. */
  authenticate(session: ServerSession, signature: string, extra: Dict): Wamp2AuthStep | Promise<Wamp2AuthStep>;
  /** The connection is gone: forget its exchange. */
  closed(session: ServerSession): void;
}
