import type { WampCallInvocation } from '../../core/invocation.js';
import { WampErrorUri } from '../../protocol/error-uris.js';
import { encodeRegistered, encodeUnregistered } from '../../protocol/v2/encode.js';
import { encodeRefusal } from './call-replies.js';
import { WampError } from '../../protocol/v2/error-uris.js';
import { MessageCode } from '../../protocol/v2/message-code.js';
import type {
  CallMessage,
  CancelMessage,
  ErrorMessage,
  RegisterMessage,
  UnregisterMessage,
  YieldMessage,
} from '../../protocol/v2/messages.js';
import type { ServerSession } from '../../session/server-session.js';
import { REGISTRATIONS_PER_SESSION } from '../client-procedures.js';
import type { Wamp2Context } from './wamp2-context.js';
import type { Wamp2Opening } from './wamp2-opening.js';

const CANCELED = { uri: WampError.canceled, desc: 'canceled by the caller' } as const;

/** The requests of the dealer a client sends, for their ERROR answers. */
type DealerRequestType = typeof MessageCode.Call | typeof MessageCode.Register | typeof MessageCode.Unregister;

/**
 * The v2 dealer (Basic Profile): CALL to the server's procedures and to procedures v2 clients
 * registered, REGISTER, UNREGISTER, and a callee's YIELD or ERROR. A v2 call is pending in its
 * session under its request id in decimal, as a v1 call is under its call id: the v1 router runs
 * it (handlers with their guards, pipes, interceptors and filters; the client procedures) and
 * answers it, as `WampBroker.sendCallResult` does, in the caller's protocol.
 */
export class Wamp2Dealer {
  constructor(
    private readonly context: Wamp2Context,
    /** Ends a session over a protocol violation (ABORT, then the connection is closed). */
    private readonly opening: Wamp2Opening,
  ) {}

  call(session: ServerSession, message: CallMessage): void {
    const callId = String(message.request);
    if (session.isPending(callId)) {
      this.opening.violation(session, `CALL request ${callId} reuses the id of a call still in flight`);
      return;
    }
    const { counters, handlers, options, router } = this.context;
    const limit = options.limits.callsInFlight;
    if (session.pendingCallCount >= limit) {
      counters.refuse('calls-in-flight');
      this.refuse(session, MessageCode.Call, message.request, WampErrorUri.busy, `more than ${limit} calls in flight`);
      return;
    }
    const call: WampCallInvocation<ServerSession> = {
      kind: 'call',
      session,
      uri: handlers.uris.fromV2(message.procedure),
      callId,
      args: message.args === undefined ? [] : (message.args as unknown[]),
      kwargs: message.kwargs,
    };
    session.addPending(callId, performance.now());
    router.runCall(call);
  }

  /**
   * CANCEL (Advanced Profile, `call_canceling`): whatever its mode, a call still pending is answered
   * at once with ERROR `wamp.error.canceled`, and its result, when it comes, is dropped. A call to
   * a client procedure is over then (its invocation is forgotten, the callee's YIELD ignored; it
   * gets no INTERRUPT); a server handler cannot be stopped, so its call stays in flight (counted in
   * `limits.callsInFlight`, its request id in use) until the handler finishes. A call no longer
   * pending, or canceled already: ignored.
   */
  cancel(session: ServerSession, message: CancelMessage): void {
    const { router } = this.context;
    const callId = String(message.request);
    if (router.clientProcedures.forgetCall(session, callId)) router.sendCallError(session, callId, CANCELED);
    else router.answerEarly(session, callId, CANCELED);
  }

  register(session: ServerSession, message: RegisterMessage): void {
    const { access, handlers, router } = this.context;
    const { request, options } = message;
    if ((options.match !== undefined && options.match !== 'exact') || (options.invoke !== undefined && options.invoke !== 'single')) {
      this.refuse(session, MessageCode.Register, request, WampError.optionNotAllowed, 'only exact, single registrations are supported');
      return;
    }
    const uri = handlers.uris.fromV2(message.procedure);
    if (!access.permits(session, 'register', uri)) {
      this.refuse(session, MessageCode.Register, request, WampError.notAuthorized, `not authorized to register ${message.procedure}`);
      return;
    }
    const registration = handlers.procedure(uri) ? 'exists' : router.clientProcedures.register(session, uri);
    if (registration === 'exists') {
      this.refuse(session, MessageCode.Register, request, WampError.procedureAlreadyExists, `${message.procedure} is registered already`);
    } else if (registration === 'limit') {
      this.refuse(
        session,
        MessageCode.Register,
        request,
        WampErrorUri.busy,
        `at most ${REGISTRATIONS_PER_SESSION} registrations per session`,
      );
    } else {
      session.send(encodeRegistered(request, registration.id));
    }
  }

  unregister(session: ServerSession, message: UnregisterMessage): void {
    if (this.context.router.clientProcedures.unregister(session, message.registration)) {
      session.send(encodeUnregistered(message.request));
    } else {
      this.refuse(session, MessageCode.Unregister, message.request, WampError.noSuchRegistration, 'no such registration of this session');
    }
  }

  /** A callee's answer to an INVOCATION. */
  yield(session: ServerSession, message: YieldMessage): void {
    this.context.router.clientProcedures.answer(session, message.request, message);
  }

  /** A callee's ERROR for an INVOCATION. */
  invocationError(session: ServerSession, message: ErrorMessage): void {
    this.context.router.clientProcedures.answer(session, message.request, message);
  }

  /** The session is gone: its registrations end, the calls waiting for it get `wamp.error.canceled`, its own are forgotten. */
  closed(session: ServerSession): void {
    this.context.router.clientProcedures.sessionClosed(session);
  }

  /** ERROR for a request refused before it took effect; a refused CALL is counted as answered (`refused`). */
  private refuse(session: ServerSession, type: DealerRequestType, request: number, error: string, message: string): void {
    session.send(encodeRefusal(type, request, error, message));
    if (type === MessageCode.Call) this.context.counters.answered('refused', 0);
  }
}
