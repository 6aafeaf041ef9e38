import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';

/**
 * The load generator's WebSocket client: just what the drivers need (text messages, ping, the
 * closing handshake), as cheap per message as a client can be, so that the load generator is
 * not what a scenario measures. Every connection reads into one shared buffer (`onread`: no
 * stream and no allocation per read), and sends each message as a single write.
 *
 * Frames are masked with an all-zero key: a server unmasks them as it would any key, and the
 * client skips the XOR. (RFC 6455 wants unpredictable keys against proxy cache poisoning; there
 * is no proxy on loopback.)
 */
export class LeanWebSocket {
  /** Each text message, as it arrives. */
  onmessage: (text: string) => void;
  private state: 'handshake' | 'open' | 'closing' | 'closed' = 'handshake';
  /** Received bytes not yet read (an incomplete frame or handshake answer), and how many are needed to go on. */
  private held: Buffer[] = [];
  private heldBytes = 0;
  private needed = 0;
  private fragments: Buffer[] | undefined = undefined;
  private readonly closed: Promise<void>;

  private constructor(
    private readonly socket: ReturnType<typeof connect>,
    private readonly expectedAccept: string,
    onmessage: (text: string) => void,
    private readonly opened: { resolve(): void; reject(error: Error): void },
  ) {
    this.onmessage = onmessage;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.once('close', () => {
      if (this.state === 'handshake') opened.reject(new Error('connection closed during the WebSocket handshake'));
      this.state = 'closed';
    });
    socket.on('error', (error) => {
      if (this.state === 'handshake') opened.reject(error);
    });
  }

