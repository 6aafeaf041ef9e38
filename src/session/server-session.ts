import { CompiledPermissions } from '../permissions/permissions.js';
import { PrefixMap } from '../protocol/curie.js';
import { SerialQueue } from './serial-queue.js';
import type { TextFrame } from '../websocket/frames.js';
import type { PeerState } from '../core/peer-state.js';
import type { SessionSocket } from './session-socket.js';
import type { WampHandshake, WampIdentity, WampProtocolVersion, WampSession } from '../core/wamp-session.js';
import type { Wamp2State } from './wamp2-state.js';

const NO_TOPICS: ReadonlySet<string> = new Set();
/** The arrival time of a call answered early (`cancelCall`): `settleCall` then gives -1, as for a call not pending. */
const CANCELED = -1;

/**
 * The server's side of a session: what `WampSession` shows, plus the protocol state that
 * dies with the connection (prefixes, subscriptions, calls awaiting an answer, the queue
 * that keeps pub/sub messages in order). Each of those is created when first needed: most
 * sessions use few of them, and thousands of idle sessions should cost little memory.
 */
export class ServerSession implements WampSession {
  // Every field is set in the constructor (undefined until needed), so that all of them live in
  // the object itself instead of a separately allocated property store.
  private prefixMap: PrefixMap | undefined = undefined;
  /** Kept in step with `TopicIndex`, which owns both sides of a subscription. */
  private topicSet: Set<string> | undefined = undefined;
  /**
   * Call ids received and not answered yet, with when each arrived (`performance.now()`): the
   * usual single one in two fields, more in a Map.
   */
  private pendingCall: string | undefined = undefined;
  private pendingCallSince = 0;
  private pendingCalls: Map<string, number> | undefined = undefined;
  /** SUBSCRIBE, UNSUBSCRIBE and PUBLISH run through it one at a time, in arrival order. */
  private queue: SerialQueue | undefined = undefined;
  private appData: Record<string, unknown> | undefined = undefined;
  private currentIdentity: WampIdentity | undefined = undefined;
  private compiledGrants: CompiledPermissions | undefined = undefined;
  /** A ping was sent and its pong has not come back yet. */
  private awaitingPong = false;
  /** The rate limit's token bucket (`limits.rate`), filled on first use. */
  private tokens = Number.NaN;
  private refilledAt = 0;
  /** Set once the router has forgotten the session (its connection is gone). */
  private forgotten = false;

  /** The WAMP v2 session's own state (realm, phase, its subscriptions and registrations by id); v1 sessions have none. */
  v2: Wamp2State | undefined = undefined;

  constructor(
    readonly id: string,
    readonly v2Id: number,
    readonly protocolVersion: WampProtocolVersion,
    readonly handshake: WampHandshake,
    private readonly socket: SessionSocket,
    private readonly onQueueError: (session: ServerSession, error: unknown) => void,
  ) {}

  get data(): Record<string, unknown> {
    return (this.appData ??= {});
  }

  get subscriptions(): ReadonlySet<string> {
    return this.topicSet ?? NO_TOPICS;
  }

  /** False from the moment either side starts closing: nothing more is sent or handled. */
  get isOpen(): boolean {
    return this.socket.state === 'open';
  }

  /** The session's lifecycle is its connection's: open → closing → closed. */
  get state(): PeerState {
    return this.socket.state;
  }

  get identity(): WampIdentity | undefined {
    return this.currentIdentity;
  }

  /** The compiled permissions of the identity, for the access checks. */
  get grants(): CompiledPermissions | undefined {
    return this.compiledGrants;
  }

