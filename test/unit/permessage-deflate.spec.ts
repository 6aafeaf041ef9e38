import { randomBytes } from 'node:crypto';
import { constants as zlib, createDeflateRaw, createInflateRaw, deflateRawSync, type DeflateRaw, type InflateRaw } from 'node:zlib';
import { parseExtensionOffers } from '../../src/websocket/extension-header.js';
import { textFrame } from '../../src/websocket/frames.js';
import {
  acceptOffer,
  type PerMessageDeflate,
  PerMessageDeflateNegotiator,
  type PerMessageDeflateOptions,
} from '../../src/websocket/permessage-deflate.js';
import { DEFAULT_COMPRESSION } from '../../src/config/resolve-options.js';
import { readServerFrame } from '../support/websocket-frames.js';

/** The module's defaults, every message compressed. */
const DEFAULTS: PerMessageDeflateOptions = { ...DEFAULT_COMPRESSION, threshold: 0 };

const offer = (header: string) => parseExtensionOffers(header)[0];

function codec(header = 'permessage-deflate', options: Partial<PerMessageDeflateOptions> = {}): PerMessageDeflate {
  const negotiated = new PerMessageDeflateNegotiator({ ...DEFAULTS, ...options }).negotiate(parseExtensionOffers(header));
  if (!negotiated) throw new Error(`${header} not accepted`);
  return negotiated.codec;
}

/** Compressed without context, the sync flush's tail cut (what a client sends). */
const deflate = (message: string | Buffer): Buffer => {
  const deflated = deflateRawSync(message, { finishFlush: zlib.Z_SYNC_FLUSH });
  return deflated.subarray(0, deflated.length - 4);
};

/** A message through a zlib stream that lives on (real context takeover, as a client's compressor or decompressor). */
function through(stream: DeflateRaw | InflateRaw, data: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const onData = (chunk: Buffer): number => chunks.push(chunk);
  stream.on('data', onData);
  stream.write(data);
  return new Promise((resolve) =>
    stream.flush(zlib.Z_SYNC_FLUSH, () => {
      stream.off('data', onData);
      resolve(Buffer.concat(chunks));
    }),
  );
}

const TAIL = Buffer.from([0, 0, 0xff, 0xff]);
const records = (count: number, seed: string): string =>
  Array.from({ length: count }, (_, index) => `{"id":"${seed}${index}","name":"user ${index % 17}"}`).join(',');

