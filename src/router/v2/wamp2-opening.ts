import { CloseCode } from '../../core/close-codes.js';
import { errorMessage } from '../../core/errors.js';
import { isPromiseLike } from '../../core/promises.js';
import { encodeAbort, encodeChallenge, encodeGoodbye, encodeWelcome } from '../../protocol/v2/encode.js';
import { WampClose, WampError } from '../../protocol/v2/error-uris.js';
import type { AbortMessage, AuthenticateMessage, GoodbyeMessage, HelloMessage } from '../../protocol/v2/messages.js';
import type { ServerSession } from '../../session/server-session.js';
import type { Wamp2AuthStep } from './wamp2-authentication.js';
import type { Wamp2Context } from './wamp2-context.js';
import { ROUTER_ROLES } from './wamp2-roles.js';

/** A GOODBYE the router sent, waiting for the client's: how the connection is then closed, and the timer that closes it anyway. */
interface Leaving {
  readonly code: number;
  readonly reason: string;
  readonly timer: NodeJS.Timeout;
}

/**
 * The opening and closing of a v2 session: HELLO → (CHALLENGE → AUTHENTICATE →) WELCOME or
 * ABORT, the opening's deadline, GOODBYE both ways, a client's ABORT, and protocol violations
 * (ABORT `wamp.error.protocol_violation`, then the connection is closed). Who a session is, the
 * `Wamp2Authentication` of the context decides.
 */
export class Wamp2Opening {
  /** Connections not welcomed yet, each with the timer that closes it when `auth.timeoutMs` runs out. */
  private readonly deadlines = new Map<ServerSession, NodeJS.Timeout>();
  /** Sessions the router said GOODBYE to, waiting (at most `shutdownGraceMs`) for the client's. */
  private readonly leaving = new Map<ServerSession, Leaving>();

  constructor(private readonly context: Wamp2Context) {}

  /** Timers and exchanges held for sessions (all 0 once every session is gone). */
  get pendingState(): { deadlines: number; goodbyes: number; exchanges: number } {
    return { deadlines: this.deadlines.size, goodbyes: this.leaving.size, exchanges: this.context.authentication.pendingExchanges };
  }

  /** A connection chose `wamp.2.json`: it has `timeoutMs` to be welcomed. */
  opened(session: ServerSession): void {
    const { timeoutMs } = this.context.authentication;
    if (timeoutMs > 0)
      this.deadlines.set(
        session,
        setTimeout(() => this.timedOut(session, timeoutMs), timeoutMs),
      );
  }

  hello(session: ServerSession, message: HelloMessage): void {
    if (message.realm !== this.context.realm) {
      this.abort(session, WampError.noSuchRealm, `no realm "${message.realm}" here`);
      return;
    }
    session.v2!.realm = message.realm;
    this.answer(session, this.context.authentication.hello(session, message.details));
  }

  /** The answer to a CHALLENGE (the router lets AUTHENTICATE through only after one). */
  authenticate(session: ServerSession, message: AuthenticateMessage): void {
    this.answer(session, this.context.authentication.authenticate(session, message.signature, message.extra));
  }

  /** The client leaves (GOODBYE back, then the connection is closed), or answers the router's GOODBYE. */
  goodbye(session: ServerSession, _message: GoodbyeMessage): void {
    const state = session.v2!;
    if (state.phase === 'shutting-down') {
      const leaving = this.leaving.get(session);
      this.closeNow(session, leaving?.code ?? CloseCode.normal, leaving?.reason ?? '');
      return;
    }
    state.phase = 'closed';
    session.send(encodeGoodbye({}, WampClose.goodbyeAndOut));
    this.closeNow(session, CloseCode.normal, '');
  }

  /** The client gave up on the session (ABORT): the connection is closed. */
  aborted(session: ServerSession, _message: AbortMessage): void {
    this.closeNow(session, CloseCode.normal, '');
  }

  /** ABORT with `reason`, then the connection is closed. */
  abort(session: ServerSession, reason: string, message: string, code: number = CloseCode.normal, closeReason = ''): void {
    session.send(encodeAbort({ message }, reason));
    this.closeNow(session, code, closeReason);
  }

