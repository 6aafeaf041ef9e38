import fc from 'fast-check';
import { FrameReader, type FrameSink } from '../../src/websocket/frame-reader.js';
import { Opcode } from '../../src/websocket/frames.js';
import { PerMessageDeflateNegotiator } from '../../src/websocket/permessage-deflate.js';
import { parseExtensionOffers } from '../../src/websocket/extension-header.js';
import { DEFAULT_COMPRESSION } from '../../src/config/resolve-options.js';
import { constants as zlib, deflateRawSync } from 'node:zlib';
import { clientFrame } from '../support/websocket-frames.js';

type Seen =
  | { kind: 'message'; text: string; isBinary: boolean }
  | { kind: 'ping' | 'pong'; payload: string }
  | { kind: 'close'; code: number; reason: string }
  | { kind: 'violation'; code: number; reason: string };

/** A reader whose sink records everything in order. */
function reader(maxPayload = 1 << 20, maxFragments = 1024): { push(...chunks: Buffer[]): void; seen: Seen[]; frameReader: FrameReader } {
  const seen: Seen[] = [];
  const sink: FrameSink = {
    onMessage: (payload, isBinary) => seen.push({ kind: 'message', text: payload.toString(isBinary ? 'latin1' : 'utf8'), isBinary }),
    onPing: (payload) => seen.push({ kind: 'ping', payload: payload.toString() }),
    onPong: (payload) => seen.push({ kind: 'pong', payload: payload.toString() }),
    onCloseFrame: (code, reason) => seen.push({ kind: 'close', code, reason }),
    onViolation: (code, reason) => seen.push({ kind: 'violation', code, reason }),
  };
  const frameReader = new FrameReader(sink, { maxPayload, maxFragments });
  return { push: (...chunks) => chunks.forEach((chunk) => frameReader.push(chunk)), seen, frameReader };
}

const text = (value: string): Seen => ({ kind: 'message', text: value, isBinary: false });
const violationCode = (seen: Seen[]): number | undefined => seen.find((entry) => entry.kind === 'violation')?.['code' as never];

