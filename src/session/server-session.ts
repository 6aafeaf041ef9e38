import { CompiledPermissions } from '../auth/permissions.js';
import { PrefixMap } from '../protocol/curie.js';
import { SerialQueue } from './serial-queue.js';
import type { SessionSocket } from './session-socket.js';
import type { WampHandshake, WampIdentity, WampSession } from './wamp-session.js';

/**
 * The server's side of a session: what `WampSession` shows, plus the protocol state that
 * dies with the connection (prefixes, subscriptions, calls awaiting an answer, the queue
 * that keeps pub/sub messages in order).
 */
export class ServerSession implements WampSession {
  readonly data: Record<string, unknown> = {};
  readonly prefixes = new PrefixMap();
  /** Kept by `TopicIndex`, which owns both sides of a subscription. */
  readonly topics = new Set<string>();
  /** Call ids received and not answered yet. */
  readonly pendingCalls = new Set<string>();
  /** SUBSCRIBE, UNSUBSCRIBE and PUBLISH run through it one at a time, in arrival order. */
  readonly pubSubQueue: SerialQueue;
  private authenticated?: { readonly identity: WampIdentity; readonly grants: CompiledPermissions };
  /** open → closing (the server sent its close frame) → closed (the connection is gone). */
  private state: 'open' | 'closing' | 'closed' = 'open';

  constructor(
    readonly id: string,
    readonly handshake: WampHandshake,
    private readonly socket: SessionSocket,
    onQueueError: (error: unknown) => void,
  ) {
    this.pubSubQueue = new SerialQueue(onQueueError);
  }

  get subscriptions(): ReadonlySet<string> {
    return this.topics;
  }

  /** False from the moment either side starts closing: nothing more is sent or handled. */
  get isOpen(): boolean {
    return this.state === 'open';
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  get identity(): WampIdentity | undefined {
    return this.authenticated?.identity;
  }

  /** The compiled permissions of the identity, for the access checks. */
  get grants(): CompiledPermissions | undefined {
    return this.authenticated?.grants;
  }

  authenticate(identity: WampIdentity): void {
    this.authenticated = { identity, grants: new CompiledPermissions(identity.permissions) };
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  send(frame: string | Buffer): void {
    if (this.state === 'open') this.socket.send(frame);
  }

  close(code = 1000, reason = ''): void {
    if (this.state !== 'open') return;
    this.state = 'closing';
    this.socket.close(code, reason);
  }

  /** Marks a call answered; false when it was not pending (already answered, or session gone). */
  settleCall(callId: string): boolean {
    return this.pendingCalls.delete(callId);
  }

  /** The transport saw the connection end: forget everything that belongs to it. */
  markClosed(): void {
    this.state = 'closed';
    this.pendingCalls.clear();
    this.prefixes.clear();
  }
}