describe('acceptOffer (RFC 7692, section 7)', () => {
  it.each<[string, Partial<PerMessageDeflateOptions>, string, object]>([
    [
      'permessage-deflate',
      {},
      'permessage-deflate; server_no_context_takeover',
      { serverNoContextTakeover: true, clientNoContextTakeover: false, serverWindowBits: 15, clientWindowBits: 15 },
    ],
    [
      'permessage-deflate',
      { serverNoContextTakeover: false },
      'permessage-deflate',
      { serverNoContextTakeover: false, clientNoContextTakeover: false, serverWindowBits: 15, clientWindowBits: 15 },
    ],
    [
      'permessage-deflate; server_no_context_takeover',
      { serverNoContextTakeover: false },
      'permessage-deflate; server_no_context_takeover',
      { serverNoContextTakeover: true, clientNoContextTakeover: false, serverWindowBits: 15, clientWindowBits: 15 },
    ],
    [
      'permessage-deflate; client_no_context_takeover',
      {},
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover',
      { serverNoContextTakeover: true, clientNoContextTakeover: true, serverWindowBits: 15, clientWindowBits: 15 },
    ],
    [
      'permessage-deflate',
      { clientNoContextTakeover: true },
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover',
      { serverNoContextTakeover: true, clientNoContextTakeover: true, serverWindowBits: 15, clientWindowBits: 15 },
    ],
    [
      'permessage-deflate; server_max_window_bits=12',
      {},
      'permessage-deflate; server_no_context_takeover; server_max_window_bits=12',
      { serverNoContextTakeover: true, clientNoContextTakeover: false, serverWindowBits: 12, clientWindowBits: 15 },
    ],
    [
      'permessage-deflate; server_max_window_bits=12',
      { serverMaxWindowBits: 10 },
      'permessage-deflate; server_no_context_takeover; server_max_window_bits=10',
      { serverNoContextTakeover: true, clientNoContextTakeover: false, serverWindowBits: 10, clientWindowBits: 15 },
    ],
    [
      // Not offered: the smaller window is used without a word (the client inflates it all the same).
      'permessage-deflate',
      { serverMaxWindowBits: 10 },
      'permessage-deflate; server_no_context_takeover',
      { serverNoContextTakeover: true, clientNoContextTakeover: false, serverWindowBits: 10, clientWindowBits: 15 },
    ],
    [
      'permessage-deflate; client_max_window_bits',
      { clientMaxWindowBits: 11 },
      'permessage-deflate; server_no_context_takeover; client_max_window_bits=11',
      { serverNoContextTakeover: true, clientNoContextTakeover: false, serverWindowBits: 15, clientWindowBits: 11 },
    ],
    [
      'permessage-deflate; client_max_window_bits=9',
      { clientMaxWindowBits: 11 },
      'permessage-deflate; server_no_context_takeover; client_max_window_bits=9',
      { serverNoContextTakeover: true, clientNoContextTakeover: false, serverWindowBits: 15, clientWindowBits: 9 },
    ],
    [
      'permessage-deflate; client_max_window_bits=8',
      {},
      'permessage-deflate; server_no_context_takeover; client_max_window_bits=8',
      { serverNoContextTakeover: true, clientNoContextTakeover: false, serverWindowBits: 15, clientWindowBits: 8 },
    ],
    [
      // A client that cannot be limited compresses with 2^15, whatever the option.
      'permessage-deflate',
      { clientMaxWindowBits: 9 },
      'permessage-deflate; server_no_context_takeover',
      { serverNoContextTakeover: true, clientNoContextTakeover: false, serverWindowBits: 15, clientWindowBits: 15 },
    ],
    [
      'permessage-deflate; client_max_window_bits="10"; server_max_window_bits=9; server_no_context_takeover; client_no_context_takeover',
      { serverNoContextTakeover: false },
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=10',
      { serverNoContextTakeover: true, clientNoContextTakeover: true, serverWindowBits: 9, clientWindowBits: 10 },
    ],
  ])('%s with %j → %s', (header, options, response, agreement) => {
    expect(acceptOffer(offer(header), { ...DEFAULTS, ...options })).toEqual({ response, agreement });
  });

  it.each([
    ['an unknown parameter', 'permessage-deflate; foo'],
    ['an unknown parameter with a value', 'permessage-deflate; foo=1'],
    ['a repeated parameter', 'permessage-deflate; server_no_context_takeover; server_no_context_takeover'],
    ['a repeated window', 'permessage-deflate; client_max_window_bits=10; client_max_window_bits=11'],
    ['server_no_context_takeover with a value', 'permessage-deflate; server_no_context_takeover=true'],
    ['client_no_context_takeover with a value', 'permessage-deflate; client_no_context_takeover=1'],
    ['server_max_window_bits without a value', 'permessage-deflate; server_max_window_bits'],
    ['server_max_window_bits=8 (zlib cannot compress within 2^8)', 'permessage-deflate; server_max_window_bits=8'],
    ['server_max_window_bits=7', 'permessage-deflate; server_max_window_bits=7'],
    ['server_max_window_bits=16', 'permessage-deflate; server_max_window_bits=16'],
    ['client_max_window_bits=7', 'permessage-deflate; client_max_window_bits=7'],
    ['client_max_window_bits=16', 'permessage-deflate; client_max_window_bits=16'],
    ['a leading zero', 'permessage-deflate; client_max_window_bits=010'],
    ['a sign', 'permessage-deflate; client_max_window_bits=+10'],
    ['a fraction', 'permessage-deflate; server_max_window_bits=10.5'],
  ])('declines %s', (_name, header) => {
    expect(acceptOffer(offer(header), DEFAULTS)).toBeUndefined();
  });
});

