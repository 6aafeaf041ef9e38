import type { Socket } from 'node:net';
import { WampBroker, WampModule } from '../../src/index.js';
import { Echo } from '../fixtures/echo.js';
import { startApp, type TestServer } from './start-app.js';

export interface ConnectionLimitsUnderTest {
  readonly maxPayload: number;
  readonly fragmentsPerMessage: number;
  readonly highWaterMark: number;
  readonly stallTimeoutMs: number;
}

/** An app serving `urn:echo` with small limits per connection and no heartbeat (the tests decide when peers go). */
export function startBoundedApp(limits: ConnectionLimitsUnderTest): Promise<TestServer> {
  return startApp({
    imports: [
      WampModule.forRoot({
        maxPayload: limits.maxPayload,
        limits: { fragmentsPerMessage: limits.fragmentsPerMessage },
        slowConsumer: { highWaterMark: limits.highWaterMark, timeoutMs: limits.stallTimeoutMs },
        heartbeatIntervalMs: 0,
      }),
    ],
    providers: [Echo],
  });
}

/**
 * What one connection may make the server hold, by the README's formula ("What one connection
 * can cost"): reading, a message being joined and a frame being read (2 × maxPayload + 14), the
 * rest of one socket read waiting while reading is paused (64 KiB) and what the socket read
 * meanwhile (its 16 KiB mark plus one read); writing, the mark, one batch (16 KiB) and two
 * answers (the one that crossed the mark and the one to the frame being read).
 */
export function connectionBound(limits: { maxPayload: number; highWaterMark: number; largestAnswer: number }): number {
  const reading = 2 * limits.maxPayload + 14 + 64 * 1024 + (16 + 64) * 1024;
  const writing = limits.highWaterMark + 16 * 1024 + 2 * limits.largestAnswer;
  return reading + writing;
}

/** Bytes the server holds for all its connections now. */
export function bytesHeld(server: TestServer): number {
  return server.app.get(WampBroker).stats().bytesHeld;
}

/** The largest `bytesHeld` seen over the samples a test takes (all connections', or what `measure` reads, e.g. one session's). */
export class HeldBytesProbe {
  max = 0;

  private readonly measure: () => number;

  constructor(server: TestServer, measure: () => number = () => bytesHeld(server)) {
    this.measure = measure;
  }

  sample(): number {
    const held = this.measure();
    if (held > this.max) this.max = held;
    return held;
  }
}

/** A turn of the event loop, so that the server reads what was just written on loopback. */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Writes `next()` over and over until the socket stops taking bytes (the peer stopped reading:
 * no 'drain' within `drainMs`), `next` returns undefined, or `maxBytes` were written. Calls
 * `afterEach` after every write. Returns whether the writes backed up.
 */
export async function writeUntilBackedUp(
  socket: Socket,
  next: () => Buffer | undefined,
  { maxBytes, drainMs = 400, afterEach = () => undefined }: { maxBytes: number; drainMs?: number; afterEach?: () => void },
): Promise<boolean> {
  let written = 0;
  while (written < maxBytes && !socket.destroyed) {
    const bytes = next();
    if (!bytes) return false;
    written += bytes.length;
    const flowing = socket.write(bytes);
    await turn();
    afterEach();
    if (flowing) continue;
    const drained = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(false), drainMs);
      const done = (value: boolean): void => {
        clearTimeout(timer);
        socket.off('drain', onDrain);
        socket.off('close', onClose);
        resolve(value);
      };
      const onDrain = (): void => done(true);
      const onClose = (): void => done(false);
      socket.on('drain', onDrain);
      socket.on('close', onClose);
    });
    afterEach();
    if (!drained) return !socket.destroyed;
  }
  return false;
}