  authenticate(identity: WampIdentity): void {
    this.currentIdentity = identity;
    this.compiledGrants = CompiledPermissions.of(identity.permissions);
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  get bytesHeld(): number {
    return this.socket.bytesHeld;
  }

  send(message: string | TextFrame): void {
    this.socket.send(message);
  }

  close(code = 1000, reason = ''): void {
    // An established v2 session says GOODBYE first.
    const graceful = this.v2?.closeGracefully;
    if (graceful !== undefined) return graceful(code, reason);
    this.socket.close(code, reason);
  }

  /**
   * The heartbeat: false when the previous ping went unanswered (the caller then cuts the
   * connection); otherwise sends a new ping and returns true. A session already closing gets no
   * ping, so it is cut at the next beat if its peer has not finished the closing handshake.
   */
  ping(): boolean {
    if (this.awaitingPong) return false;
    this.awaitingPong = true;
    if (this.socket.state === 'open') this.socket.ping();
    return true;
  }

  pong(): void {
    this.awaitingPong = false;
  }

  /** Takes one token from the session's bucket (`perSecond` sustained, `burst` at most); false when it is empty. */
  takeToken(perSecond: number, burst: number, now: number): boolean {
    if (Number.isNaN(this.tokens)) {
      this.tokens = burst;
      this.refilledAt = now;
    }
    this.tokens = Math.min(burst, this.tokens + ((now - this.refilledAt) * perSecond) / 1000);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Cuts the connection without waiting for the closing handshake. */
  terminate(): void {
    if (this.socket.state !== 'closed') this.socket.terminate();
  }

  // --- CURI prefixes

  definePrefix(prefix: string, uri: string): void {
    (this.prefixMap ??= new PrefixMap()).set(prefix, uri);
  }

  hasPrefix(prefix: string): boolean {
    return this.prefixMap?.has(prefix) ?? false;
  }

  get prefixCount(): number {
    return this.prefixMap?.size ?? 0;
  }

  /** A CURI resolved with this session's prefixes; anything else as it is. */
  resolve(curieOrUri: string): string {
    return this.prefixMap ? this.prefixMap.resolve(curieOrUri) : curieOrUri;
  }

  // --- subscriptions (for TopicIndex)

  hasTopic(topic: string): boolean {
    return this.topicSet?.has(topic) ?? false;
  }

  addTopic(topic: string): void {
    (this.topicSet ??= new Set()).add(topic);
  }

  removeTopic(topic: string): boolean {
    return this.topicSet?.delete(topic) ?? false;
  }

  // --- calls awaiting their answer

  isPending(callId: string): boolean {
    return this.pendingCall === callId || (this.pendingCalls?.has(callId) ?? false);
  }

  /** A call now awaits its answer; `since` is when it arrived (`performance.now()`). */
  addPending(callId: string, since: number): void {
    if (this.pendingCalls) {
      this.pendingCalls.set(callId, since);
    } else if (this.pendingCall === undefined) {
      this.pendingCall = callId;
      this.pendingCallSince = since;
    } else {
      this.pendingCalls = new Map([
        [this.pendingCall, this.pendingCallSince],
        [callId, since],
      ]);
      this.pendingCall = undefined;
    }
  }

  /**
   * Marks a call answered and returns when it arrived (as given to `addPending`); -1 when it was
   * not pending (already answered, or session gone).
   */
  settleCall(callId: string): number {
    if (this.pendingCall === callId) {
      this.pendingCall = undefined;
      return this.pendingCallSince;
    }
    const since = this.pendingCalls?.get(callId);
    if (since === undefined) return -1;
    this.pendingCalls!.delete(callId);
    if (this.pendingCalls!.size === 0) this.pendingCalls = undefined;
    return since;
  }

  /**
   * Marks a pending call answered early (a v2 CANCEL) while what runs it goes on: it stays pending,
   * so it still counts in flight and its id stays in use, and its answer, when it comes, is dropped
   * (`settleCall` gives -1 and forgets it). Returns when it arrived; -1 when it was not pending or
   * was canceled already.
   */
  cancelCall(callId: string): number {
    if (this.pendingCall === callId) {
      const since = this.pendingCallSince;
      this.pendingCallSince = CANCELED;
      return since;
    }
    const since = this.pendingCalls?.get(callId);
    if (since === undefined || since === CANCELED) return -1;
    this.pendingCalls!.set(callId, CANCELED);
    return since;
  }

  get pendingCallCount(): number {
    return this.pendingCalls?.size ?? (this.pendingCall === undefined ? 0 : 1);
  }

  // --- the ordered pub/sub queue

  enqueue(task: () => unknown): void {
    (this.queue ??= new SerialQueue((error) => this.onQueueError(this, error))).push(task);
  }

  /** Pub/sub tasks running or waiting. */
  get queuedTasks(): number {
    return this.queue?.size ?? 0;
  }

  /** The transport saw the connection end: forget everything that belongs to it; false when it was forgotten already. */
  forget(): boolean {
    if (this.forgotten) return false;
    this.forgotten = true;
    this.pendingCall = undefined;
    this.pendingCalls = undefined;
    this.prefixMap = undefined;
    return true;
  }
}