  /** A protocol violation: ABORT `wamp.error.protocol_violation` (or `invalid_uri`), counted, and the connection is closed. */
  violation(session: ServerSession, reason: string, abortReason: string = WampError.protocolViolation): void {
    this.context.counters.refuse('malformed');
    this.context.logger.debug(`closing v2 session ${session.v2Id}: ${reason}`);
    this.abort(session, abortReason, reason, CloseCode.protocolError, 'protocol violation');
  }

  /** The connection is gone: its timers and exchange with it. */
  closed(session: ServerSession): void {
    clearTimeout(this.deadlines.get(session));
    this.deadlines.delete(session);
    clearTimeout(this.leaving.get(session)?.timer);
    this.leaving.delete(session);
    this.context.authentication.closed(session);
    session.v2!.closeGracefully = undefined;
  }

  /** Sends the authentication's answer now, or once it is known (the client is not heard meanwhile). */
  private answer(session: ServerSession, step: Wamp2AuthStep | Promise<Wamp2AuthStep>): void {
    if (!isPromiseLike(step)) {
      this.apply(session, step);
      return;
    }
    const state = session.v2!;
    state.awaitingAnswer = true;
    step.then(
      (known) => {
        state.awaitingAnswer = false;
        if (session.isOpen) this.apply(session, known);
      },
      (error: unknown) => {
        // Wamp2Authentication never rejects; this is a bug, reached from the wire.
        state.awaitingAnswer = false;
        this.context.logger.limitedError('session-failed', `v2 session ${session.v2Id}: authentication failed: ${errorMessage(error)}`);
        if (session.isOpen) this.abort(session, WampError.authenticationFailed, 'authentication could not be completed');
      },
    );
  }

  private apply(session: ServerSession, step: Wamp2AuthStep): void {
    const state = session.v2!;
    switch (step.step) {
      case 'challenge':
        state.phase = 'challenging';
        session.send(encodeChallenge(step.authmethod, step.extra));
        return;
      case 'abort':
        this.abort(session, step.reason, step.message);
        return;
      case 'welcome':
        if (step.identity) session.authenticate(step.identity);
        state.authId = step.authid;
        state.authRole = step.authrole;
        state.authMethod = step.authmethod;
        this.welcome(session, step.authprovider);
    }
  }

  /** Establishes the session: WELCOME, then the open hooks. */
  private welcome(session: ServerSession, authprovider: string): void {
    const state = session.v2!;
    clearTimeout(this.deadlines.get(session));
    this.deadlines.delete(session);
    state.phase = 'established';
    state.welcomed = true;
    state.closeGracefully = (code, reason) => this.leave(session, code, reason);
    session.send(
      encodeWelcome(session.v2Id, {
        realm: state.realm,
        roles: ROUTER_ROLES,
        authid: state.authId,
        authrole: state.authRole,
        authmethod: state.authMethod,
        authprovider,
        agent: this.context.options.serverIdent,
      }),
    );
    this.context.hooks.emit('onWampSessionOpen', session);
  }

  /**
   * `session.close()` of an established session (the application, or the server shutting down
   * with 1001): GOODBYE (`wamp.close.system_shutdown` for 1001, else `wamp.close.killed`), then
   * the connection is closed with `code` once the client answers, or after `goodbyeTimeoutMs`.
   */
  private leave(session: ServerSession, code: number, reason: string): void {
    const state = session.v2!;
    state.closeGracefully = undefined;
    state.phase = 'shutting-down';
    const uri = code === CloseCode.goingAway ? WampClose.systemShutdown : WampClose.killed;
    session.send(encodeGoodbye(reason ? { message: reason } : {}, uri));
    const timer = setTimeout(() => this.closeNow(session, code, reason), this.context.goodbyeTimeoutMs);
    this.leaving.set(session, { code, reason, timer });
  }

  /** Closes the connection itself (no GOODBYE). */
  private closeNow(session: ServerSession, code: number, reason: string): void {
    session.v2!.closeGracefully = undefined;
    session.close(code, reason);
  }

  private timedOut(session: ServerSession, timeoutMs: number): void {
    this.deadlines.delete(session);
    if (!session.isOpen || session.v2!.welcomed) return;
    this.context.logger.debug(`closing v2 session ${session.v2Id}: not established within ${timeoutMs} ms`);
    this.abort(
      session,
      WampError.notAuthorized,
      `authentication timeout: the session was not established within ${timeoutMs} ms`,
      CloseCode.policyViolation,
      'authentication timeout',
    );
  }
}