  /**
   * Connects and completes the opening handshake. `onmessage` is in place before any byte
   * arrives: a server's first message may come in the same packet as its handshake answer.
   */
  static open(url: string, protocols: readonly string[], onmessage: (text: string) => void, localAddress?: string): Promise<LeanWebSocket> {
    const { hostname, port, pathname, search } = new URL(url);
    const key = randomBytes(16).toString('base64');
    const expectedAccept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    return new Promise((resolve, reject) => {
      const socket = connect({
        host: hostname,
        port: Number(port),
        localAddress,
        noDelay: true,
        onread: {
          buffer: READ_BUFFER,
          callback: (bytes: number) => {
            client.receive(READ_BUFFER.subarray(0, bytes)); // reads start after `client` exists: the socket is not connected yet
            return true;
          },
        },
      });
      const client: LeanWebSocket = new LeanWebSocket(socket, expectedAccept, onmessage, { resolve: () => resolve(client), reject });
      socket.write(
        `GET ${pathname}${search} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
          (protocols.length > 0 ? `Sec-WebSocket-Protocol: ${protocols.join(', ')}\r\n` : '') +
          '\r\n',
      );
    });
  }

  send(text: string): void {
    if (this.state !== 'open') return;
    const length = Buffer.byteLength(text);
    const frame = frameHeader(0x1, length);
    frame.write(text, frame.length - length, length, 'utf8');
    this.socket.write(frame);
  }

  /** The closing handshake: a close frame, the server's close frame and FIN back. Resolves once the socket is closed. */
  close(): Promise<void> {
    if (this.state === 'open') {
      this.state = 'closing';
      this.socket.write(CLOSE_NORMAL);
      const timer = setTimeout(() => this.socket.destroy(), CLOSE_TIMEOUT_MS);
      void this.closed.then(() => clearTimeout(timer));
    } else if (this.state === 'handshake') {
      this.socket.destroy();
    }
    return this.closed;
  }

  /** `chunk` is a view on the shared read buffer: whatever is kept past this call is copied. */
  private receive(chunk: Buffer): void {
    let bytes = chunk;
    if (this.heldBytes > 0) {
      this.held.push(Buffer.from(chunk));
      this.heldBytes += chunk.length;
      if (this.heldBytes < this.needed) return;
      bytes = Buffer.concat(this.held, this.heldBytes);
      this.held = [];
      this.heldBytes = 0;
    }
    let offset = 0;
    if (this.state === 'handshake') {
      offset = this.readHandshake(bytes);
      if (offset === 0) return this.hold(bytes, 0, bytes.length + 1);
    }
    while (offset < bytes.length && this.state !== 'closed') {
      const used = this.readFrame(bytes, offset);
      if (used === 0) return this.hold(bytes, offset, this.needed);
      offset += used;
    }
  }

  private hold(bytes: Buffer, from: number, needed: number): void {
    this.held = [Buffer.from(bytes.subarray(from))];
    this.heldBytes = bytes.length - from;
    this.needed = needed;
  }

  /** Reads the handshake answer: the bytes it took, or 0 while it is incomplete. */
  private readHandshake(bytes: Buffer): number {
    const end = bytes.indexOf('\r\n\r\n', 0, 'latin1');
    if (end < 0) return 0;
    const head = bytes.toString('latin1', 0, end);
    const accept = /\r\nsec-websocket-accept: *([^\r]*)/i.exec(head)?.[1];
    if (!head.startsWith('HTTP/1.1 101') || accept !== this.expectedAccept) {
      this.state = 'closed';
      this.opened.reject(new Error(`WebSocket handshake refused: ${head.split('\r\n')[0]}`));
      this.socket.destroy();
      return bytes.length;
    }
    this.state = 'open';
    this.opened.resolve();
    return end + 4;
  }

  /** Reads the (unmasked, server) frame at `offset`: the bytes it took, or 0 while it is incomplete (`needed` says how many). */
  private readFrame(bytes: Buffer, offset: number): number {
    const available = bytes.length - offset;
    if (available < 2) return this.incomplete(2);
    let length = bytes[offset + 1] & 0x7f;
    let headerBytes = 2;
    if (length === 126) {
      headerBytes = 4;
      if (available < headerBytes) return this.incomplete(headerBytes);
      length = bytes.readUInt16BE(offset + 2);
    } else if (length === 127) {
      headerBytes = 10;
      if (available < headerBytes) return this.incomplete(headerBytes);
      length = bytes.readUInt32BE(offset + 2) * 0x100000000 + bytes.readUInt32BE(offset + 6);
    }
    if (available < headerBytes + length) return this.incomplete(headerBytes + length);
    const first = bytes[offset];
    this.dispatch(first & 0x0f, (first & 0x80) !== 0, bytes.subarray(offset + headerBytes, offset + headerBytes + length));
    return headerBytes + length;
  }

  private incomplete(frameBytes: number): number {
    this.needed = frameBytes;
    return 0;
  }

  private dispatch(opcode: number, final: boolean, payload: Buffer): void {
    switch (opcode) {
      case 0x0:
      case 0x1:
      case 0x2: {
        if (final && !this.fragments) return this.onmessage(payload.toString());
        (this.fragments ??= []).push(Buffer.from(payload));
        if (!final) return;
        const whole = Buffer.concat(this.fragments);
        this.fragments = undefined;
        return this.onmessage(whole.toString());
      }
      case 0x8:
        // The server's close frame: answer it (unless ours crossed it) and wait for FIN.
        if (this.state === 'open') this.socket.write(CLOSE_NORMAL);
        this.state = 'closing';
        return;
      case 0x9: {
        const pong = frameHeader(0xa, payload.length);
        payload.copy(pong, pong.length - payload.length);
        this.socket.write(pong);
        return;
      }
    }
  }
}

const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);
const CLOSE_TIMEOUT_MS = 5000;

/** A final, masked (all-zero key) frame of `payloadBytes`, header written, payload still to fill in. */
function frameHeader(opcode: number, payloadBytes: number): Buffer {
  const headerBytes = payloadBytes < 126 ? 6 : payloadBytes < 0x10000 ? 8 : 14;
  const frame = Buffer.allocUnsafe(headerBytes + payloadBytes);
  frame[0] = 0x80 | opcode;
  if (payloadBytes < 126) {
    frame[1] = 0x80 | payloadBytes;
  } else if (payloadBytes < 0x10000) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(payloadBytes, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeUInt32BE(Math.floor(payloadBytes / 0x100000000), 2);
    frame.writeUInt32BE(payloadBytes >>> 0, 6);
  }
  frame.writeUInt32BE(0, headerBytes - 4);
  return frame;
}

const CLOSE_NORMAL = (() => {
  const frame = frameHeader(0x8, 2);
  frame.writeUInt16BE(1000, frame.length - 2);
  return frame;
})();
