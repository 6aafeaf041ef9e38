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

/**
 * The header and payload of the unmasked (server) frame at the start of `bytes`, or undefined
 * while `bytes` do not hold all of it yet.
 */
export function readServerFrame(bytes: Buffer): { final: boolean; opcode: number; payload: Buffer; frameBytes: number } | undefined {
  if (bytes.length < 2) return undefined;
  if (bytes[1] & 0x80) throw new Error('server frames are never masked');
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
  if (bytes.length < offset + length) return undefined;
  return {
    final: (bytes[0] & 0x80) !== 0,
    opcode: bytes[0] & 0x0f,
    payload: bytes.subarray(offset, offset + length),
    frameBytes: offset + length,
  };
}

/** The text of a complete server text frame. */
export function textOfFrame(frame: Buffer): string {
  const read = readServerFrame(frame);
  if (!read) throw new Error('not a whole frame');
  return read.payload.toString('utf8');
}
