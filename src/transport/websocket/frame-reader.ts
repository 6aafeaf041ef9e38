import { isUtf8 } from 'node:buffer';
import { isSendableCloseCode, WebSocketCloseCode } from './close-codes.js';
import { Opcode } from './frames.js';

/** What a `FrameReader` finds in the bytes a client sends. */
export interface FrameSink {
  /** A whole message (fragments joined, unmasked; text checked to be UTF-8). */
  onMessage(payload: Buffer, isBinary: boolean): void;
  onPing(payload: Buffer): void;
  onPong(payload: Buffer): void;
  /** The client's close frame: its code (1005 when it gave none) and reason. Nothing is read after it. */
  onCloseFrame(code: number, reason: string): void;
  /** The client broke the protocol (1002), sent invalid UTF-8 (1007) or too big a message (1009). Nothing is read after it. */
  onViolation(code: number, reason: string): void;
}

/** Frames the client sends at most: 14 header bytes. */
const MAX_HEADER_BYTES = 14;
/** Above this many bytes, unmasking goes 32 bits at a time. */
const WORDWISE_UNMASK_FROM = 64;

/**
 * Reads the frames of one client connection (RFC 6455, section 5), checking everything a
 * server must: masking, reserved bits, opcodes, control frame rules, fragmentation order,
 * the size limit (before the payload arrives), UTF-8 of text and close reasons.
 *
 * Bytes are read in place: a frame that arrived whole in one chunk is unmasked where it lies
 * and handed on without a copy; only a frame split over chunks is joined, once it is complete.
 */
export class FrameReader {
  /** Bytes of an incomplete frame, and how many the frame needs before it can be read. */
  private held: Buffer[] | undefined = undefined;
  private heldBytes = 0;
  private needed = 0;
  /** The fragments of a message in progress. */
  private fragments: Buffer[] | undefined = undefined;
  private fragmentBytes = 0;
  private fragmentsBinary = false;
  private stopped = false;

  constructor(
    private readonly sink: FrameSink,
    private readonly maxPayload: number,
  ) {}

  /** Reads what arrived; stops for good after a close frame or a violation. */
  push(chunk: Buffer): void {
    if (this.stopped) return;
    if (this.held) {
      this.held.push(chunk);
      this.heldBytes += chunk.length;
      if (this.heldBytes < this.needed) return;
      chunk = Buffer.concat(this.held, this.heldBytes);
      this.held = undefined;
      this.heldBytes = 0;
    }
    let offset = 0;
    while (offset < chunk.length) {
      const used = this.readFrame(chunk, offset);
      if (this.stopped) return;
      if (used === 0) break;
      offset += used;
    }
    if (offset < chunk.length) {
      this.held = [offset === 0 ? chunk : chunk.subarray(offset)];
      this.heldBytes = chunk.length - offset;
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
    if ((first & 0x70) !== 0) return this.fail(WebSocketCloseCode.protocolError, 'reserved bits set (no extension was agreed)');
    if ((second & 0x80) === 0) return this.fail(WebSocketCloseCode.protocolError, 'client frames must be masked');

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
      if (high > 0x1fffff) return this.fail(WebSocketCloseCode.messageTooBig, 'payload length over 2^53 - 1');
      length = high * 0x100000000 + chunk.readUInt32BE(offset + 6);
    }

    if (opcode >= Opcode.close) {
      if (opcode > Opcode.pong) return this.fail(WebSocketCloseCode.protocolError, `unknown opcode ${opcode}`);
      if (!final) return this.fail(WebSocketCloseCode.protocolError, 'control frames may not be fragmented');
      if (length > 125) return this.fail(WebSocketCloseCode.protocolError, 'control frames carry at most 125 bytes');
    } else if (opcode === Opcode.continuation) {
      if (!this.fragments) return this.fail(WebSocketCloseCode.protocolError, 'continuation frame without a message to continue');
    } else if (opcode === Opcode.text || opcode === Opcode.binary) {
      if (this.fragments) return this.fail(WebSocketCloseCode.protocolError, 'new message before the previous one was finished');
    } else {
      return this.fail(WebSocketCloseCode.protocolError, `unknown opcode ${opcode}`);
    }
    if (opcode < Opcode.close && this.fragmentBytes + length > this.maxPayload) {
      return this.fail(WebSocketCloseCode.messageTooBig, `messages are limited to ${this.maxPayload} bytes`);
    }

    if (available < headerBytes + length) return this.incomplete(headerBytes + length);
    const start = offset + headerBytes;
    const payload = chunk.subarray(start, start + length);
    unmask(payload, chunk, start - 4);
    this.dispatch(opcode, final, payload);
    return headerBytes + length;
  }

  private dispatch(opcode: number, final: boolean, payload: Buffer): void {
    switch (opcode) {
      case Opcode.text:
      case Opcode.binary:
        if (final) return this.deliver(payload, opcode === Opcode.binary);
        this.fragments = [payload];
        this.fragmentBytes = payload.length;
        this.fragmentsBinary = opcode === Opcode.binary;
        return;
      case Opcode.continuation: {
        const fragments = this.fragments!;
        fragments.push(payload);
        this.fragmentBytes += payload.length;
        if (!final) return;
        const whole = Buffer.concat(fragments, this.fragmentBytes);
        this.fragments = undefined;
        this.fragmentBytes = 0;
        return this.deliver(whole, this.fragmentsBinary);
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
      this.fail(WebSocketCloseCode.invalidPayload, 'text message is not valid UTF-8');
      return;
    }
    this.sink.onMessage(payload, isBinary);
  }

  private readClose(payload: Buffer): void {
    if (payload.length === 0) {
      this.stop();
      return this.sink.onCloseFrame(WebSocketCloseCode.noStatus, '');
    }
    const code = payload.length >= 2 ? payload.readUInt16BE(0) : 0;
    if (payload.length === 1 || !isSendableCloseCode(code)) {
      this.fail(WebSocketCloseCode.protocolError, 'invalid close frame');
      return;
    }
    const reason = payload.subarray(2);
    if (!isUtf8(reason)) {
      this.fail(WebSocketCloseCode.invalidPayload, 'close reason is not valid UTF-8');
      return;
    }
    this.stop();
    this.sink.onCloseFrame(code, reason.toString());
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

  private stop(): void {
    this.stopped = true;
    this.held = undefined;
    this.fragments = undefined;
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
