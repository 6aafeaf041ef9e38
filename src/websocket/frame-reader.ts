import { isUtf8 } from 'node:buffer';
import { ByteAccumulator } from './byte-accumulator.js';
import { isSendableCloseCode, CloseCode } from '../core/close-codes.js';
import { Opcode } from './frames.js';
import type { MessageInflater } from './permessage-deflate.js';

/** What a `FrameReader` finds in the bytes a client sends. */
export interface FrameSink {
  /** A whole message (fragments joined, unmasked; text checked to be UTF-8). */
  onMessage(payload: Buffer, isBinary: boolean): void;
  onPing(payload: Buffer): void;
  onPong(payload: Buffer): void;
  /** The client's close frame: its code (1005 when it gave none) and reason. Nothing is read after it. */
  onCloseFrame(code: number, reason: string): void;
  /**
   * The client broke the protocol (1002), sent invalid UTF-8 or corrupt compressed data (1007), or
   * too big a message (1009, inflated size included). Nothing is read after it.
   */
  onViolation(code: number, reason: string): void;
}

/** What one message may cost the reader. */
export interface FrameReaderLimits {
  /** Bytes of one message, all its fragments together. */
  readonly maxPayload: number;
  /** Frames of one message, the first and every continuation (empty ones too). */
  readonly maxFragments: number;
}

/** Frames the client sends at most: 14 header bytes. */
const MAX_HEADER_BYTES = 14;
/** Above this many bytes, unmasking goes 32 bits at a time. */
const WORDWISE_UNMASK_FROM = 64;

/**
 * Reads the frames of one client connection (RFC 6455, section 5), checking everything a
 * server must: masking, reserved bits, opcodes, control frame rules, fragmentation order,
 * the size and fragment limits (before the payload arrives), UTF-8 of text and close reasons.
 *
 * Bytes are read in place: a frame that arrived whole in one chunk is unmasked where it lies
 * and handed on without a copy. Only a frame split over chunks, and the fragments of a message,
 * are copied into buffers of the reader's own (`ByteAccumulator`), so what the reader holds is
 * bounded by the limits whatever the peer's framing and TCP segmentation.
 *
 * `pause` stops reading between two frames (the rest of the chunk waits, in `unread`, for
 * `resume`); `discardData` drops data frames unread once the server has sent its close frame.
 *
 * With an `inflater` (permessage-deflate was agreed), RSV1 on the first frame of a data message
 * marks it compressed: its fragments are joined compressed (counted against `maxPayload` as they
 * come), then inflated whole, the inflated size counted against `maxPayload` too (zlib stops
 * once it passes it: 1009). Without one, any reserved bit is a protocol error, checked as before.
 */
export class FrameReader {
  /** The bytes of an incomplete frame, and how many the frame needs before it can be read. */
  private readonly partial = new ByteAccumulator();
  private needed = 0;
  /** The fragments of a message in progress, joined. */
  private readonly message = new ByteAccumulator();
  private inMessage = false;
  private messageBinary = false;
  /** The message in progress is compressed (its first frame had RSV1). */
  private messageCompressed = false;
  /** The frame being read has RSV1 (set only on the reserved-bits path, so it costs nothing without compression). */
  private frameCompressed = false;
  private messageFrames = 0;
  /** Payload bytes of a discarded data frame still to come. */
  private skipping = 0;
  /** What arrived while paused, read on `resume`. */
  private unread: Buffer | undefined = undefined;
  private paused = false;
  private discarding = false;
  private stopped = false;

  constructor(
    private readonly sink: FrameSink,
    private readonly limits: FrameReaderLimits,
    /** Set when permessage-deflate was agreed. */
    private readonly inflater?: MessageInflater,
  ) {}