describe('FrameReader', () => {
  describe('messages', () => {
    it('reads a masked text frame, unmasked', () => {
      const r = reader();
      r.push(clientFrame(Opcode.text, '[2,"c1","urn:echo","hi"]'));
      expect(r.seen).toEqual([text('[2,"c1","urn:echo","hi"]')]);
    });

    it.each([0, 1, 3, 4, 63, 64, 65, 125, 126, 127, 1000, 65535, 65536, 200_000])(
      'reads a %i-byte payload (every length encoding, both unmask paths)',
      (length) => {
        const payload = Buffer.alloc(length, 0)
          .map((_, index) => 32 + (index % 90))
          .toString();
        const r = reader();
        r.push(clientFrame(Opcode.text, payload));
        expect(r.seen).toEqual([text(payload)]);
      },
    );

    it('unmasks correctly whatever the alignment of the payload in memory', () => {
      const payload = 'x'.repeat(97) + 'é'.repeat(50);
      for (let shift = 0; shift < 8; shift++) {
        const frame = clientFrame(Opcode.text, payload);
        const shifted = Buffer.alloc(shift + frame.length);
        frame.copy(shifted, shift);
        const r = reader();
        r.push(shifted.subarray(shift));
        expect(r.seen).toEqual([text(payload)]);
      }
    });

    it('reads several frames that arrive in one chunk, in order', () => {
      const r = reader();
      r.push(Buffer.concat([clientFrame(Opcode.text, 'a'), clientFrame(Opcode.ping, 'p'), clientFrame(Opcode.text, 'b')]));
      expect(r.seen).toEqual([text('a'), { kind: 'ping', payload: 'p' }, text('b')]);
    });

    it('reads a frame that arrives one byte at a time', () => {
      const frame = clientFrame(Opcode.text, 'z'.repeat(300));
      const r = reader();
      for (let index = 0; index < frame.length; index++) r.push(frame.subarray(index, index + 1));
      expect(r.seen).toEqual([text('z'.repeat(300))]);
    });

    it('joins a fragmented message, with a control frame between the fragments', () => {
      const r = reader();
      r.push(
        clientFrame(Opcode.text, '[2,"c1",', { final: false }),
        clientFrame(Opcode.ping, 'mid'),
        clientFrame(Opcode.continuation, '"urn:echo",', { final: false }),
        clientFrame(Opcode.continuation, '1]'),
      );
      expect(r.seen).toEqual([{ kind: 'ping', payload: 'mid' }, text('[2,"c1","urn:echo",1]')]);
    });

    it('checks UTF-8 on the whole message: a character split over two fragments is fine', () => {
      const euro = Buffer.from('€'); // 3 bytes
      const r = reader();
      r.push(clientFrame(Opcode.text, euro.subarray(0, 1), { final: false }), clientFrame(Opcode.continuation, euro.subarray(1)));
      expect(r.seen).toEqual([text('€')]);
    });

    it('reports binary messages as binary', () => {
      const r = reader();
      r.push(clientFrame(Opcode.binary, Buffer.from([0xff, 0x00, 0x80])));
      expect(r.seen).toEqual([{ kind: 'message', text: Buffer.from([0xff, 0x00, 0x80]).toString('latin1'), isBinary: true }]);
    });

    it('reads pongs', () => {
      const r = reader();
      r.push(clientFrame(Opcode.pong, 'beat'));
      expect(r.seen).toEqual([{ kind: 'pong', payload: 'beat' }]);
    });

    it('property: any messages, fragmented any way, split into chunks anywhere, come out whole and in order', () => {
      const message = fc.record({
        text: fc.string({ unit: 'grapheme', maxLength: 300 }),
        fragments: fc.integer({ min: 1, max: 4 }),
        pingBefore: fc.boolean(),
      });
      fc.assert(
        fc.property(
          fc.array(message, { minLength: 1, maxLength: 8 }),
          fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1 }),
          (messages, cuts) => {
            const frames: Buffer[] = [];
            const expected: Seen[] = [];
            for (const { text: value, fragments, pingBefore } of messages) {
              if (pingBefore) {
                frames.push(clientFrame(Opcode.ping, 'p'));
                expected.push({ kind: 'ping', payload: 'p' });
              }
              const bytes = Buffer.from(value);
              const size = Math.ceil(bytes.length / fragments) || 1;
              const parts =
                fragments === 1 || bytes.length === 0
                  ? [bytes]
                  : Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));
              parts.forEach((part, index) =>
                frames.push(clientFrame(index === 0 ? Opcode.text : Opcode.continuation, part, { final: index === parts.length - 1 })),
              );
              expected.push(text(value));
            }
            const stream = Buffer.concat(frames);
            const r = reader();
            for (let offset = 0, cut = 0; offset < stream.length; cut++) {
              const size = cuts[cut % cuts.length];
              r.push(Buffer.from(stream.subarray(offset, offset + size)));
              offset += size;
            }
            expect(r.seen).toEqual(expected);
          },
        ),
        { numRuns: 300 },
      );
    });
  });

  describe('close frames', () => {
    it('a close frame with a code and reason', () => {
      const r = reader();
      const payload = Buffer.concat([Buffer.from([0x0f, 0xa0]), Buffer.from('bye')]);
      r.push(clientFrame(Opcode.close, payload));
      expect(r.seen).toEqual([{ kind: 'close', code: 4000, reason: 'bye' }]);
    });

    it('an empty close frame reports 1005 (no status)', () => {
      const r = reader();
      r.push(clientFrame(Opcode.close, Buffer.alloc(0)));
      expect(r.seen).toEqual([{ kind: 'close', code: 1005, reason: '' }]);
    });

    it('nothing is read after a close frame', () => {
      const r = reader();
      r.push(Buffer.concat([clientFrame(Opcode.close, Buffer.from([0x03, 0xe8])), clientFrame(Opcode.text, 'late')]));
      r.push(clientFrame(Opcode.text, 'later'));
      expect(r.seen).toEqual([{ kind: 'close', code: 1000, reason: '' }]);
    });

    it.each([
      ['one byte', Buffer.from([0x03]), 1002],
      ['code 999', Buffer.from([0x03, 0xe7]), 1002],
      ['code 1005 (never on the wire)', Buffer.from([0x03, 0xed]), 1002],
      ['code 1006 (never on the wire)', Buffer.from([0x03, 0xee]), 1002],
      ['code 2000', Buffer.from([0x07, 0xd0]), 1002],
      ['code 5000', Buffer.from([0x13, 0x88]), 1002],
      ['a reason that is not UTF-8', Buffer.from([0x03, 0xe8, 0xff, 0xfe]), 1007],
    ])('a close frame with %s is a violation (%i)', (_label, payload, code) => {
      const r = reader();
      r.push(clientFrame(Opcode.close, payload));
      expect(r.seen).toHaveLength(1);
      expect(violationCode(r.seen)).toBe(code);
    });
  });

  describe('violations (reported once, then nothing more is read)', () => {
    it.each([
      ['an unmasked frame', () => clientFrame(Opcode.text, 'x', { masked: false }), 1002],
      ['reserved bits (no extension agreed)', () => clientFrame(Opcode.text, 'x', { rsv: 4 }), 1002],
      ['RSV2', () => clientFrame(Opcode.text, 'x', { rsv: 2 }), 1002],
      ['opcode 3', () => clientFrame(3, 'x'), 1002],
      ['opcode 0xb', () => clientFrame(0xb, 'x'), 1002],
      ['a fragmented ping', () => clientFrame(Opcode.ping, 'x', { final: false }), 1002],
      ['a ping of 126 bytes', () => clientFrame(Opcode.ping, 'x'.repeat(126)), 1002],
      ['a continuation with no message to continue', () => clientFrame(Opcode.continuation, 'x'), 1002],
      ['invalid UTF-8 text', () => clientFrame(Opcode.text, Buffer.from([0x5b, 0xff, 0x5d])), 1007],
      ['a truncated UTF-8 character at the end of a message', () => clientFrame(Opcode.text, Buffer.from('€').subarray(0, 2)), 1007],
    ])('%s → %i', (_label, frame, code) => {
      const r = reader();
      r.push(Buffer.concat([frame(), clientFrame(Opcode.text, 'after')]));
      expect(r.seen).toHaveLength(1);
      expect(violationCode(r.seen)).toBe(code);
    });

    it('a new message while another is still in fragments → 1002', () => {
      const r = reader();
      r.push(clientFrame(Opcode.text, 'a', { final: false }), clientFrame(Opcode.text, 'b'));
      expect(r.seen).toHaveLength(1);
      expect(violationCode(r.seen)).toBe(1002);
    });

    it('a frame over the limit is refused (1009) from its header alone, before its payload arrives', () => {
      const r = reader(1000);
      const frame = clientFrame(Opcode.text, 'x'.repeat(1001));
      r.push(frame.subarray(0, 8));
      expect(violationCode(r.seen)).toBe(1009);
    });

    it('a message over the limit in fragments is refused (1009) at the fragment that crosses it', () => {
      const r = reader(1000);
      r.push(clientFrame(Opcode.text, 'x'.repeat(600), { final: false }));
      expect(r.seen).toEqual([]);
      r.push(clientFrame(Opcode.continuation, 'x'.repeat(401)).subarray(0, 8));
      expect(violationCode(r.seen)).toBe(1009);
    });

    it('a message exactly at the limit is read', () => {
      const r = reader(1000);
      r.push(clientFrame(Opcode.text, 'x'.repeat(1000)));
      expect(r.seen).toEqual([text('x'.repeat(1000))]);
    });

    it('a 64-bit length over 2^53 - 1 → 1009', () => {
      const header = Buffer.from([0x81, 0x80 | 127, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 1, 2, 3, 4]);
      const r = reader(Number.MAX_SAFE_INTEGER);
      r.push(header);
      expect(violationCode(r.seen)).toBe(1009);
    });
  });

  describe('compressed messages (permessage-deflate agreed: an inflater given)', () => {
    const RSV1 = 4;
    const deflate = (message: string | Buffer): Buffer => {
      const deflated = deflateRawSync(message, { finishFlush: zlib.Z_SYNC_FLUSH });
      return deflated.subarray(0, deflated.length - 4);
    };

    function inflatingReader(maxPayload = 1 << 20, header = 'permessage-deflate'): { push(...chunks: Buffer[]): void; seen: Seen[] } {
      const seen: Seen[] = [];
      const sink: FrameSink = {
        onMessage: (payload, isBinary) => seen.push({ kind: 'message', text: payload.toString(isBinary ? 'latin1' : 'utf8'), isBinary }),
        onPing: (payload) => seen.push({ kind: 'ping', payload: payload.toString() }),
        onPong: (payload) => seen.push({ kind: 'pong', payload: payload.toString() }),
        onCloseFrame: (code, reason) => seen.push({ kind: 'close', code, reason }),
        onViolation: (code, reason) => seen.push({ kind: 'violation', code, reason }),
      };
      const codec = new PerMessageDeflateNegotiator({ ...DEFAULT_COMPRESSION, threshold: 0 }).negotiate(
        parseExtensionOffers(header),
      )!.codec;
      const frameReader = new FrameReader(sink, { maxPayload, maxFragments: 16 }, codec);
      return { push: (...chunks) => chunks.forEach((chunk) => frameReader.push(chunk)), seen };
    }

    it('inflates a compressed message (RSV1), and reads uncompressed ones between', () => {
      const r = inflatingReader();
      const big = '[2,"c1","urn:echo","' + 'x'.repeat(5000) + '"]';
      r.push(
        clientFrame(Opcode.text, deflate(big), { rsv: RSV1 }),
        clientFrame(Opcode.text, 'plain'),
        clientFrame(Opcode.text, deflate('again'), { rsv: RSV1 }),
      );
      expect(r.seen).toEqual([text(big), text('plain'), text('again')]);
    });

    it('inflates a binary message too', () => {
      const r = inflatingReader();
      r.push(clientFrame(Opcode.binary, deflate(Buffer.from([1, 2, 3])), { rsv: RSV1 }));
      expect(r.seen).toEqual([{ kind: 'message', text: '\x01\x02\x03', isBinary: true }]);
    });

    it('joins the fragments of a compressed message (RSV1 on the first only), controls between them, whatever the TCP chunking', () => {
      const compressed = deflate('fragmented ' + 'y'.repeat(3000));
      const frames = Buffer.concat([
        clientFrame(Opcode.text, compressed.subarray(0, 5), { final: false, rsv: RSV1 }),
        clientFrame(Opcode.ping, 'p'),
        clientFrame(Opcode.continuation, compressed.subarray(5, 9), { final: false }),
        clientFrame(Opcode.continuation, compressed.subarray(9)),
      ]);
      for (const size of [1, 3, 7, 64, frames.length]) {
        const r = inflatingReader();
        // Copies: the reader unmasks in place.
        for (let offset = 0; offset < frames.length; offset += size) r.push(Buffer.from(frames.subarray(offset, offset + size)));
        expect(r.seen).toEqual([{ kind: 'ping', payload: 'p' }, text('fragmented ' + 'y'.repeat(3000))]);
      }
    });

    it('counts the inflated size against maxPayload: exactly the limit passes, one byte more is 1009', () => {
      const r = inflatingReader(1000);
      r.push(clientFrame(Opcode.text, deflate('z'.repeat(1000)), { rsv: RSV1 }));
      expect(r.seen).toEqual([text('z'.repeat(1000))]);
      r.push(clientFrame(Opcode.text, deflate('z'.repeat(1001)), { rsv: RSV1 }), clientFrame(Opcode.text, 'after'));
      expect(r.seen.slice(1)).toEqual([{ kind: 'violation', code: 1009, reason: 'messages are limited to 1000 bytes (inflated)' }]);
    });

    it('still counts the compressed bytes against maxPayload, from the header', () => {
      const r = inflatingReader(1000);
      r.push(clientFrame(Opcode.text, Buffer.alloc(1001), { rsv: RSV1 }).subarray(0, 8));
      expect(violationCode(r.seen)).toBe(1009);
    });

    it.each([
      ['corrupt compressed data', () => clientFrame(Opcode.text, Buffer.from([0xff, 0xff, 0xff]), { rsv: RSV1 }), 1007],
      ['compressed invalid UTF-8', () => clientFrame(Opcode.text, deflate(Buffer.from([0xff])), { rsv: RSV1 }), 1007],
      ['RSV1 on a ping', () => clientFrame(Opcode.ping, 'x', { rsv: RSV1 }), 1002],
      ['RSV1 on a pong', () => clientFrame(Opcode.pong, 'x', { rsv: RSV1 }), 1002],
      ['RSV1 on a close frame', () => clientFrame(Opcode.close, Buffer.from([0x03, 0xe8]), { rsv: RSV1 }), 1002],
      ['RSV1 on an unknown opcode', () => clientFrame(3, 'x', { rsv: RSV1 }), 1002],
      ['RSV2', () => clientFrame(Opcode.text, 'x', { rsv: 2 }), 1002],
      ['RSV3', () => clientFrame(Opcode.text, 'x', { rsv: 1 }), 1002],
      ['RSV1 and RSV2', () => clientFrame(Opcode.text, deflate('x'), { rsv: 6 }), 1002],
      [
        'RSV1 on a continuation',
        () =>
          Buffer.concat([
            clientFrame(Opcode.text, deflate('x'), { final: false, rsv: RSV1 }),
            clientFrame(Opcode.continuation, 'y', { rsv: RSV1 }),
          ]),
        1002,
      ],
    ])('%s → %i, once, nothing read after', (_label, frame, code) => {
      const r = inflatingReader();
      r.push(Buffer.concat([frame(), clientFrame(Opcode.text, 'after')]));
      expect(r.seen).toHaveLength(1);
      expect(violationCode(r.seen)).toBe(code);
    });

    it('a frame whose RSV1 header arrived alone is still read as compressed', () => {
      const r = inflatingReader();
      const frame = clientFrame(Opcode.text, deflate('split header'), { rsv: RSV1 });
      r.push(frame.subarray(0, 1), frame.subarray(1, 2), frame.subarray(2));
      r.push(clientFrame(Opcode.text, 'plain after'));
      expect(r.seen).toEqual([text('split header'), text('plain after')]);
    });
  });
});
