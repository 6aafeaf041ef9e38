import type { ClusterBus, ClusterRequest } from './cluster-bus.js';

/** A session of any instance, as `WampCluster.sessions()` lists it. */
export interface WampClusterSession {
  /** Its v1 id. */
  readonly id: string;
  /** Its v2 id (every session has both, whichever protocol it speaks). */
  readonly v2Id: number;
  /** The instance that holds its connection. */
  readonly instance: string;
  /** Its auth key once authenticated (`null`: anonymous); absent before. */
  readonly authKey?: string | null;
  /** Topics it is subscribed to. */
  readonly subscriptions: readonly string[];
}

/** What a `WampCluster` does on its own instance: the synchronous `WampBroker` operations. */
export interface ClusterLocalOps {
  readonly instance: string;
  sessions(topic?: string): WampClusterSession[];
  subscribers(topic: string): string[];
  close(sessionId: string, code: number, reason: string): boolean;
  subscribe(sessionId: string, topic: string): boolean;
  unsubscribe(sessionId: string, topic: string): boolean;
  sendCallResult(sessionId: string, callId: string, result: unknown): boolean;
  sendCallError(sessionId: string, callId: string, uri: string, desc: string, details?: unknown): boolean;
}

/** A handler of the messages other instances send with `WampCluster.emit`. */
export type WampClusterListener = (payload: unknown, from: string) => void;

/**
 * The broker's operations over every instance of the application (`WampBroker.cluster`), for
 * sessions connected anywhere: each first looks on this instance (synchronously, as the broker
 * does), then asks the others through the backplane and waits for their answers at most the
 * backplane's request timeout. Without a backplane that connects instances (the default `MemoryBackplane`), they act
 * on this instance only. Requests and answers cross as JSON.
 */
export class WampCluster {
  private readonly listeners = new Map<string, Set<WampClusterListener>>();

  constructor(
    private readonly local: ClusterLocalOps,
    private readonly bus: ClusterBus | undefined,
  ) {
    bus?.serve((request) => this.respond(request));
  }

  /** The open sessions of every instance that answered in time: all, or those subscribed to `topic`. */
  async sessions(topic?: string): Promise<WampClusterSession[]> {
    return [...this.local.sessions(topic), ...(await this.gather<WampClusterSession>('sessions', topic === undefined ? [] : [topic]))];
  }

  /** Ids of the sessions subscribed to `topic`, on every instance that answered in time. */
  async subscribers(topic: string): Promise<string[]> {
    return [...this.local.subscribers(topic), ...(await this.gather<string>('subscribers', [topic]))];
  }

  /** Closes a session wherever it is connected; false when no instance has it. */
  close(sessionId: string, code = 1000, reason = ''): Promise<boolean> {
    return this.first('close', [sessionId, code, reason]);
  }

  /** Subscribes a session, wherever it is, without asking any subscribe rule (as `WampBroker.subscribe`). */
  subscribe(sessionId: string, topic: string): Promise<boolean> {
    return this.first('subscribe', [sessionId, topic]);
  }

  /** Unsubscribes a session, wherever it is; false when it was not subscribed. */
  unsubscribe(sessionId: string, topic: string): Promise<boolean> {
    return this.first('unsubscribe', [sessionId, topic]);
  }

  /** Answers a call pending on any instance (as `WampBroker.sendCallResult`); false when none has it. */
  sendCallResult(sessionId: string, callId: string, result: unknown): Promise<boolean> {
    return this.first('sendCallResult', [sessionId, callId, result]);
  }

  /** Answers a call pending on any instance with an error (as `WampBroker.sendCallError`). */
  sendCallError(sessionId: string, callId: string, uri: string, desc: string, details?: unknown): Promise<boolean> {
    return this.first('sendCallError', details === undefined ? [sessionId, callId, uri, desc] : [sessionId, callId, uri, desc, details]);
  }

  /**
   * Sends a message to the other instances (not this one), to their listeners of `name`;
   * resolves with how many instances have a listener for it.
   */
  async emit(name: string, payload?: unknown): Promise<number> {
    const answers = await this.ask({ op: 'emit', args: [name, payload ?? null, this.local.instance] });
    return answers.filter((answer) => answer === true).length;
  }

  /** Listens to the messages other instances `emit` under `name`; returns what stops listening. */
  on(name: string, listener: WampClusterListener): () => void {
    let listeners = this.listeners.get(name);
    if (!listeners) this.listeners.set(name, (listeners = new Set()));
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.listeners.get(name) === listeners) this.listeners.delete(name);
    };
  }

  /** What this instance answers another's request with. Unknown operations and bad arguments: null. */
  private respond({ op, args }: ClusterRequest): unknown {
    const text = (index: number) => (typeof args[index] === 'string' ? (args[index] as string) : undefined);
    const [a, b, c, d] = [text(0), text(1), text(2), text(3)];
    switch (op) {
      case 'sessions':
        return this.local.sessions(a);
      case 'subscribers':
        return a === undefined ? [] : this.local.subscribers(a);
      case 'close':
        return a !== undefined && typeof args[1] === 'number' && typeof args[2] === 'string' && this.local.close(a, args[1], args[2]);
      case 'subscribe':
        return a !== undefined && b !== undefined && this.local.subscribe(a, b);
      case 'unsubscribe':
        return a !== undefined && b !== undefined && this.local.unsubscribe(a, b);
      case 'sendCallResult':
        return a !== undefined && b !== undefined && this.local.sendCallResult(a, b, args[2]);
      case 'sendCallError':
        return a !== undefined && b !== undefined && c !== undefined && d !== undefined && this.local.sendCallError(a, b, c, d, args[4]);
      case 'emit':
        return a !== undefined && this.deliver(a, args[1], text(2) ?? '');
      default:
        return null;
    }
  }

  /** Hands another instance's message to the listeners of `name`; whether there was one. */
  private deliver(name: string, payload: unknown, from: string): boolean {
    const listeners = this.listeners.get(name);
    if (!listeners) return false;
    for (const listener of [...listeners]) listener(payload, from);
    return true;
  }

  /** Acts here when the session is here; otherwise asks the others, true when one of them acted. */
  private async first(op: keyof ClusterLocalOps, args: unknown[]): Promise<boolean> {
    if ((this.local[op] as (...values: unknown[]) => boolean)(...args)) return true;
    return (await this.ask({ op, args })).includes(true);
  }

  /** The other instances' answers that are lists, joined. */
  private async gather<T>(op: string, args: unknown[]): Promise<T[]> {
    return (await this.ask({ op, args })).flatMap((answer) => (Array.isArray(answer) ? (answer as T[]) : []));
  }

  private ask(request: ClusterRequest): Promise<unknown[]> {
    return this.bus ? this.bus.ask(request) : Promise.resolve([]);
  }
}