  /** Bytes the reader holds for the connection: an incomplete frame, a message's fragments, what waits for `resume`. */
  get bytesHeld(): number {
    return this.partial.capacity + this.message.capacity + (this.unread?.buffer.byteLength ?? 0);
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Reads what arrived; stops for good after a close frame or a violation. */
  push(chunk: Buffer): void {
    if (this.stopped) return;
    if (this.paused) {
      // The socket is paused too, so at most what it had already read lands here.
      this.unread = this.unread ? Buffer.concat([this.unread, chunk]) : chunk;
      return;
    }
    this.read(chunk);
  }

  /** Stops reading after the frame being read (the sink pauses the reader while its peer does not read). */
  pause(): void {
    this.paused = true;
  }

  /** Reads on: first what waited. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    const unread = this.unread;
    if (unread === undefined || this.stopped) return;
    this.unread = undefined;
    this.read(unread);
  }

  /** From now on data frames are dropped unread (the server's close frame is out); control frames are still read. */
  discardData(): void {
    this.discarding = true;
    this.message.release();
  }

  private read(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.paused) {
        this.unread = offset === 0 ? chunk : chunk.subarray(offset);
        return;
      }
      if (this.skipping > 0) {
        const skipped = Math.min(this.skipping, chunk.length - offset);
        this.skipping -= skipped;
        offset += skipped;
        continue;
      }
      if (this.partial.length > 0) {
        // Only as many bytes as the incomplete frame needs are copied; the rest is read in place.
        const take = Math.min(this.needed - this.partial.length, chunk.length - offset);
        this.partial.append(chunk, offset, offset + take, this.needed);
        offset += take;
        if (this.partial.length < this.needed) return;
        const used = this.readFrame(this.partial.view(), 0);
        if (this.stopped) return;
        // The frame needs more than its header told so far: keep collecting.
        if (used > 0) this.partial.release();
        continue;
      }
      const used = this.readFrame(chunk, offset);
      if (this.stopped) return;
      if (used === 0) {
        this.partial.append(chunk, offset, chunk.length, this.needed);
        return;
      }
      offset += used;
    }
  }

  /** Reads the frame at `offset`: the bytes it took, or 0 when it is incomplete (`needed` then says how many it needs). */
  private readFrame(chunk: Buffer, offset: number): number {
    const available = chunk.length - offset;
    if (available < 2) return this.incomplete(2);
    const first = chunk[offset];
    const second = chunk[offset + 1];
    const opcode = first & 0x0f;
    const final = (first & 0x80) !== 0;
    if ((first & 0x70) !== 0 && !this.admitsReservedBits(first, opcode)) return 0;
    if ((second & 0x80) === 0) return this.fail(CloseCode.protocolError, 'client frames must be masked');

    let length = second & 0x7f;
    let headerBytes = 6;
    if (length === 126) {
      headerBytes = 8;
      if (available < headerBytes) return this.incomplete(headerBytes);
      length = chunk.readUInt16BE(offset + 2);
    } else if (length === 127) {
      headerBytes = MAX_HEADER_BYTES;
      if (available < headerBytes) return this.incomplete(headerBytes);
      const high = chunk.readUInt32BE(offset + 2);
      if (high > 0x1fffff) return this.fail(CloseCode.messageTooBig, 'payload length over 2^53 - 1');
      length = high * 0x100000000 + chunk.readUInt32BE(offset + 6);
    }

    if (opcode >= Opcode.close) {
      if (opcode > Opcode.pong) return this.fail(CloseCode.protocolError, `unknown opcode ${opcode}`);
      if (!final) return this.fail(CloseCode.protocolError, 'control frames may not be fragmented');
      if (length > 125) return this.fail(CloseCode.protocolError, 'control frames carry at most 125 bytes');
    } else {
      if (!this.admitsDataFrame(opcode, length)) return 0;
      if (this.discarding) return this.skipDataFrame(final, headerBytes, length, available);
    }

    if (available < headerBytes + length) return this.incomplete(headerBytes + length);
    const start = offset + headerBytes;
    const payload = chunk.subarray(start, start + length);
    unmask(payload, chunk, start - 4);
    this.dispatch(opcode, final, payload);
    return headerBytes + length;
  }

  /** RSV1 marks a compressed message (RFC 7692): only when agreed, only on the first frame of a data message; false after a violation. */
  private admitsReservedBits(first: number, opcode: number): boolean {
    if (this.inflater === undefined) return this.refuse(CloseCode.protocolError, 'reserved bits set (no extension was agreed)');
    if ((first & 0x30) !== 0) return this.refuse(CloseCode.protocolError, 'RSV2 or RSV3 set (no extension using them was agreed)');
    if (opcode !== Opcode.text && opcode !== Opcode.binary) {
      return this.refuse(CloseCode.protocolError, 'RSV1 set on a control or continuation frame');
    }
    // The same frame may be looked at again while it arrives: setting it twice is harmless.
    this.frameCompressed = true;
    return true;
  }

  /** Fragmentation order and the limits, checked on the header, before any payload is kept; false after a violation. */
  private admitsDataFrame(opcode: number, length: number): boolean {
    if (opcode === Opcode.continuation) {
      if (!this.inMessage) return this.refuse(CloseCode.protocolError, 'continuation frame without a message to continue');
    } else if (opcode === Opcode.text || opcode === Opcode.binary) {
      if (this.inMessage) return this.refuse(CloseCode.protocolError, 'new message before the previous one was finished');
    } else {
      return this.refuse(CloseCode.protocolError, `unknown opcode ${opcode}`);
    }
    if (this.discarding) return true;
    const { maxPayload, maxFragments } = this.limits;
    if (opcode === Opcode.continuation && this.messageFrames >= maxFragments) {
      return this.refuse(CloseCode.messageTooBig, `messages are limited to ${maxFragments} fragments`);
    }
    if (this.message.length + length > maxPayload) {
      return this.refuse(CloseCode.messageTooBig, `messages are limited to ${maxPayload} bytes`);
    }
    return true;
  }

  private refuse(code: number, reason: string): false {
    this.fail(code, reason);
    return false;
  }

  /** Takes a data frame's header and whatever of its payload is here; the rest is skipped as it arrives. */
  private skipDataFrame(final: boolean, headerBytes: number, length: number, available: number): number {
    this.inMessage = !final;
    this.frameCompressed = false;
    const here = Math.min(length, available - headerBytes);
    this.skipping = length - here;
    return headerBytes + here;
  }

  private dispatch(opcode: number, final: boolean, payload: Buffer): void {
    switch (opcode) {
      case Opcode.text:
      case Opcode.binary:
        if (this.frameCompressed) {
          this.frameCompressed = false;
          if (final) return this.deliverCompressed(payload, opcode === Opcode.binary);
          this.messageCompressed = true;
        } else if (final) {
          return this.deliver(payload, opcode === Opcode.binary);
        }
        this.inMessage = true;
        this.messageBinary = opcode === Opcode.binary;
        this.messageFrames = 1;
        this.message.append(payload, 0, payload.length, this.limits.maxPayload);
        return;
      case Opcode.continuation: {
        this.messageFrames++;
        this.message.append(payload, 0, payload.length, this.limits.maxPayload);
        if (!final) return;
        this.inMessage = false;
        const whole = this.message.view();
        if (this.messageCompressed) {
          this.messageCompressed = false;
          this.deliverCompressed(whole, this.messageBinary);
        } else {
          this.deliver(whole, this.messageBinary);
        }
        this.message.release();
        return;
      }
      case Opcode.ping:
        return this.sink.onPing(payload);
      case Opcode.pong:
        return this.sink.onPong(payload);
      case Opcode.close:
        return this.readClose(payload);
    }
  }

  private deliver(payload: Buffer, isBinary: boolean): void {
    if (!isBinary && !isUtf8(payload)) {
      this.fail(CloseCode.invalidPayload, 'text message is not valid UTF-8');
      return;
    }
    this.sink.onMessage(payload, isBinary);
  }

  /** A compressed message, inflated within `maxPayload` (1009 beyond it, 1007 when the data is corrupt). */
  private deliverCompressed(payload: Buffer, isBinary: boolean): void {
    const inflated = this.inflater!.inflate(payload, this.limits.maxPayload);
    if (!Buffer.isBuffer(inflated)) {
      this.fail(inflated.code, inflated.reason);
      return;
    }
    this.deliver(inflated, isBinary);
  }

  private readClose(payload: Buffer): void {
    if (payload.length === 0) {
      this.stop();
      return this.sink.onCloseFrame(CloseCode.noStatus, '');
    }
    const code = payload.length >= 2 ? payload.readUInt16BE(0) : 0;
    if (payload.length === 1 || !isSendableCloseCode(code)) {
      this.fail(CloseCode.protocolError, 'invalid close frame');
      return;
    }
    const reason = payload.subarray(2);
    if (!isUtf8(reason)) {
      this.fail(CloseCode.invalidPayload, 'close reason is not valid UTF-8');
      return;
    }
    const text = reason.toString();
    this.stop();
    this.sink.onCloseFrame(code, text);
  }

  private incomplete(bytes: number): number {
    this.needed = bytes;
    return 0;
  }

  private fail(code: number, reason: string): number {
    this.stop();
    this.sink.onViolation(code, reason);
    return 0;
  }

  /** Nothing more is read: everything held is let go. */
  private stop(): void {
    this.stopped = true;
    this.messageCompressed = false;
    this.frameCompressed = false;
    this.partial.release();
    this.message.release();
    this.unread = undefined;
    this.skipping = 0;
  }
}

