import type { WampCallInvocation } from '../core/invocation.js';
import type { WampCounters } from '../core/wamp-counters.js';
import { WampErrorUri } from '../protocol/error-uris.js';
import { encodeCallError, encodeCallResult } from '../protocol/encode.js';
import type { WampUriMap } from '../protocol/uri-map.js';
import { encodeError, encodeInvocation, encodeResult } from '../protocol/v2/encode.js';
import { WampError } from '../protocol/v2/error-uris.js';
import { RouterScopeIdGenerator } from '../protocol/v2/id-generators.js';
import { MessageCode } from '../protocol/v2/message-code.js';
import type { Dict } from '../protocol/v2/messages.js';
import { CalleeState, type ClientRegistration, type PendingInvocation } from '../session/callee-state.js';
import type { ServerSession } from '../session/server-session.js';
import { errorOutcome, v1ErrorUri } from './call-error.js';
import type { WampHooks } from './wamp-hooks.js';

/** Procedures one session may register. */
export const REGISTRATIONS_PER_SESSION = 256;

/** What a callee answered an INVOCATION with: YIELD, or ERROR with its error URI. */
export type CalleeAnswer =
  | { readonly error?: undefined; readonly args?: readonly unknown[]; readonly kwargs?: Dict }
  | { readonly error: string; readonly args?: readonly unknown[]; readonly kwargs?: Dict };

export interface ClientProceduresDeps {
  readonly counters: WampCounters;
  readonly hooks: WampHooks;
  /** The v1 ↔ v2 names: a callee's error URI reaches a v1 caller by its v1 name. */
  readonly uris: WampUriMap;
  /** INVOCATIONs one callee may have waiting for its answer (`limits.callsInFlight`). */
  readonly invocationsPerCallee: number;
}

/**
 * The procedures WAMP v2 clients registered (by the server's name of their URI, so v1 callers
 * reach them by their v1 name), and the INVOCATIONs waiting for their callees' answers. A call
 * of either protocol, already pending in its caller's session, becomes an INVOCATION; the
 * callee's YIELD or ERROR answers it in the caller's protocol. When a callee goes (it closes or
 * unregisters), its callers get `wamp.error.canceled`; when a caller goes, its invocations are
 * forgotten and their answers ignored. Everything is freed with the sessions.
 */
export class ClientProcedures {
  private readonly byUri = new Map<string, ClientRegistration>();
  private readonly byId = new Map<number, ClientRegistration>();
  private readonly registrationIds = new RouterScopeIdGenerator();
  /** The invocations each caller waits for, to forget them when it goes. */
  private readonly byCaller = new Map<ServerSession, Set<PendingInvocation>>();

  constructor(private readonly deps: ClientProceduresDeps) {}

  /** Registrations held, all sessions together. */
  get registrationCount(): number {
    return this.byUri.size;
  }

  /** INVOCATIONs waiting for an answer, all callees together. */
  get pendingInvocationCount(): number {
    let count = 0;
    for (const invocations of this.byCaller.values()) count += invocations.size;
    return count;
  }

  /** The registration of a procedure (by the server's name), if a client registered it. */
  find(uri: string): ClientRegistration | undefined {
    return this.byUri.get(uri);
  }

  /**
   * Registers `uri` for `callee`. `exists` when a client registered it already (the caller
   * checks the server's own procedures); `limit` past `REGISTRATIONS_PER_SESSION`.
   */
  register(callee: ServerSession, uri: string): ClientRegistration | 'exists' | 'limit' {
    if (this.byUri.has(uri)) return 'exists';
    const state = (callee.v2!.callee ??= new CalleeState());
    if (state.registrations.size >= REGISTRATIONS_PER_SESSION) return 'limit';
    const registration: ClientRegistration = { id: this.registrationIds.nextId((id) => this.byId.has(id)), uri, callee };
    this.byUri.set(uri, registration);
    this.byId.set(registration.id, registration);
    state.registrations.set(registration.id, registration);
    return registration;
  }

  /** Ends one of `callee`'s registrations (the calls waiting for it get `canceled`); false when it has no such registration. */
  unregister(callee: ServerSession, id: number): boolean {
    const registration = callee.v2?.callee?.registrations.get(id);
    if (!registration) return false;
    this.drop(registration);
    const state = callee.v2!.callee!;
    for (const invocation of [...state.invocations.values()]) {
      if (invocation.registration === registration) this.cancel(state, invocation, 'the callee unregistered the procedure');
    }
    return true;
  }

  /**
   * Hands a pending call to the callee of `registration` as an INVOCATION
   * `[68, request, registration, {}, args, kwargs]`; a callee with `invocationsPerCallee`
   * answers outstanding refuses it (`error#busy`).
   */
  invoke(call: WampCallInvocation<ServerSession>, registration: ClientRegistration): void {
    const { callee } = registration;
    const state = callee.v2!.callee!;
    if (state.invocations.size >= this.deps.invocationsPerCallee) {
      this.deps.counters.refuse('calls-in-flight');
      this.answerCaller(call, { error: WampErrorUri.busy, args: [`the callee has ${this.deps.invocationsPerCallee} calls in flight`] });
      return;
    }
    const invocation: PendingInvocation = { request: state.nextRequest(), registration, call };
    state.invocations.set(invocation.request, invocation);
    let waiting = this.byCaller.get(call.session);
    if (!waiting) this.byCaller.set(call.session, (waiting = new Set()));
    waiting.add(invocation);
    callee.send(encodeInvocation(invocation.request, registration.id, {}, call.args, call.kwargs));
  }

