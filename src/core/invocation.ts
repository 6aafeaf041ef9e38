import type { WampSession } from './wamp-session.js';

/**
 * What a handler is being asked to do; guards and interceptors read it from the context. The
 * router builds them with its own session class (`S`); handlers see the public `WampSession`.
 */
export type WampInvocation<S extends WampSession = WampSession> =
  WampCallInvocation<S> | WampSubscribeInvocation<S> | WampPublishInvocation<S>;

/**
 * What permission maps and `auth.authorize` decide about: the kinds of invocation, and `register`
 * (a WAMP v2 client registering a procedure, which runs no handler).
 */
export type WampActionKind = WampInvocation['kind'] | 'register';

export interface WampCallInvocation<S extends WampSession = WampSession> {
  readonly kind: 'call';
  readonly session: S;
  /** The procedure URI, CURI resolved. */
  readonly uri: string;
  readonly callId: string;
  /** The call's arguments; an interceptor may replace them before the handler runs. */
  args: unknown[];
  /** A WAMP v2 CALL's keyword arguments (`ArgumentsKw`), when it sent any; v1 calls have none. */
  kwargs?: Readonly<Record<string, unknown>>;
}

export interface WampSubscribeInvocation<S extends WampSession = WampSession> {
  readonly kind: 'subscribe';
  readonly session: S;
  /** The topic URI, CURI resolved. */
  readonly uri: string;
}

export interface WampPublishInvocation<S extends WampSession = WampSession> {
  readonly kind: 'publish';
  readonly session: S;
  /** The topic URI, CURI resolved. */
  readonly uri: string;
  event: unknown;
  /** Session ids the event must not reach (excludeMe already folded in). */
  exclude: string[];
  /** When set, only these session ids may receive the event; `[]` means nobody. */
  eligible?: string[];
}
