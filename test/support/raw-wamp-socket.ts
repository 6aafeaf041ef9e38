import type { OutgoingHttpHeaders } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import { WebSocket, type RawData } from 'ws';
import { closeSocket, MessageInbox, parseMessage, watchClose, type RawCloseInfo } from './raw-socket-inbox.js';
import { WAIT_MS, within } from './until.js';
import { clientFrame, readServerFrame } from './websocket-frames.js';

export type { RawCloseInfo } from './raw-socket-inbox.js';

export interface RawConnectOptions {
  /** Subprotocols to offer. Default `['wamp']`. */
  readonly protocols?: readonly string[];
  /** The Origin header (none by default). */
  readonly origin?: string;
  readonly headers?: OutgoingHttpHeaders;
  readonly timeoutMs?: number;
}

type Frame = unknown[];

/**
 * A bare `ws` connection that speaks WAMP only as far as the test tells it to: it records the
 * first message (WELCOME), hands out every later message in order, and sends whatever text,
 * frame or binary data it is given. Malformed input is the point.
 */
export class RawWampSocket {
  /** The first message the server sent, parsed (WELCOME, when the server behaves). */
  first: unknown;
  /** Resolves with the close code and reason once the connection is closed. */
  readonly closed: Promise<RawCloseInfo>;
  private readonly inbox = new MessageInbox();

  private constructor(readonly ws: WebSocket) {
    this.closed = watchClose(ws);
  }

  /** Opens a connection and resolves once the server's first message arrived; rejects if refused. */
  static async connect(url: string, options: RawConnectOptions = {}): Promise<RawWampSocket> {
    const result = await attemptHandshake(url, options);
    if (!result.accepted) throw new Error(`handshake with ${url} refused with HTTP ${result.status}`);
    return result.socket;
  }

  /** See `attemptHandshake`. */
  static attempt(url: string, options: RawConnectOptions): Promise<HandshakeResult> {
    const ws = new WebSocket(url, [...(options.protocols ?? ['wamp'])], {
      origin: options.origin,
      headers: options.headers,
      handshakeTimeout: options.timeoutMs ?? WAIT_MS,
      perMessageDeflate: false,
    });
    const socket = new RawWampSocket(ws);
    const outcome = new Promise<HandshakeResult>((resolve, reject) => {
      let gotFirst = false;
      ws.once('unexpected-response', (_request, response) => {
        response.resume();
        resolve({ accepted: false, status: response.statusCode ?? 0 });
        ws.terminate();
      });
      ws.on('message', (data: RawData, isBinary: boolean) => {
        const message = parseMessage(data, isBinary);
        if (gotFirst) {
          socket.inbox.deliver(message);
          return;
        }
        gotFirst = true;
        socket.first = message;
        resolve({ accepted: true, protocol: ws.protocol, socket });
      });
      socket.closed.then(({ code, reason }) =>
        reject(new Error(`connection to ${url} closed before the first message (${code} ${reason})`)),
      );
    });
    return within(outcome, `the handshake with ${url} and its first message`, options.timeoutMs ?? WAIT_MS).catch((error: unknown) => {
      ws.terminate();
      throw error;
    });
  }

