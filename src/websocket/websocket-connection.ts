import type { Socket } from 'node:net';
import type { PeerState } from '../core/peer-state.js';
import { FrameReader, type FrameReaderLimits, type FrameSink } from './frame-reader.js';
import { isSendableCloseCode, CloseCode } from '../core/close-codes.js';
import { atBatchEnd, batchingWrites } from '../core/write-batch.js';
import { closePayload, encodeFrame, Opcode, type TextFrame } from './frames.js';
import type { PerMessageDeflate } from './permessage-deflate.js';

/**
 * What happens on the connections of one server: one listener serves them all, so that a
 * connection costs no closures. `connection.owner` tells the listener whose connection it is.
 */
export interface ConnectionListener<Owner> {
  message(connection: WebSocketConnection<Owner>, payload: Buffer, isBinary: boolean): void;
  pong(connection: WebSocketConnection<Owner>): void;
  /** The client broke the WebSocket protocol; the connection is closing with `code`. */
  violation(connection: WebSocketConnection<Owner>, code: number, reason: string): void;
  /**
   * The client has not read what was sent to it for `stallTimeoutMs`, its backlog above the
   * high-water mark all along; the connection is cut right after.
   */
  stalled(connection: WebSocketConnection<Owner>, backlog: number): void;
  /** The connection is gone: the client's close code and reason, or 1006 when it sent no close frame. */
  closed(connection: WebSocketConnection<Owner>, code: number, reason: string): void;
}

/** Sees the text messages a connection sends (the frame trace of a traced session). */
export interface SentTap<Owner> {
  sent(connection: WebSocketConnection<Owner>, message: string | TextFrame): void;
}

/** What one connection may make the server hold (one object shared by every connection of a server). */
export interface ConnectionLimits extends FrameReaderLimits {
  /**
   * Bytes written and not yet taken by the kernel above which the connection is no longer read
   * (its socket is paused) until they have gone out.
   */
  readonly highWaterMark: number;
  /** How long the backlog may stay above `highWaterMark` before the connection is cut. */
  readonly stallTimeoutMs: number;
}

/**
 * How much a connection holds back within one tick before it writes anyway: batching pays for
 * small frames, and a burst of large ones should not pile up in memory until the tick ends.
 */
const MAX_HELD_BYTES = 16 * 1024;

/** How long a closing connection waits for the client's close frame and FIN before it is cut. */
export const CLOSE_TIMEOUT_MS = 30_000;

/**
 * How long a connection failed for a protocol violation waits for the client's FIN after its own
 * (close frame, then FIN at once: RFC 6455 7.1.7) before the socket is destroyed.
 */
export const FAILED_LINGER_MS = 1000;

/** The connection a socket carries, for the socket's listeners (shared by every connection). */
const connectionOf = Symbol('nest-wamp.websocket-connection');
type CarrierSocket = Socket & { [connectionOf]?: WebSocketConnection<unknown> };

/**
 * The server side of one WebSocket (RFC 6455) over an upgraded socket: frames in through a
 * `FrameReader`, text out, pings answered, and the closing handshake in both directions (a close
 * frame each way, then FIN; cut after 30 s if the client never finishes). A protocol violation
 * fails the connection: the close frame, then FIN at once.
 *
 * Backpressure: when what waits to be written passes `highWaterMark`, the connection stops
 * reading (the reader between two frames, the socket at once) until the backlog has gone out;
 * a backlog that stays above the mark for `stallTimeoutMs` cuts the connection.
 *
 * What a connection sends while a read is handled, or during one tick, leaves in one write
 * (`batchingWrites`, `scheduleFlush`; see core/write-batch.ts): the answers to calls that arrived together, also when
 * guards or interceptors made them asynchronous, and the events of several publishes.
 *
 * With `deflate` (permessage-deflate agreed in the handshake), compressed messages are inflated
 * as they are read and text messages at or above the threshold are compressed as they are sent,
 * synchronously: a compressed frame joins the write queue in order, counted like any other.
 */
export class WebSocketConnection<Owner> implements FrameSink {
  /** Whose connection this is (the listener's business); set right after the handshake. */
  owner!: Owner;
  /** Sees what is sent, while set (the frame trace); unset, the usual case, it costs one check per send. */
  tap: SentTap<Owner> | undefined = undefined;
  private readonly reader: FrameReader;
  /** open → closing (a close frame either way, the peer's FIN, or a cut) → closed (the socket is gone). */
  private peerState: PeerState = 'open';
  /** Nothing more is written: FIN sent, or the socket destroyed. */
  private finished = false;
  private closeReceived = false;
  private closeCode: number = CloseCode.abnormal;
  private closeReason = '';
  private closeTimer: NodeJS.Timeout | undefined = undefined;
  /** What was written since the last flush (one frame, or several), sent at the next flush in one write. */
  private held: Buffer | Buffer[] | undefined = undefined;
  private heldBytes = 0;
  /** Reading stopped until the backlog drains. */
  private heldBack = false;
  private stallTimer: NodeJS.Timeout | undefined = undefined;