describe('PerMessageDeflateNegotiator', () => {
  const negotiator = new PerMessageDeflateNegotiator(DEFAULTS);

  it('takes the first offer it can accept, skipping other extensions', () => {
    const negotiated = negotiator.negotiate(
      parseExtensionOffers(
        'x-webkit-deflate-frame, permessage-deflate; server_max_window_bits=8, permessage-deflate; client_max_window_bits=12',
      ),
    );
    expect(negotiated?.response).toBe('permessage-deflate; server_no_context_takeover; client_max_window_bits=12');
  });

  it.each(['', 'x-other', 'permessage-deflate; bogus', 'permessage-deflate; server_max_window_bits=8'])(
    'agrees on nothing when nothing acceptable is offered: %j',
    (header) => {
      expect(negotiator.negotiate(parseExtensionOffers(header))).toBeUndefined();
    },
  );
});

describe('PerMessageDeflate', () => {
  describe('inflating', () => {
    it('inflates a message compressed without context', () => {
      const message = records(100, 'a');
      expect(codec().inflate(deflate(message), 1 << 20)).toEqual(Buffer.from(message));
    });

    it('inflates an empty message', () => {
      expect(codec().inflate(deflate(''), 1 << 20)).toEqual(Buffer.alloc(0));
    });

    it('inflates exactly maxBytes, refuses one more with 1009', () => {
      const message = Buffer.alloc(10_000, 'x');
      expect(codec().inflate(deflate(message), 10_000)).toEqual(message);
      expect(codec().inflate(deflate(message), 9_999)).toEqual({ code: 1009, reason: 'messages are limited to 9999 bytes (inflated)' });
    });

    it('stops an inflate bomb at the limit: 50 MB of zeros followed by corrupt data is refused as too big (1009), not as corrupt', () => {
      const bomb = Buffer.concat([deflate(Buffer.alloc(50 * 1024 * 1024)), Buffer.from([0xff, 0xff, 0xff, 0xff])]);
      const before = process.memoryUsage().arrayBuffers;
      expect(codec().inflate(bomb, 1 << 20)).toMatchObject({ code: 1009 });
      // Had it inflated the 50 MB before giving up, they would have been allocated.
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 << 20);
    });

    it.each([
      ['an invalid block type', Buffer.from([0xff, 0xff, 0xff])],
      // A reference into a window this connection never had (compressed against a dictionary).
      [
        'a distance before the start of the data',
        deflateRawSync('hello, hello', { dictionary: Buffer.from('hello, '), finishFlush: zlib.Z_SYNC_FLUSH }),
      ],
    ])('refuses corrupt data (%s) with 1007', (_name, data) => {
      expect(codec().inflate(data, 1 << 20)).toMatchObject({ code: 1007, reason: expect.stringContaining('invalid compressed data') });
    });

    it('follows a client that takes its context over (a real zlib stream), keeping at most 2^clientWindowBits bytes', async () => {
      for (const bits of [8, 9, 12, 15]) {
        const reader = codec(`permessage-deflate; client_max_window_bits=${bits}`);
        const client = createDeflateRaw({ windowBits: Math.max(bits, 9) });
        let previousCompressed = Infinity;
        for (let index = 0; index < 6; index++) {
          // The same block each time: from the second message on, it is a reference into the window.
          const message = Buffer.from(`${index}:${'abcdefghij'.repeat(20)}${records(3, 'z')}`);
          const compressed = await through(client, message);
          expect(compressed.subarray(-4)).toEqual(TAIL);
          const payload = compressed.subarray(0, -4);
          expect(reader.inflate(payload, 1 << 20)).toEqual(message);
          if (index > 0) expect(payload.length).toBeLessThanOrEqual(previousCompressed);
          previousCompressed = payload.length;
        }
        expect(reader.bytesHeld).toBeLessThanOrEqual(2 ** bits);
        client.close();
      }
    });

    it('keeps no window when the client compresses without context', () => {
      const reader = codec('permessage-deflate; client_no_context_takeover');
      reader.inflate(deflate(records(100, 'n')), 1 << 20);
      expect(reader.bytesHeld).toBe(0);
    });
  });

  describe('deflating', () => {
    /** The payload of a frame the codec built, and whether RSV1 marks it compressed. */
    const read = (frame: Buffer): { compressed: boolean; payload: Buffer } => {
      const parsed = readServerFrame(frame)!;
      expect(parsed.final).toBe(true);
      return { compressed: (frame[0] & 0x40) !== 0, payload: parsed.payload };
    };

    it('sends messages under the threshold as they are, and above it compressed', () => {
      const writer = codec('permessage-deflate', { threshold: 100 });
      const small = 'é'.repeat(49); // 49 characters, 98 bytes
      expect(read(writer.frame(small))).toEqual({ compressed: false, payload: Buffer.from(small) });
      const exactly = 'é'.repeat(50); // 100 bytes
      expect(read(writer.frame(exactly)).compressed).toBe(true);
      const frame = textFrame('x'.repeat(99));
      expect(writer.frame(frame)).toBe(frame);
    });

    it('sends a message that does not get smaller as it is', () => {
      const writer = codec();
      // Random base64 this short gains nothing from Huffman codes, and has no repeats.
      const noise = randomBytes(30).toString('base64');
      expect(read(writer.frame(noise))).toEqual({ compressed: false, payload: Buffer.from(noise) });
    });

    it('compresses a fan-out frame once for every connection without context on the same window', () => {
      const negotiator = new PerMessageDeflateNegotiator(DEFAULTS);
      const [a, b] = [1, 2].map(() => negotiator.negotiate(parseExtensionOffers('permessage-deflate'))!.codec);
      const other = negotiator.negotiate(parseExtensionOffers('permessage-deflate; server_max_window_bits=10'))!.codec;
      const event = textFrame(JSON.stringify([8, 'http://x/t', records(50, 'e')]));
      const sent = a.frame(event);
      expect(b.frame(event)).toBe(sent);
      expect(other.frame(event)).not.toBe(sent);
      expect(read(sent).compressed).toBe(true);
    });

    it.each([9, 10, 15])(
      'with context takeover (window 2^%i) a real zlib stream reads every message, later ones referring back',
      async (bits) => {
        const writer = codec(`permessage-deflate; server_max_window_bits=${bits}`, { serverNoContextTakeover: false });
        const client = createInflateRaw({ windowBits: bits });
        // Short enough to be referred back to within 2^9 bytes (zlib reaches 2^bits - 262 back).
        const block = randomBytes(60).toString('base64');
        const sizes: number[] = [];
        for (let index = 0; index < 8; index++) {
          const message = `${index}:${block}${records(2, String(index))}`;
          const { compressed, payload } = read(writer.frame(index % 2 === 0 ? message : textFrame(message)));
          expect(compressed).toBe(true);
          sizes.push(payload.length);
          expect((await through(client, Buffer.concat([payload, TAIL]))).toString()).toBe(message);
        }
        expect(Math.max(...sizes.slice(1))).toBeLessThan(sizes[0] / 2);
        expect(writer.bytesHeld).toBeLessThanOrEqual(2 ** bits);
        client.close();
      },
    );

    it('without context takeover every message stands alone', () => {
      const writer = codec();
      const message = records(50, 's');
      const first = read(writer.frame(message));
      const second = read(writer.frame(message));
      expect(second.payload).toEqual(first.payload);
      expect(writer.bytesHeld).toBe(0);
    });
  });
});
