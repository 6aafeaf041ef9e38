import fc from 'fast-check';
import { WampBroker } from '../../src/index.js';
import { Opcode } from '../../src/websocket/frames.js';
import { bytesHeld, connectionBound, HeldBytesProbe, startBoundedApp, turn } from '../support/held-bytes.js';
import { BareWebSocketPeer } from '../support/raw-wamp-socket.js';
import type { TestServer } from '../support/start-app.js';
import { clientFrame } from '../support/websocket-frames.js';
import { until, within } from '../support/until.js';

/**
 * The invariant of README "What one connection can cost", as a property: for random sequences of
 * messages, fragmentations (empty fragments included, too many of them too), TCP chunkings and a
 * peer that reads or does not, the bytes the server holds never exceed the bound computed from
 * its options, and another session is answered afterwards.
 */

const MAX_PAYLOAD = 4096;
const FRAGMENTS = 16;
const HIGH_WATER_MARK = 16 * 1024;
const BOUND = connectionBound({ maxPayload: MAX_PAYLOAD, highWaterMark: HIGH_WATER_MARK, largestAnswer: MAX_PAYLOAD + 64 });
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);
/** What one run sends at most: enough to fill loopback's socket buffers, so that a peer that does not read backs the server up. */
const MAX_BYTES = 12 * 1024 * 1024;
/** Writes cut by the random chunk sizes; the rest of the stream goes in 64 KiB writes. */
const RANDOM_WRITES = 500;
/** A peer that reads gets its answers as it goes: a few repetitions show as much as many. */
const MAX_REPEAT_READING = 20;

type Message =
  { kind: 'echo'; size: number; cuts: number[] } | { kind: 'ping'; size: number } | { kind: 'garbage'; size: number; cuts: number[] };

const echo = (maxSize: number, maxCuts: number): fc.Arbitrary<Message> =>
  fc.record({
    kind: fc.constant('echo' as const),
    size: fc.integer({ min: 0, max: maxSize }),
    cuts: fc.array(fc.nat(), { maxLength: maxCuts }),
  });

/** Mostly what the limits admit (so that runs go on long enough to back up), sometimes what they refuse. */
const message: fc.Arbitrary<Message> = fc.oneof(
  { weight: 8, arbitrary: echo(MAX_PAYLOAD - 64, FRAGMENTS - 1) },
  { weight: 1, arbitrary: echo(MAX_PAYLOAD + 256, FRAGMENTS + 4) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('ping' as const), size: fc.integer({ min: 0, max: 125 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('garbage' as const),
      size: fc.integer({ min: 1, max: 600 }),
      cuts: fc.array(fc.nat(), { maxLength: 4 }),
    }),
  },
);

/** The frames of one message: its payload cut at `cuts` (repeated cuts give empty fragments). */
function framesOf(item: Message, index: number): Buffer {
  if (item.kind === 'ping') return clientFrame(Opcode.ping, 'p'.repeat(item.size));
  const text =
    item.kind === 'echo' ? JSON.stringify([2, `c${index}`, 'urn:echo', 'e'.repeat(Math.max(0, item.size - 30))]) : 'g'.repeat(item.size);
  const points = item.cuts.map((cut) => cut % (text.length + 1)).sort((a, b) => a - b);
  const pieces: string[] = [];
  let from = 0;
  for (const point of points) {
    pieces.push(text.slice(from, point));
    from = point;
  }
  pieces.push(text.slice(from));
  return Buffer.concat(
    pieces.map((piece, at) => clientFrame(at === 0 ? Opcode.text : Opcode.continuation, piece, { final: at === pieces.length - 1 })),
  );
}

describe('what one connection can cost, whatever the peer sends or fails to read (property)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startBoundedApp({
      maxPayload: MAX_PAYLOAD,
      fragmentsPerMessage: FRAGMENTS,
      highWaterMark: HIGH_WATER_MARK,
      stallTimeoutMs: 60_000,
    });
  });
  afterAll(() => server?.close());

  it(
    'never holds more than the documented bound, and others are answered',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(message, { minLength: 1, maxLength: 10 }),
          fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 8 }),
          fc.boolean(),
          fc.oneof(fc.integer({ min: 1, max: 20 }), fc.constant(Number.MAX_SAFE_INTEGER)),
          async (messages, chunkSizes, reads, repeat) => {
            const probe = new HeldBytesProbe(server);
            const peer = await BareWebSocketPeer.connect(server.port);
            try {
              if (!reads) peer.socket.pause();
              const once = Buffer.concat(messages.map(framesOf));
              const times = Math.min(reads ? MAX_REPEAT_READING : repeat, Math.ceil(MAX_BYTES / Math.max(once.length, 1)));
              const stream = Buffer.concat(Array.from({ length: times }, () => once));
              let offset = 0;
              for (let chunk = 0; offset < stream.length && !peer.socket.destroyed; chunk++) {
                // The random chunking for the first writes, then large writes, so that a run stays short.
                const size = chunk < RANDOM_WRITES ? chunkSizes[chunk % chunkSizes.length] : 64 * 1024;
                const flowing = peer.socket.write(stream.subarray(offset, offset + size));
                offset += size;
                await turn();
                probe.sample();
                // Once the server stops reading, the peer's writes back up: sending more only fills the peer's own buffer.
                if (!flowing && !(await drained(peer))) break;
              }
              await turn();
              probe.sample();
              expect(probe.max).toBeLessThanOrEqual(BOUND);
              const other = await server.connect();
              await expect(within(other.call('urn:echo', 'ok'), 'an echo for another session')).resolves.toBe('ok');
              await other.close();
            } finally {
              peer.destroy();
              await until(() => server.app.get(WampBroker).stats().sessions === 0, 'the sessions gone');
            }
            expect(bytesHeld(server)).toBe(0);
          },
        ),
        // Shrinking megabytes of traffic takes longer than the test may: the first counterexample is reported as it is.
        { numRuns: RUNS, endOnFailure: true },
      );
    },
    Math.max(120_000, RUNS * 1000),
  );
});

function drained(peer: BareWebSocketPeer): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(false), 200);
    const done = (value: boolean): void => {
      clearTimeout(timer);
      peer.socket.off('drain', onDrain);
      resolve(value);
    };
    const onDrain = (): void => done(true);
    peer.socket.on('drain', onDrain);
  });
}
