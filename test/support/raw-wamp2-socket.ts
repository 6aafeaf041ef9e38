import type { OutgoingHttpHeaders } from 'node:http';
import { WebSocket, type RawData } from 'ws';
import { closeSocket, MessageInbox, parseMessage, watchClose, type RawCloseInfo } from './raw-socket-inbox.js';
import { WAIT_MS, within } from './until.js';

export type { RawCloseInfo } from './raw-socket-inbox.js';

export interface RawWamp2ConnectOptions {
  /** Subprotocols to offer. Default `['wamp.2.json']`. */
  readonly protocols?: readonly string[];
  /** The Origin header (none by default). */
  readonly origin?: string;
  readonly headers?: OutgoingHttpHeaders;
  /** Bound on the opening handshake. Default `WAIT_MS`. */
  readonly timeoutMs?: number;
}

/** A WAMP v2 message as decoded from the wire: `[code, ...]`. */
export type Wamp2Frame = unknown[];

/**
 * A bare `ws` connection for WAMP v2 JSON protocol-violation tests: it says nothing on its own
 * (in v2 the client speaks first: the test sends HELLO), sends whatever it is given, arrays
 * JSON-encoded and strings as they are (garbage is the point), and hands out what the server
 * sends, in order, with bounded waits.
 */
export class RawWamp2Socket {
  private readonly closeInfo: Promise<RawCloseInfo>;
  private readonly inbox = new MessageInbox();

  private constructor(readonly ws: WebSocket) {
    this.closeInfo = watchClose(ws);
    ws.on('message', (data: RawData, isBinary: boolean) => this.inbox.deliver(parseMessage(data, isBinary)));
  }

  /** Opens a connection and resolves once the handshake is done; rejects (bounded) if it is refused or fails. */
  static connect(
    url: string,
    { protocols = ['wamp.2.json'], origin, headers, timeoutMs = WAIT_MS }: RawWamp2ConnectOptions = {},
  ): Promise<RawWamp2Socket> {
    const ws = new WebSocket(url, [...protocols], { origin, headers, handshakeTimeout: timeoutMs, perMessageDeflate: false });
    const socket = new RawWamp2Socket(ws);
    const opened = new Promise<RawWamp2Socket>((resolve, reject) => {
      let failure = '';
      ws.once('unexpected-response', (_request, response) => {
        response.resume();
        failure = `: refused with HTTP ${response.statusCode ?? 0}`;
        ws.terminate();
      });
      ws.once('error', (error: Error) => {
        failure ||= `: ${error.message}`;
      });
      ws.once('open', () => resolve(socket));
      void socket.closeInfo.then(({ code, reason }) =>
        reject(new Error(`the handshake with ${url} failed (close ${code} ${reason})${failure}`)),
      );
    });
    return within(opened, `the handshake with ${url}`, timeoutMs).catch(async (error: unknown) => {
      ws.terminate();
      await socket.closeInfo;
      throw error;
    });
  }

  /** The subprotocol the server chose (`''` when none). */
  get protocol(): string {
    return this.ws.protocol;
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends a text frame: an array JSON-encoded, a string exactly as given. Dropped silently once the connection is closing. */
  send(message: unknown[] | string): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message), { binary: false });
  }

  /** The next message not yet taken, waiting (bounded) for it; rejects if it is not a JSON array. */
  async next(timeoutMs = WAIT_MS): Promise<Wamp2Frame> {
    const message = await this.inbox.take(() => true, 'the next message', timeoutMs);
    if (!Array.isArray(message)) throw new Error(`expected a WAMP message (a JSON array), got ${JSON.stringify(message)}`);
    return message;
  }

  /** The oldest message not yet taken whose type is `code` (messages of other types stay queued), waiting (bounded) for one. */
  async nextOfType(code: number, timeoutMs = WAIT_MS): Promise<Wamp2Frame> {
    return (await this.inbox.take(
      (message) => Array.isArray(message) && message[0] === code,
      `a message of type ${code}`,
      timeoutMs,
    )) as Wamp2Frame;
  }

  /** Messages received and not taken yet. */
  pending(): unknown[] {
    return this.inbox.pending();
  }

  /** The close code and reason, once the connection is closed (by either side), waiting (bounded) for it. */
  closed(timeoutMs = WAIT_MS): Promise<RawCloseInfo> {
    return within(this.closeInfo, 'the connection to close', timeoutMs);
  }

  /** Closes from the client side and waits (bounded) until closed; cuts the socket if that hangs. */
  close(code = 1000, reason?: string): Promise<void> {
    return closeSocket(this.ws, this.closeInfo, code, reason);
  }
}
