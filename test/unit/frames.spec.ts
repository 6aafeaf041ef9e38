import { isSendableCloseCode } from '../../src/core/close-codes.js';
import { closePayload, encodeFrame, Opcode, textFrame, textFramePayload } from '../../src/websocket/frames.js';
import { readServerFrame } from '../support/websocket-frames.js';

describe('server frames', () => {
  it.each([0, 1, 125, 126, 127, 65535, 65536, 100_000])('a %i-byte text frame: final, unmasked, the shortest length encoding', (length) => {
    const payload = 'a'.repeat(length);
    const frame = textFrame(payload);
    const read = readServerFrame(frame)!;
    expect(read).toMatchObject({ final: true, opcode: Opcode.text, frameBytes: frame.length });
    expect(read.payload.toString()).toBe(payload);
    expect(frame.length - length).toBe(length < 126 ? 2 : length < 65536 ? 4 : 10);
  });

  it('counts UTF-8 bytes, not characters', () => {
    const payload = '€'.repeat(50); // 150 bytes: needs the 16-bit length
    const frame = encodeFrame(Opcode.text, payload);
    expect(frame[1]).toBe(126);
    expect(readServerFrame(frame)!.payload.toString()).toBe(payload);
  });

  it('takes a Buffer payload as it is', () => {
    const frame = encodeFrame(Opcode.pong, Buffer.from([1, 2, 3]));
    expect(readServerFrame(frame)).toMatchObject({ opcode: Opcode.pong, payload: Buffer.from([1, 2, 3]) });
  });

  it.each([0, 125, 126, 65535, 65536])('textFramePayload finds the payload of a %i-byte text frame, without a copy', (length) => {
    const frame = textFrame('b'.repeat(length));
    const payload = textFramePayload(frame);
    expect(payload.toString()).toBe('b'.repeat(length));
    expect(payload.buffer).toBe(frame.buffer);
  });

  describe('closePayload', () => {
    it('is the code, then the reason', () => {
      expect(closePayload(1001, 'server shutting down')).toEqual(
        Buffer.concat([Buffer.from([0x03, 0xe9]), Buffer.from('server shutting down')]),
      );
    });

    it('cuts a long reason to the 123 bytes a control frame leaves, on a character boundary', () => {
      const payload = closePayload(1008, 'é'.repeat(100)); // 200 bytes of reason
      expect(payload.length).toBeLessThanOrEqual(125);
      expect(payload.subarray(2).toString()).toBe('é'.repeat(61));
    });
  });

  it.each([
    [1000, true],
    [1001, true],
    [1003, true],
    [1004, false],
    [1005, false],
    [1006, false],
    [1011, true],
    [1014, true],
    [1015, false],
    [2999, false],
    [3000, true],
    [4999, true],
    [5000, false],
    [1000.5, false],
  ])('close code %d may go on the wire: %s', (code, sendable) => {
    expect(isSendableCloseCode(code)).toBe(sendable);
  });
});
