import type { WampCallInvocation } from '../core/invocation.js';
import { SessionScopeIdGenerator } from '../protocol/v2/id-generators.js';
import type { ServerSession } from './server-session.js';

/** A procedure a WAMP v2 client registered. */
export interface ClientRegistration {
  /** REGISTERED.Registration: router scope, unique among the live registrations. */
  readonly id: number;
  /** The server's name of the procedure: REGISTER's URI through the v1 ↔ v2 pairs (`fromV2`). */
  readonly uri: string;
  readonly callee: ServerSession;
}

/** An INVOCATION sent to a callee and not answered yet: the call (of either protocol) it answers. */
export interface PendingInvocation {
  /** INVOCATION.Request, in the callee's session scope. */
  readonly request: number;
  readonly registration: ClientRegistration;
  /** The caller's call, pending in its session under `call.callId`. */
  readonly call: WampCallInvocation<ServerSession>;
}

/**
 * What the dealer keeps for a v2 session that registered procedures: its registrations, the
 * INVOCATIONs waiting for its YIELD or ERROR, and the request ids of those (1, 2, 3, …). Created
 * on the session's first REGISTER; freed with the session.
 */
export class CalleeState {
  readonly registrations = new Map<number, ClientRegistration>();
  readonly invocations = new Map<number, PendingInvocation>();
  private readonly requestIds = new SessionScopeIdGenerator();

  /** The next INVOCATION.Request; skips one still pending (only possible after 2^53 requests). */
  nextRequest(): number {
    let request: number;
    do request = this.requestIds.nextId();
    while (this.invocations.has(request));
    return request;
  }
}
