import { CloseCode } from '../../core/close-codes.js';
import { encodeAbort, encodeGoodbye, encodeWelcome } from '../../protocol/v2/encode.js';
import { WampClose, WampError } from '../../protocol/v2/error-uris.js';
import type { AbortMessage, AuthenticateMessage, GoodbyeMessage, HelloMessage } from '../../protocol/v2/messages.js';
import type { ServerSession } from '../../session/server-session.js';
import type { Wamp2Context } from './wamp2-context.js';

/** What a v2 router announces in WELCOME.Details.roles. */
const ROUTER_ROLES = {
  broker: { features: { publisher_exclusion: true, subscriber_blackwhite_listing: true, pattern_based_subscription: true } },
  dealer: { features: {} },
};

/**
 * The opening and closing of a v2 session: HELLO → WELCOME (or ABORT), GOODBYE both ways, a
 * client's ABORT, and protocol violations (ABORT `wamp.error.protocol_violation`, then the
 * connection is closed).
 */
export class Wamp2Opening {
  constructor(private readonly context: Wamp2Context) {}

  hello(session: ServerSession, message: HelloMessage): void {
    const state = session.v2!;
    if (message.realm !== this.context.realm) {
      this.abort(session, WampError.noSuchRealm, `no realm "${message.realm}" here`);
      return;
    }
    state.realm = message.realm;
    this.welcome(session);
  }

  /** The answer to a CHALLENGE. */
  authenticate(session: ServerSession, _message: AuthenticateMessage): void {
    this.abort(session, WampError.notAuthorized, 'no challenge was sent');
  }

  /** Establishes the session: WELCOME, then the open hooks. */
  welcome(session: ServerSession): void {
    const state = session.v2!;
    state.phase = 'established';
    state.welcomed = true;
    session.send(
      encodeWelcome(session.v2Id, {
        realm: state.realm,
        roles: ROUTER_ROLES,
        authid: state.authId ?? `anonymous-${session.id.slice(0, 6)}`,
        authrole: state.authRole,
        authmethod: state.authMethod,
        agent: this.context.options.serverIdent,
      }),
    );
    this.context.hooks.emit('onWampSessionOpen', session);
  }

  /** The client leaves: GOODBYE back, then the connection is closed. */
  goodbye(session: ServerSession, _message: GoodbyeMessage): void {
    const state = session.v2!;
    if (state.phase === 'shutting-down') {
      session.close(CloseCode.normal, '');
      return;
    }
    state.phase = 'closed';
    session.send(encodeGoodbye({}, WampClose.goodbyeAndOut));
    session.close(CloseCode.normal, '');
  }

  /** The client gave up on the session (ABORT): the connection is closed. */
  aborted(session: ServerSession, _message: AbortMessage): void {
    session.close(CloseCode.normal, '');
  }

  /** ABORT with `reason`, then the connection is closed. */
  abort(session: ServerSession, reason: string, message: string): void {
    session.send(encodeAbort({ message }, reason));
    session.close(CloseCode.normal, '');
  }

  /** A protocol violation: ABORT `wamp.error.protocol_violation` (or `invalid_uri`), counted, and the connection is closed. */
  violation(session: ServerSession, reason: string, abortReason: string = WampError.protocolViolation): void {
    this.context.counters.refuse('malformed');
    this.context.logger.debug(`closing v2 session ${session.v2Id}: ${reason}`);
    session.send(encodeAbort({ message: reason }, abortReason));
    session.close(CloseCode.protocolError, 'protocol violation');
  }
}
