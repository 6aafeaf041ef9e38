/** WebSocket frame opcodes (RFC 6455, section 5.2). */
export const Opcode = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;

declare const textFrameBrand: unique symbol;

/**
 * A complete, unmasked WebSocket text frame: header and payload in one buffer, ready to be
 * written to any number of sockets as it is (one serialization for a fan-out to thousands).
 */
export type TextFrame = Buffer & { readonly [textFrameBrand]: true };

export function textFrame(payload: string | Buffer): TextFrame {
  return encodeFrame(Opcode.text, payload) as TextFrame;
}

/** The payload of a frame built by `textFrame` (a view, no copy). */
export function textFramePayload(frame: TextFrame): Buffer {
  const length = frame[1];
  return frame.subarray(length < 126 ? 2 : length === 126 ? 4 : 10);
}

/** One final, unmasked frame (a server's frames are never masked), header and payload in one buffer. */
export function encodeFrame(opcode: number, payload: string | Buffer): Buffer {
  const length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  const headerBytes = length < 126 ? 2 : length < 0x10000 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerBytes + length);
  frame[0] = 0x80 | opcode;
  if (length < 126) {
    frame[1] = length;
  } else if (length < 0x10000) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 0x100000000), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  if (typeof payload === 'string') frame.write(payload, headerBytes, length, 'utf8');
  else payload.copy(frame, headerBytes);
  return frame;
}

/** A close frame's payload: the code, then the reason cut to fit the 125 bytes of a control frame. */
export function closePayload(code: number, reason: string): Buffer {
  let text = Buffer.from(reason);
  // Cut on a character boundary, so that the peer still reads valid UTF-8.
  for (let chars = reason.length; text.length > 123; chars--) text = Buffer.from(reason.slice(0, chars));
  const payload = Buffer.allocUnsafe(2 + text.length);
  payload.writeUInt16BE(code, 0);
  text.copy(payload, 2);
  return payload;
}
