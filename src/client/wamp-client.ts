import { WampCallError } from './wamp-call-error.js';
import { signChallengeAsAutobahn } from './wamp-cra-signing.js';
import type { CloseEventLike, MessageEventLike, WebSocketLike } from './websocket-like.js';

export type WampEventHandler = (event: unknown, topic: string) => void;

export interface WampCloseEvent {
  readonly code: number;
  readonly reason: string;
}

interface PendingCall {
  resolve(result: unknown): void;
  reject(error: unknown): void;
}

const OPEN = 1;
const AUTHREQ = 'http://api.wamp.ws/procedure#authreq';
const AUTH = 'http://api.wamp.ws/procedure#auth';

/**
 * A promise-based WAMP v1 client that behaves like AutobahnJS 0.8 on the wire: it resolves
 * event topics with its own prefixes, sends SUBSCRIBE for the first handler of a topic and
 * UNSUBSCRIBE after the last, and sends `undefined` arguments as `null`. It runs on any
 * WHATWG-style WebSocket, so the same code serves Node tests and the browser.
 */
export class WampClient {
  sessionId = '';
  serverIdent = '';
  protocolVersion = 0;
  /** Resolves when the connection closes, with the close frame's code and reason. */
  readonly closed: Promise<WampCloseEvent>;

  private readonly prefixes = new Map<string, string>();
  private readonly pendingCalls = new Map<string, PendingCall>();
  private readonly handlers = new Map<string, Set<WampEventHandler>>();
  private readonly callIdPrefix = randomId();
  private nextCallId = 0;

  /** Prefer `open()`, which waits for WELCOME. */
  constructor(protected readonly socket: WebSocketLike) {
    this.closed = new Promise((resolve) => {
      socket.onclose = ({ code, reason }: CloseEventLike) => {
        for (const call of this.pendingCalls.values()) call.reject(new Error(`connection closed (${code})`));
        this.pendingCalls.clear();
        resolve({ code, reason });
      };
    });
  }

  /** Opens a session on an existing socket; resolves once WELCOME arrived. */
  static open<C extends WampClient>(this: new (socket: WebSocketLike) => C, socket: WebSocketLike): Promise<C> {
    const client = new this(socket);
    return client.welcomed().then(() => client);
  }

  get isOpen(): boolean {
    return this.socket.readyState === OPEN;
  }

  /** Declares a CURI prefix for this session (PREFIX). */
  prefix(prefix: string, uri: string): void {
    this.prefixes.set(prefix, uri);
    this.send([1, prefix, uri]);
  }

  /** Calls a procedure; rejects with a `WampCallError` on CALLERROR. */
  call<T = unknown>(uri: string, ...args: unknown[]): Promise<T> {
    const callId = `${this.callIdPrefix}.${++this.nextCallId}`;
    return new Promise<T>((resolve, reject) => {
      this.pendingCalls.set(callId, { resolve: resolve as (result: unknown) => void, reject });
      this.send([2, callId, uri, ...args]);
    });
  }

  /** Adds an event handler; SUBSCRIBE goes out for the first handler of a topic. */
  subscribe(topic: string, handler: WampEventHandler): void {
    const key = this.resolve(topic);
    let handlers = this.handlers.get(key);
    if (!handlers) {
      handlers = new Set();
      this.handlers.set(key, handlers);
      this.send([5, topic]);
    }
    handlers.add(handler);
  }

  /** Removes one handler, or all of them; UNSUBSCRIBE goes out when none is left. */
  unsubscribe(topic: string, handler?: WampEventHandler): void {
    const key = this.resolve(topic);
    const handlers = this.handlers.get(key);
    if (!handlers) return;
    if (handler) handlers.delete(handler);
    else handlers.clear();
    if (handlers.size === 0) {
      this.handlers.delete(key);
      this.send([6, topic]);
    }
  }

  /**
   * Publishes an event. `exclude` is excludeMe (a boolean) or a list of session ids to skip;
   * `eligible` restricts delivery to the listed session ids.
   */
  publish(topic: string, event: unknown, exclude?: boolean | readonly string[], eligible?: readonly string[]): void {
    const frame: unknown[] = [7, topic, event];
    if (eligible !== undefined) frame.push(exclude ?? [], eligible);
    else if (exclude !== undefined) frame.push(exclude);
    this.send(frame);
  }

  /**
   * WAMP-CRA as AutobahnJS's `ab.launch` does it: `authreq(authKey, extra)`, then `auth` with the
   * challenge signed by `secret` (the key derived first when the challenge carries a salt).
   * Without an auth key it authenticates anonymously. Resolves with what `auth` returned (the
   * session's permissions); rejects with the `WampCallError` of a failed step.
   */
  async authenticate(authKey?: string | null, secret = '', extra?: Record<string, unknown>): Promise<unknown> {
    const challenge = await this.call<string | null>(AUTHREQ, authKey ?? null, extra ?? null);
    if (authKey === undefined || authKey === null) return this.call(AUTH, null);
    return this.call(AUTH, await signChallengeAsAutobahn(challenge ?? '', secret));
  }

  /** Closes the connection and waits until it is closed. */
  close(code = 1000, reason = ''): Promise<WampCloseEvent> {
    this.socket.close(code, reason);
    return this.closed;
  }

  /** Sends a frame as given (JSON-encoded), for protocol-level tests. */
  send(frame: unknown[]): void {
    this.sendText(JSON.stringify(frame));
  }

  protected sendText(text: string): void {
    if (this.isOpen) this.socket.send(text);
  }

  /** Called for every EVENT, before the topic's handlers. */
  protected onEvent(_topic: string, _event: unknown): void {}

  private welcomed(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.onerror = () => reject(new Error('WebSocket error before WELCOME'));
      this.closed.then(({ code, reason }) => reject(new Error(`closed before WELCOME (${code} ${reason})`)));
      this.socket.onmessage = ({ data }: MessageEventLike) => {
        const message = parse(data);
        if (message?.[0] !== 0) return;
        [, this.sessionId, this.protocolVersion, this.serverIdent] = message as [number, string, number, string];
        this.socket.onmessage = ({ data: next }: MessageEventLike) => this.dispatch(parse(next));
        resolve();
      };
    });
  }

  private dispatch(message: unknown[] | undefined): void {
    if (!message) return;
    switch (message[0]) {
      case 3:
        this.settle(message[1], (call) => call.resolve(message[2]));
        return;
      case 4:
        this.settle(message[1], (call) => call.reject(new WampCallError(message[2] as string, message[3] as string, message[4])));
        return;
      case 8: {
        const topic = message[1] as string;
        this.onEvent(topic, message[2]);
        for (const handler of this.handlers.get(this.resolve(topic)) ?? []) handler(message[2], topic);
        return;
      }
    }
  }

  private settle(callId: unknown, answer: (call: PendingCall) => void): void {
    const call = this.pendingCalls.get(callId as string);
    if (!call) return;
    this.pendingCalls.delete(callId as string);
    answer(call);
  }

  private resolve(curie: string): string {
    const colon = curie.indexOf(':');
    if (colon <= 0) return curie;
    const uri = this.prefixes.get(curie.slice(0, colon));
    return uri === undefined ? curie : uri + curie.slice(colon + 1);
  }
}

function parse(data: unknown): unknown[] | undefined {
  try {
    const message = JSON.parse(String(data));
    return Array.isArray(message) ? message : undefined;
  } catch {
    return undefined;
  }
}

function randomId(): string {
  const bytes = new Uint8Array(9);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (byte) => byte.toString(36).padStart(2, '0')).join('');
}