const maskWord = new Uint8Array(4);
const maskWordView = new Uint32Array(maskWord.buffer);

/** XORs the payload with the 4-byte mask at `mask[at]`, in place. */
function unmask(payload: Buffer, mask: Buffer, at: number): void {
  const length = payload.length;
  const m0 = mask[at];
  const m1 = mask[at + 1];
  const m2 = mask[at + 2];
  const m3 = mask[at + 3];
  let index = 0;
  if (length >= WORDWISE_UNMASK_FROM) {
    // Bytes up to a 4-byte boundary of the underlying memory, then whole words, then the rest.
    const lead = (4 - (payload.byteOffset & 3)) & 3;
    for (; index < lead; index++) payload[index] ^= mask[at + (index & 3)];
    for (let k = 0; k < 4; k++) maskWord[k] = mask[at + ((lead + k) & 3)];
    const key = maskWordView[0];
    const words = new Uint32Array(payload.buffer, payload.byteOffset + lead, (length - lead) >>> 2);
    for (let word = 0; word < words.length; word++) words[word] ^= key;
    index = lead + words.length * 4;
  } else {
    for (const end = length - 3; index < end; index += 4) {
      payload[index] ^= m0;
      payload[index + 1] ^= m1;
      payload[index + 2] ^= m2;
      payload[index + 3] ^= m3;
    }
  }
  for (; index < length; index++) payload[index] ^= mask[at + (index & 3)];
}
