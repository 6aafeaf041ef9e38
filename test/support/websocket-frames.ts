import { randomBytes } from 'node:crypto';

/** A client frame, masked as clients must, with whatever header bits a test wants (to break the rules too). */
export function clientFrame(
  opcode: number,
  payload: Buffer | string,
  { final = true, rsv = 0, masked = true, mask = randomBytes(4) }: { final?: boolean; rsv?: number; masked?: boolean; mask?: Buffer } = {},
): Buffer {
  const data = Buffer.from(payload);
  const length = data.length;
  const lengthBytes = length < 126 ? 0 : length < 0x10000 ? 2 : 8;
  const header = Buffer.alloc(2 + lengthBytes + (masked ? 4 : 0));
  header[0] = (final ? 0x80 : 0) | (rsv << 4) | opcode;
  header[1] = (masked ? 0x80 : 0) | (length < 126 ? length : length < 0x10000 ? 126 : 127);
  if (lengthBytes === 2) header.writeUInt16BE(length, 2);
  if (lengthBytes === 8) header.writeBigUInt64BE(BigInt(length), 2);
  if (!masked) return Buffer.concat([header, data]);
  mask.copy(header, 2 + lengthBytes);
  const body = Buffer.from(data.map((byte, index) => byte ^ mask[index & 3]));
  return Buffer.concat([header, body]);
}

/** A frame read off the wire: its header bits and its payload, unmasked. */
export interface WireFrame {
  readonly final: boolean;
  /** The three reserved bits (RSV1 is 4: a compressed message's first frame). */
  readonly rsv: number;
  readonly opcode: number;
  readonly masked: boolean;
  /** The payload (compressed, for a compressed frame), unmasked. */
  readonly payload: Buffer;
  /** The whole frame's size on the wire. */
  readonly frameBytes: number;
}

/**
 * The frame at the start of `bytes`, masked (a client's) or not (a server's), or undefined while
 * `bytes` do not hold all of it yet.
 */
export function readFrame(bytes: Buffer): WireFrame | undefined {
  if (bytes.length < 2) return undefined;
  const masked = (bytes[1] & 0x80) !== 0;
  let length = bytes[1] & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (bytes.length < 4) return undefined;
    length = bytes.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (bytes.length < 10) return undefined;
    length = Number(bytes.readBigUInt64BE(2));
    offset = 10;
  }
  const maskAt = offset;
  if (masked) offset += 4;
  if (bytes.length < offset + length) return undefined;
  let payload = bytes.subarray(offset, offset + length);
  if (masked) payload = Buffer.from(payload.map((byte, index) => byte ^ bytes[maskAt + (index & 3)]));
  return {
    final: (bytes[0] & 0x80) !== 0,
    rsv: (bytes[0] >> 4) & 7,
    opcode: bytes[0] & 0x0f,
    masked,
    payload,
    frameBytes: offset + length,
  };
}

/** The unmasked (server) frame at the start of `bytes`, or undefined while they do not hold all of it yet. */
export function readServerFrame(bytes: Buffer): WireFrame | undefined {
  const frame = readFrame(bytes);
  if (frame?.masked) throw new Error('server frames are never masked');
  return frame;
}

/** The text of a complete server text frame. */
export function textOfFrame(frame: Buffer): string {
  const read = readServerFrame(frame);
  if (!read) throw new Error('not a whole frame');
  return read.payload.toString('utf8');
}