  get sessionId(): string {
    return (this.first as Frame)[1] as string;
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends a text frame exactly as given. */
  sendText(text: string): void {
    this.ws.send(text, { binary: false });
  }

  /** Sends a value JSON-encoded in a text frame. */
  send(frame: unknown): void {
    this.sendText(JSON.stringify(frame));
  }

  /** Sends a binary frame. */
  sendBinary(data: Buffer): void {
    this.ws.send(data, { binary: true });
  }

  /** Sends bytes in a text frame, unchecked (for invalid UTF-8). */
  sendTextBytes(data: Buffer): void {
    this.ws.send(data, { binary: false });
  }

  /** The oldest message not yet taken that satisfies `predicate`, waiting (bounded) for one to arrive. */
  next(predicate: (message: unknown) => boolean = () => true, what = 'a message', ms = WAIT_MS): Promise<unknown> {
    return this.inbox.take(predicate, what, ms);
  }

  /** The CALLRESULT or CALLERROR for `callId`. */
  answerTo(callId: string, ms = WAIT_MS): Promise<unknown> {
    return this.next(
      (message) => Array.isArray(message) && (message[0] === 3 || message[0] === 4) && message[1] === callId,
      `the answer to call ${JSON.stringify(callId)}`,
      ms,
    );
  }

  /** The next EVENT on `topic` (full URI). */
  eventOn(topic: string, predicate: (event: unknown) => boolean = () => true, ms = WAIT_MS): Promise<unknown> {
    return this.next(
      (message) => Array.isArray(message) && message[0] === 8 && message[1] === topic && predicate(message[2]),
      `an event on ${topic}`,
      ms,
    ).then((message) => (message as Frame)[2]);
  }

  /** Messages received after the first one and not taken yet. */
  pending(): unknown[] {
    return this.inbox.pending();
  }

  /** Waits (bounded) for the connection to close and returns its close code. */
  async closeCode(ms = WAIT_MS): Promise<number> {
    return (await within(this.closed, 'the connection to close', ms)).code;
  }

  /** Closes from the client side and waits (bounded) until closed; cuts the socket if that hangs. */
  close(code = 1000): Promise<void> {
    return closeSocket(this.ws, this.closed, code);
  }
}

export type HandshakeResult =
  | { readonly accepted: true; readonly protocol: string; readonly socket: RawWampSocket }
  | { readonly accepted: false; readonly status: number };

/**
 * Attempts a WebSocket handshake: the HTTP status of a refusal, or the open socket (once its
 * first message arrived) with the subprotocol the server chose.
 */
export function attemptHandshake(url: string, options: RawConnectOptions = {}): Promise<HandshakeResult> {
  return RawWampSocket.attempt(url, options);
}

/** Resolves with the error code when a TCP connection to `port` fails (e.g. ECONNREFUSED), rejects if it connects. */
export function tcpConnectError(port: number, host = '127.0.0.1'): Promise<string> {
  return within(
    new Promise<string>((resolve, reject) => {
      const socket = netConnect({ port, host });
      socket.once('connect', () => {
        socket.destroy();
        reject(new Error(`connected to ${host}:${port}`));
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    }),
    `a TCP connection attempt to ${host}:${port}`,
  );
}

export interface BareFrame {
  readonly opcode: number;
  readonly payload: Buffer;
}

/**
 * A WebSocket client written by hand on a bare TCP socket: it completes the opening handshake,
 * records the frames the server sends, sends text frames, and never answers anything, not
 * even a close frame, as a stuck or hostile peer would. `ws` cannot do that: it answers a
 * close frame at once and refuses to send after it.
 */
export class BareWebSocketPeer {
  readonly frames: BareFrame[] = [];
  /** Resolves when the TCP connection is gone. */
  readonly ended: Promise<void>;
  private buffered = Buffer.alloc(0);
  private readonly listeners = new Set<() => void>();

  private constructor(readonly socket: Socket) {
    this.ended = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  /** `protocol` is the subprotocol offered: `wamp` (v1) by default, `wamp.2.json` for a v2 peer. */
  static connect(port: number, path = '/ws', host = '127.0.0.1', protocol = 'wamp'): Promise<BareWebSocketPeer> {
    const socket = netConnect({ port, host, noDelay: true });
    socket.on('error', () => undefined);
    const peer = new BareWebSocketPeer(socket);
    const upgraded = new Promise<BareWebSocketPeer>((resolve, reject) => {
      let head = Buffer.alloc(0);
      const onHead = (chunk: Buffer): void => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end === -1) return;
        socket.off('data', onHead);
        const status = head.subarray(0, head.indexOf('\r\n')).toString('latin1');
        if (!status.startsWith('HTTP/1.1 101')) {
          reject(new Error(`handshake refused: ${status}`));
          socket.destroy();
          return;
        }
        socket.on('data', (data: Buffer) => peer.receive(data));
        peer.receive(head.subarray(end + 4));
        resolve(peer);
      };
      socket.on('data', onHead);
      socket.once('close', () => reject(new Error('connection closed during the handshake')));
      socket.once('connect', () =>
        socket.write(
          [
            `GET ${path} HTTP/1.1`,
            `Host: ${host}:${port}`,
            'Upgrade: websocket',
            'Connection: Upgrade',
            'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
            'Sec-WebSocket-Version: 13',
            `Sec-WebSocket-Protocol: ${protocol}`,
            '',
            '',
          ].join('\r\n'),
        ),
      );
    });
    return within(upgraded, `a bare WebSocket handshake with ${host}:${port}${path}`);
  }

  /** Sends a text frame (masked, as a client must), whatever the state of the connection. */
  sendText(text: string): void {
    this.socket.write(clientFrame(0x1, text, { mask: Buffer.from([0x12, 0x34, 0x56, 0x78]) }));
  }

  send(frame: unknown): void {
    this.sendText(JSON.stringify(frame));
  }

  /** The first frame with `opcode` (0x1 text, 0x8 close), waiting (bounded) for it. */
  async frame(opcode: number, what = `a frame with opcode ${opcode}`, ms = WAIT_MS): Promise<BareFrame> {
    const find = (): BareFrame | undefined => this.frames.find((frame) => frame.opcode === opcode);
    const found = find();
    if (found) return found;
    let listener: (() => void) | undefined;
    const arrived = new Promise<BareFrame>((resolve) => {
      listener = () => {
        const frame = find();
        if (frame) resolve(frame);
      };
      this.listeners.add(listener);
    });
    return within(arrived, what, ms).finally(() => this.listeners.delete(listener!));
  }

  /** The close code of the server's close frame, once it arrived. */
  async closeFrameCode(ms = WAIT_MS): Promise<number> {
    const frame = await this.frame(0x8, 'a close frame', ms);
    return frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
  }

  /** Text frames received, parsed. */
  messages(): unknown[] {
    return this.frames.filter((frame) => frame.opcode === 0x1).map((frame) => JSON.parse(frame.payload.toString('utf8')));
  }

  destroy(): void {
    this.socket.destroy();
  }

  private receive(data: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, data]);
    for (let frame = readServerFrame(this.buffered); frame; frame = readServerFrame(this.buffered)) {
      this.frames.push({ opcode: frame.opcode, payload: frame.payload });
      this.buffered = this.buffered.subarray(frame.frameBytes);
    }
    for (const listener of this.listeners) listener();
  }
}
