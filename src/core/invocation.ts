import type { WampSession } from './wamp-session.js';

/**
 * What a handler is being asked to do; guards and interceptors read it from the context. The
 * router builds them with its own session class (`S`); handlers see the public `WampSession`.
 */
export type WampInvocation<S extends WampSession = WampSession> =
  WampCallInvocation<S> | WampSubscribeInvocation<S> | WampPublishInvocation<S>;

export type WampActionKind = WampInvocation['kind'];

export interface WampCallInvocation<S extends WampSession = WampSession> {
  readonly kind: 'call';
  readonly session: S;
  /** The procedure URI, CURI resolved. */
  readonly uri: string;
  readonly callId: string;
  /** The call's arguments; an interceptor may replace them before the handler runs. */
  args: unknown[];
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