  /**
   * `answer` is the handshake's 101 response: it waits for the first frame (the server's
   * greeting, usually sent at once) so that both leave in one write, or for `start`.
   */
  constructor(
    private readonly socket: Socket,
    private readonly listener: ConnectionListener<Owner>,
    private readonly limits: ConnectionLimits,
    private answer: string | undefined,
    /** permessage-deflate, when the handshake agreed on it; unset, it costs one check per message sent. */
    private readonly deflate?: PerMessageDeflate,
  ) {
    this.reader = new FrameReader(this, limits, deflate);
    (socket as CarrierSocket)[connectionOf] = this;
    // The HTTP server's idle timeout (if it set one) is no business of a WebSocket.
    if (socket.timeout) socket.setTimeout(0);
    socket.setNoDelay(true);
    socket.on('data', onSocketData);
    socket.on('end', onSocketEnd);
    socket.on('close', onSocketClose);
    socket.on('error', onSocketError);
  }

  /**
   * Sends the handshake answer if no frame took it along yet, then reads what came with the
   * upgrade request. Run it in `batchingWrites`, with the greeting.
   */
  start(head: Buffer): void {
    if (this.answer !== undefined) {
      this.socket.write(this.answer, 'latin1');
      this.answer = undefined;
    }
    if (head.length > 0) this.reader.push(head);
  }

  /** Gives the socket up before anyone owned the connection (accepting it failed): the listener hears nothing of it. */
  discard(): void {
    this.socket.off('data', onSocketData);
    this.socket.off('end', onSocketEnd);
    this.socket.off('close', onSocketClose);
    this.peerState = 'closed';
    this.finished = true;
    this.socket.destroy();
  }

  /** Where the peer stands; its session reads it rather than keeping a state of its own. */
  get state(): PeerState {
    return this.peerState;
  }

  /**
   * Bytes the kernel did not take yet because the client reads slower than it is sent to (what
   * this tick holds back is not counted: it leaves at the end of the tick).
   */
  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  /**
   * Every byte the server holds for this connection: what the reader keeps (an incomplete frame,
   * a fragmented message, what waits while reading is paused), what the socket read and nobody
   * consumed yet, what waits to be written (this tick's frames and the socket's backlog), and the
   * compression windows kept between messages under context takeover.
   */
  get bytesHeld(): number {
    const held = this.reader.bytesHeld + this.socket.readableLength + this.heldBytes + this.socket.writableLength;
    return this.deflate === undefined ? held : held + this.deflate.bytesHeld;
  }

  /** Sends a text message: a string, or a frame built once with `textFrame` for many connections. */
  send(message: string | TextFrame): void {
    if (this.peerState !== 'open') return;
    if (this.tap !== undefined) this.tap.sent(this, message);
    if (this.deflate !== undefined) return this.write(this.deflate.frame(message));
    this.write(typeof message === 'string' ? encodeFrame(Opcode.text, message) : message);
  }

  ping(): void {
    if (this.peerState === 'open') this.write(PING);
  }

  /**
   * Starts the closing handshake (or finishes it, when the client's close frame came first). A
   * code that may not go on the wire is sent as 1011: it can only come from a bug.
   */
  close(code: number, reason: string): void {
    if (this.peerState !== 'open') return;
    this.peerState = 'closing';
    const sendable = isSendableCloseCode(code) ? code : CloseCode.internalError;
    this.write(encodeFrame(Opcode.close, closePayload(sendable, reason)));
    // Only the client's close frame matters from now on: its messages are not kept.
    this.reader.discardData();
    if (this.closeReceived) this.end();
    else this.closeTimer = setTimeout(() => this.terminate(), CLOSE_TIMEOUT_MS);
  }

  /** Cuts the connection without a closing handshake (what this tick held back is dropped). */
  terminate(): void {
    if (this.peerState === 'open') this.peerState = 'closing';
    this.finished = true;
    this.held = undefined;
    this.heldBytes = 0;
    this.socket.destroy();
  }

  // --- FrameSink: what the reader found

  onMessage(payload: Buffer, isBinary: boolean): void {
    if (this.peerState === 'open') this.listener.message(this, payload, isBinary);
  }

  onPing(payload: Buffer): void {
    if (this.peerState === 'open') this.write(encodeFrame(Opcode.pong, payload));
  }

  onPong(): void {
    this.listener.pong(this);
  }

  onCloseFrame(code: number, reason: string): void {
    this.closeReceived = true;
    this.closeCode = code;
    this.closeReason = reason;
    // Echo the client's code and reason, as the RFC suggests; a close without a code is answered with 1000.
    if (this.peerState === 'open') this.close(code === CloseCode.noStatus ? CloseCode.normal : code, reason);
    else this.end();
  }

