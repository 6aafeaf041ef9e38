import type { SessionPhase } from '../protocol/v2/client-rules.js';
import type { CalleeState } from './callee-state.js';

/** One of a v2 session's subscriptions, as the broker knows it (`pubsub/v2-subscriptions.ts`). */
export interface Wamp2SubscriptionRef {
  readonly id: number;
  readonly match: 'exact' | 'prefix';
  /** The server's topic (exact), or its topic prefix (prefix). */
  readonly uri: string;
}

/**
 * What a WAMP v2 session keeps beside `ServerSession`'s shared state: where it stands in the
 * session's state chart, the realm it joined and who it authenticated as. The v2 broker and
 * dealer keep their per-session state here too.
 */
export class Wamp2State {
  phase: SessionPhase = 'closed';
  /** Set once WELCOME went out: the open hooks ran, so the close hooks will. */
  welcomed = false;
  realm = '';
  authId: string | undefined = undefined;
  authRole = 'anonymous';
  authMethod = 'anonymous';
  /**
   * The router is working out its answer to HELLO or AUTHENTICATE (a secret, ticket or
   * permissions callback, or a failure's delay): what the client sends meanwhile is dropped, so
   * that nothing it sends learns the answer sooner.
   */
  awaitingAnswer = false;
  /** While established: what `session.close()` does instead of closing at once (GOODBYE first, see `Wamp2Opening.leave`). */
  closeGracefully: ((code: number, reason: string) => void) | undefined = undefined;
  /** The dealer's state for this session as a callee (registrations, pending INVOCATIONs); created on its first REGISTER. */
  callee: CalleeState | undefined = undefined;
  /** The broker's subscriptions of this session, by id (exact and prefix; kept by `Wamp2Subscriptions`). */
  readonly subscriptions = new Map<number, Wamp2SubscriptionRef>();
}