  /** A callee's YIELD or ERROR for INVOCATION `request`; one it is not waiting for (answered, or its caller gone) is ignored. */
  answer(callee: ServerSession, request: number, answer: CalleeAnswer): void {
    const state = callee.v2?.callee;
    const invocation = state?.invocations.get(request);
    if (!invocation) return;
    this.forget(state!, invocation);
    this.answerCaller(invocation.call, answer);
  }

  /** A session is gone: its registrations end (their callers get `canceled`), and its own calls to client procedures are forgotten. */
  sessionClosed(session: ServerSession): void {
    this.callerClosed(session);
    const state = session.v2?.callee;
    if (!state) return;
    for (const registration of state.registrations.values()) this.drop(registration);
    for (const invocation of [...state.invocations.values()]) this.cancel(state, invocation, 'the callee left');
    session.v2!.callee = undefined;
  }

  /** A caller is gone: the invocations it waited for are forgotten (their YIELD or ERROR will be ignored). */
  callerClosed(session: ServerSession): void {
    const waiting = this.byCaller.get(session);
    if (!waiting) return;
    this.byCaller.delete(session);
    for (const invocation of waiting) invocation.registration.callee.v2?.callee?.invocations.delete(invocation.request);
  }

  /** A caller gave up on one call (CANCEL): its invocation is forgotten; false when the call has none. */
  forgetCall(caller: ServerSession, callId: string): boolean {
    for (const invocation of this.byCaller.get(caller) ?? []) {
      if (invocation.call.callId !== callId) continue;
      this.forget(invocation.registration.callee.v2!.callee!, invocation);
      return true;
    }
    return false;
  }

  private drop(registration: ClientRegistration): void {
    this.byUri.delete(registration.uri);
    this.byId.delete(registration.id);
    registration.callee.v2?.callee?.registrations.delete(registration.id);
  }

  private cancel(state: CalleeState, invocation: PendingInvocation, why: string): void {
    this.forget(state, invocation);
    this.answerCaller(invocation.call, { error: WampError.canceled, args: [why] });
  }

  private forget(state: CalleeState, invocation: PendingInvocation): void {
    state.invocations.delete(invocation.request);
    const waiting = this.byCaller.get(invocation.call.session);
    if (waiting?.delete(invocation) && waiting.size === 0) this.byCaller.delete(invocation.call.session);
  }

  /**
   * Answers the call in its caller's protocol, once. A v2 caller gets the callee's RESULT or
   * ERROR as it is; a v1 caller CALLRESULT with the first argument (the keyword arguments when
   * there are no positional ones, else null), or CALLERROR (see `v1Error`).
   */
  private answerCaller(call: WampCallInvocation<ServerSession>, answer: CalleeAnswer): void {
    const { session, callId } = call;
    const since = session.settleCall(callId);
    if (since < 0) return;
    const elapsed = performance.now() - since;
    const v2 = session.protocolVersion === 2;
    if (answer.error === undefined) {
      const result = v1Value(answer.args, answer.kwargs);
      session.send(v2 ? encodeResult(Number(callId), {}, answer.args, answer.kwargs) : encodeCallResult(callId, result));
      this.deps.counters.answered('result', elapsed);
      this.deps.hooks.emit('onWampCallResult', call, result);
      return;
    }
    const error = v1Error(answer.error, answer.args, answer.kwargs, this.deps.uris);
    session.send(
      v2
        ? encodeError(MessageCode.Call, Number(callId), {}, answer.error, answer.args, answer.kwargs)
        : encodeCallError(callId, error.uri, error.desc, error.details),
    );
    this.deps.counters.answered(errorOutcome(error.uri), elapsed);
    this.deps.hooks.emit('onWampCallError', call, error);
  }
}

/** What a v1 client receives of a v2 payload: the first argument, else the keyword arguments, else null. */
export function v1Value(args: readonly unknown[] | undefined, kwargs: Dict | undefined): unknown {
  if (args !== undefined && args.length > 0) return args[0];
  return kwargs !== undefined && Object.keys(kwargs).length > 0 ? kwargs : null;
}

/**
 * A v2 error as a v1 CALLERROR: the URI's v1 name (`v1ErrorUri`); as desc the first argument
 * when it is a string, else the URI; as details the next argument, else the keyword arguments.
 */
function v1Error(uri: string, args: readonly unknown[] = [], kwargs: Dict | undefined, uris: WampUriMap) {
  const described = typeof args[0] === 'string';
  const next = described ? 1 : 0;
  const details = args.length > next ? args[next] : kwargs !== undefined && Object.keys(kwargs).length > 0 ? kwargs : undefined;
  return { uri: v1ErrorUri(uri, uris), desc: described ? (args[0] as string) : uri, details };
}
