import type { OutgoingHttpHeaders } from 'node:http';
import { WebSocket } from 'ws';
import { WampClient } from '../client/wamp-client.js';
import type { WebSocketLike } from '../client/websocket-like.js';

export interface WampTestClientOptions {
  /** The Origin header to send (none by default, like a non-browser client). */
  readonly origin?: string;
  /** Subprotocols to offer. Default `['wamp']`. */
  readonly protocols?: readonly string[];
  readonly headers?: OutgoingHttpHeaders;
  /** How long to wait for WELCOME. Default 5000 ms. */
  readonly timeoutMs?: number;
}

/** The server refused the WebSocket handshake: its HTTP status (403 origin, 400 no `wamp` subprotocol, 404 path...) and body. */
export class WampHandshakeError extends Error {
  override readonly name = 'WampHandshakeError';

  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`WebSocket handshake refused: HTTP ${status}${body ? ` (${body})` : ''}`);
  }
}

export interface ReceivedEvent {
  readonly topic: string;
  readonly event: unknown;
}

/**
 * A WAMP v1 client for tests (yours and ours), over `ws`. On top of `WampClient` it records
 * every event it receives, in order, and waits for events with a bound.
 *
 *     const client = await WampTestClient.connect('ws://127.0.0.1:3000/ws');
 *     expect(await client.call('http://example.com/rpc#add', 2, 3)).toBe(5);
 */
export class WampTestClient extends WampClient {
  /** Every EVENT received so far, in arrival order. */
  readonly received: ReceivedEvent[] = [];
  private readonly unclaimed: ReceivedEvent[] = [];
  private readonly waiters = new Set<(received: ReceivedEvent) => boolean>();

  /** Connects and resolves once WELCOME arrived; rejects with a `WampHandshakeError` (the HTTP status) if the handshake is refused. */
  static connect(url: string, options: WampTestClientOptions = {}): Promise<WampTestClient> {
    const socket = new WebSocket(url, [...(options.protocols ?? ['wamp'])], {
      origin: options.origin,
      headers: options.headers,
      handshakeTimeout: options.timeoutMs ?? 5000,
    });
    return new Promise((resolve, reject) => {
      let refused: WampHandshakeError | undefined;
      socket.once('unexpected-response', (_request, response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => {
          refused = new WampHandshakeError(response.statusCode ?? 0, body);
          socket.terminate();
        });
      });
      WampTestClient.open(socket as unknown as WebSocketLike).then(resolve, (error: unknown) => reject(refused ?? error));
    });
  }

  /**
   * The oldest event on `topic` (full URI) not yet taken by an earlier `nextEvent`, waiting for
   * it when none has arrived; rejects after `timeoutMs`. Events that fail `predicate` are
   * left for others.
   */
  nextEvent(topic: string, timeoutMs = 2000, predicate: (event: unknown) => boolean = () => true): Promise<unknown> {
    const matches = (received: ReceivedEvent): boolean => received.topic === topic && predicate(received.event);
    const index = this.unclaimed.findIndex(matches);
    if (index !== -1) return Promise.resolve(this.unclaimed.splice(index, 1)[0].event);
    return new Promise((resolve, reject) => {
      const waiter = (received: ReceivedEvent): boolean => {
        if (!matches(received)) return false;
        clearTimeout(timer);
        resolve(received.event);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no event on ${topic} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Events received on `topic`, in order. */
  eventsOn(topic: string): unknown[] {
    return this.received.filter((received) => received.topic === topic).map((received) => received.event);
  }

  /** Sends raw text (malformed frames included). */
  sendRaw(text: string): void {
    this.sendText(text);
  }

  protected override onEvent(topic: string, event: unknown): void {
    const received = { topic, event };
    this.received.push(received);
    for (const waiter of this.waiters) {
      if (waiter(received)) {
        this.waiters.delete(waiter);
        return;
      }
    }
    this.unclaimed.push(received);
  }
}