  /** Fails the connection (RFC 6455 7.1.7): the close frame if none went out yet, then FIN at once, and no more reading. */
  onViolation(code: number, reason: string): void {
    this.listener.violation(this, code, reason);
    this.close(code, reason);
    this.end();
    clearTimeout(this.closeTimer);
    this.closeTimer = setTimeout(() => this.terminate(), FAILED_LINGER_MS);
  }

  /** Sends FIN: nothing more is written. */
  private end(): void {
    if (this.finished) return;
    if (this.peerState === 'open') this.peerState = 'closing';
    this.flush();
    this.finished = true;
    this.socket.end();
  }

  /** Sends what this tick held back, unless the socket is gone. */
  flush(): void {
    const held = this.held;
    if (held === undefined) return;
    this.held = undefined;
    const bytes = Array.isArray(held) ? Buffer.concat(held, this.heldBytes) : held;
    this.heldBytes = 0;
    if (this.finished) return;
    this.socket.write(bytes);
    if (this.socket.writableLength > this.limits.highWaterMark) this.holdBack();
  }

  /** The backlog passed the high-water mark: read nothing more until it has gone out, or cut the connection when that takes too long. */
  private holdBack(): void {
    if (this.heldBack) return;
    this.heldBack = true;
    this.reader.pause();
    this.socket.pause();
    this.stallTimer ??= setTimeout(() => this.stalled(), this.limits.stallTimeoutMs);
    this.whenWritten();
  }

  /** Calls `drained` once everything written so far has been handed to the kernel. */
  private whenWritten(): void {
    this.socket.write(NOTHING, () => this.drained());
  }

  private drained(): void {
    if (this.finished) return;
    if (this.socket.writableLength > this.limits.highWaterMark) return this.whenWritten();
    clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    this.heldBack = false;
    batchingWrites(() => this.reader.resume());
    if (!this.heldBack) this.socket.resume();
  }

  /** Also after FIN: a backlog that never drains would keep the socket for ever. */
  private stalled(): void {
    this.stallTimer = undefined;
    this.listener.stalled(this, this.socket.writableLength);
    this.terminate();
  }

  private write(frame: Buffer): void {
    const bytes = this.answer === undefined ? frame : this.withAnswer(frame);
    const held = this.held;
    if (held === undefined) {
      this.held = bytes;
      scheduleFlush(this);
    } else if (Array.isArray(held)) {
      held.push(bytes);
    } else {
      this.held = [held, bytes];
    }
    this.heldBytes += bytes.length;
    if (this.heldBytes >= MAX_HELD_BYTES) this.flush();
  }

  /** The handshake's 101 answer and the first frame, as one buffer. */
  private withAnswer(frame: Buffer): Buffer {
    const answer = this.answer!;
    this.answer = undefined;
    const bytes = Buffer.allocUnsafe(answer.length + frame.length);
    bytes.write(answer, 0, 'latin1');
    frame.copy(bytes, answer.length);
    return bytes;
  }

  // --- the socket's events, through the listeners below

  /** @internal */
  onSocketData(chunk: Buffer): void {
    batchingWrites(() => this.reader.push(chunk));
  }

  /** @internal The client will send nothing more: FIN back (an HTTP server's sockets stay half open otherwise). */
  onSocketEnd(): void {
    this.end();
  }

  /** @internal */
  onSocketClose(): void {
    this.peerState = 'closed';
    this.finished = true;
    this.held = undefined;
    this.heldBytes = 0;
    clearTimeout(this.closeTimer);
    clearTimeout(this.stallTimer);
    this.listener.closed(this, this.closeCode, this.closeReason);
  }
}

const PING = encodeFrame(Opcode.ping, Buffer.alloc(0));
/** Written with a callback to learn when everything before it has gone out. */
const NOTHING = Buffer.alloc(0);

/** Connections holding frames to write. */
const toFlush: Array<WebSocketConnection<unknown>> = [];

/** A connection started holding frames: they leave, with every other connection's, at the end of the batch. */
function scheduleFlush(connection: WebSocketConnection<unknown>): void {
  if (toFlush.push(connection) === 1) atBatchEnd(flushAll);
}

function flushAll(): void {
  // A flush only writes to its socket, so nothing joins the list while it is walked.
  for (let index = 0; index < toFlush.length; index++) toFlush[index].flush();
  toFlush.length = 0;
}

// Listeners shared by every socket, finding their connection on the socket: no closure per connection.
function onSocketData(this: CarrierSocket, chunk: Buffer): void {
  this[connectionOf]!.onSocketData(chunk);
}

function onSocketEnd(this: CarrierSocket): void {
  this[connectionOf]!.onSocketEnd();
}

function onSocketClose(this: CarrierSocket): void {
  this[connectionOf]!.onSocketClose();
}

/** A broken connection (reset, EPIPE): destroyed, and its close event cleans up. */
function onSocketError(this: Socket): void {
  this.destroy();
}
