import { constants as zlib, deflateRawSync, inflateRawSync } from 'node:zlib';
import { CloseCode } from '../core/close-codes.js';
import type { ExtensionOffer } from './extension-header.js';
import { encodeFrame, Opcode, textFramePayload, type TextFrame } from './frames.js';

/*
 * permessage-deflate (RFC 7692), synchronously, with one-shot zlib calls.
 *
 * Why sync: the messages are small (at most maxPayload, and only those above the threshold are
 * compressed), a one-shot call costs tens of microseconds, and order matters. Done synchronously,
 * a compressed frame is in the connection's write queue before `send` returns, so order needs
 * no queue of its own and backpressure counts it at once; an inflate bomb stops inside the call,
 * at `maxOutputLength`; and one zlib context exists at a time in the whole process, freed when
 * the call returns, so a connection holds no zlib state between messages. Async zlib would keep
 * a context per connection (about 300 KiB with the default windows) and need a queue per
 * connection to keep messages in order behind a compression still running on the thread pool.
 *
 * Node has no synchronous call on a zlib stream that lives on, so context takeover (the LZ77
 * window carried from one message to the next) is kept by hand: the last 2^windowBits bytes of
 * the messages (uncompressed) are kept, and each one-shot call is primed with them as its
 * dictionary, which is all a back-reference into earlier messages needs (RFC 1951 distances
 * point into the bytes, not into the compressor's state). Those windows are what a connection
 * holds for compression, and they are counted in `bytesHeld`.
 */

/** What the server is willing to do, options resolved (see `WampCompressionOptions` for each field). */
export interface PerMessageDeflateOptions {
  readonly threshold: number;
  readonly level: number;
  readonly memLevel: number;
  readonly serverMaxWindowBits: number;
  readonly clientMaxWindowBits: number;
  readonly serverNoContextTakeover: boolean;
  readonly clientNoContextTakeover: boolean;
}

/** What one connection agreed to. */
export interface DeflateAgreement {
  /** The server compresses each message on its own (no window kept). */
  readonly serverNoContextTakeover: boolean;
  /** The client compresses each message on its own. */
  readonly clientNoContextTakeover: boolean;
  /** The window the server compresses with. */
  readonly serverWindowBits: number;
  /** The largest window the client may compress with. */
  readonly clientWindowBits: number;
}

/** Why a compressed message could not be read: 1009 (it inflates beyond the limit) or 1007 (corrupt data). */
export interface InflateFailure {
  readonly code: number;
  readonly reason: string;
}

/** What a frame reader needs to read compressed messages. */
export interface MessageInflater {
  /** The message `compressed` inflates to, stopping once it exceeds `maxBytes`. */
  inflate(compressed: Buffer, maxBytes: number): Buffer | InflateFailure;
}

export const EXTENSION_NAME = 'permessage-deflate';
const MAX_WINDOW_BITS = 15;
/** zlib cannot deflate with a window of 2^8 (it silently uses 2^9), so a client asking for 8 bits of the server is declined. */
export const MIN_DEFLATE_WINDOW_BITS = 9;
export const MIN_INFLATE_WINDOW_BITS = 8;
/** RFC 7692 7.1.2: a decimal integer from 8 to 15, no leading zero. */
const WINDOW_BITS_VALUE = /^(?:[89]|1[0-5])$/;
/** Large outputs are produced in chunks of this size; a bomb is cut at most this far past the limit. */
const INFLATE_CHUNK = 16 * 1024;

/**
 * Negotiates permessage-deflate for one server and hands each connection that agrees its codec.
 * Connections that compress each message on their own with the same window share a compressor,
 * so an event fanned out to many of them is compressed once.
 */
export class PerMessageDeflateNegotiator {
  private readonly compressors = new Map<number, SharedCompressor>();

  constructor(private readonly options: PerMessageDeflateOptions) {}

  /**
   * The first offer the server can accept (the client's order is its preference): the
   * `Sec-WebSocket-Extensions` value to answer with and the connection's codec; undefined when
   * no offer is acceptable (the connection goes on without compression).
   */
  negotiate(offers: readonly ExtensionOffer[]): { readonly response: string; readonly codec: PerMessageDeflate } | undefined {
    for (const offer of offers) {
      if (offer.name !== EXTENSION_NAME) continue;
      const accepted = acceptOffer(offer, this.options);
      if (!accepted) continue;
      return {
        response: accepted.response,
        codec: new PerMessageDeflate(accepted.agreement, this.compressor(accepted.agreement.serverWindowBits)),
      };
    }
    return undefined;
  }

  private compressor(windowBits: number): SharedCompressor {
    let compressor = this.compressors.get(windowBits);
    if (!compressor) {
      compressor = new SharedCompressor(this.options, windowBits);
      this.compressors.set(windowBits, compressor);
    }
    return compressor;
  }
}

/**
 * Accepts one permessage-deflate offer under `options`, or declines it (undefined): an unknown or
 * repeated parameter, a value where none belongs or none where one must be, window bits out of
 * 8..15, or `server_max_window_bits=8` (zlib cannot compress within 2^8 bytes) decline it.
 */
export function acceptOffer(
  offer: ExtensionOffer,
  options: PerMessageDeflateOptions,
): { readonly response: string; readonly agreement: DeflateAgreement } | undefined {
  const seen = new Set<string>();
  let serverNoContextTakeover = options.serverNoContextTakeover;
  let clientNoContextTakeover = options.clientNoContextTakeover;
  let offeredServerBits: number | undefined;
  let offeredClientBits: number | undefined;
  for (const [name, value] of offer.params) {
    if (seen.has(name)) return undefined;
    seen.add(name);
    switch (name) {
      case 'server_no_context_takeover':
        if (value !== true) return undefined;
        serverNoContextTakeover = true;
        break;
      case 'client_no_context_takeover':
        if (value !== true) return undefined;
        clientNoContextTakeover = true;
        break;
      case 'server_max_window_bits':
        if (value === true || !WINDOW_BITS_VALUE.test(value)) return undefined;
        offeredServerBits = Number(value);
        break;
      case 'client_max_window_bits':
        if (value !== true && !WINDOW_BITS_VALUE.test(value)) return undefined;
        offeredClientBits = value === true ? MAX_WINDOW_BITS : Number(value);
        break;
      default:
        return undefined;
    }
  }
  if (offeredServerBits !== undefined && offeredServerBits < MIN_DEFLATE_WINDOW_BITS) return undefined;
  const serverWindowBits = Math.min(offeredServerBits ?? MAX_WINDOW_BITS, options.serverMaxWindowBits);
  // The client's window can only be limited when it says it can be (it sent client_max_window_bits).
  const clientWindowBits = offeredClientBits === undefined ? MAX_WINDOW_BITS : Math.min(offeredClientBits, options.clientMaxWindowBits);
  let response = EXTENSION_NAME;
  if (serverNoContextTakeover) response += '; server_no_context_takeover';
  if (clientNoContextTakeover) response += '; client_no_context_takeover';
  // Only answered when asked: some clients fail on a server_max_window_bits they did not offer. A
  // smaller window than the client's needs no word: the client's inflater reads it all the same.
  if (offeredServerBits !== undefined) response += `; server_max_window_bits=${serverWindowBits}`;
  if (clientWindowBits < MAX_WINDOW_BITS) response += `; client_max_window_bits=${clientWindowBits}`;
  return { response, agreement: { serverNoContextTakeover, clientNoContextTakeover, serverWindowBits, clientWindowBits } };
}

/**
 * The compressing side shared by the connections that agreed on the same server window: the zlib
 * settings, and the last frame compressed without context (a fan-out sends the same `TextFrame`
 * to every subscriber in a row, so one entry catches it; it holds two frames at most).
 */
class SharedCompressor {
  private lastFrame: TextFrame | undefined = undefined;
  private lastCompressed: Buffer | undefined = undefined;

  constructor(
    readonly options: PerMessageDeflateOptions,
    readonly windowBits: number,
  ) {}

  /** The payload deflated (the trailing 00 00 ff ff of the sync flush cut, RFC 7692 7.2.1), primed with `dictionary`. */
  deflate(payload: Buffer, dictionary: Buffer | undefined): Buffer {
    const deflated = deflateRawSync(payload, {
      level: this.options.level,
      memLevel: this.options.memLevel,
      windowBits: this.windowBits,
      finishFlush: zlib.Z_SYNC_FLUSH,
      // The output of a small message fits one chunk: no 16 KiB buffer for a 1 KiB message.
      chunkSize: Math.min(Math.max(payload.length + 64, 64), INFLATE_CHUNK),
      dictionary,
    });
    return deflated.subarray(0, deflated.length - 4);
  }

  /** `frame` compressed without context, once for all the connections it goes to; undefined when compressing does not pay. */
  compressedWithoutContext(frame: TextFrame, payload: Buffer): Buffer | undefined {
    if (frame !== this.lastFrame) {
      const deflated = this.deflate(payload, undefined);
      this.lastFrame = frame;
      this.lastCompressed = deflated.length < payload.length ? compressedFrame(deflated) : undefined;
    }
    return this.lastCompressed;
  }
}

/**
 * One connection's permessage-deflate: inflates what the client compressed (RSV1), deflates the
 * text messages at or above the threshold, and keeps the windows context takeover needs.
 */
export class PerMessageDeflate implements MessageInflater {
  /** The client's last messages (inflated), while it takes its context over. */
  private readonly received: SlidingWindow | undefined;
  /** The server's last compressed messages (uncompressed), while it takes its context over. */
  private readonly sent: SlidingWindow | undefined;

  constructor(
    readonly agreement: DeflateAgreement,
    private readonly compressor: SharedCompressor,
  ) {
    if (!agreement.clientNoContextTakeover) this.received = new SlidingWindow(1 << agreement.clientWindowBits);
    if (!agreement.serverNoContextTakeover) this.sent = new SlidingWindow(1 << agreement.serverWindowBits);
  }

  /** The windows kept between messages (at most 2^clientWindowBits + 2^serverWindowBits, none without context takeover). */
  get bytesHeld(): number {
    return (this.received?.capacity ?? 0) + (this.sent?.capacity ?? 0);
  }

  inflate(compressed: Buffer, maxBytes: number): Buffer | InflateFailure {
    let inflated: Buffer;
    try {
      // RFC 7692 7.2.2 appends 00 00 ff ff before inflating: those bytes only complete an empty
      // stored block, and with a sync flush zlib returns everything before it, so no copy is made
      // to append them. maxOutputLength stops zlib once the output passes the limit (one chunk at most).
      inflated = inflateRawSync(compressed, {
        finishFlush: zlib.Z_SYNC_FLUSH,
        maxOutputLength: maxBytes,
        windowBits: MAX_WINDOW_BITS,
        chunkSize: INFLATE_CHUNK,
        dictionary: this.received?.view(),
      });
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
        return { code: CloseCode.messageTooBig, reason: `messages are limited to ${maxBytes} bytes (inflated)` };
      }
      return { code: CloseCode.invalidPayload, reason: `invalid compressed data: ${(error as Error).message}` };
    }
    this.received?.remember(inflated);
    return inflated;
  }

  /**
   * The frame to send for a text message: compressed (RSV1) when it reaches the threshold and
   * compressing makes it smaller, else as usual.
   */
  frame(message: string | TextFrame): Buffer {
    const { threshold } = this.compressor.options;
    if (typeof message === 'string') {
      // Below the threshold in characters, it is below it in bytes too: no need to count them.
      if (message.length < threshold && Buffer.byteLength(message) < threshold) return encodeFrame(Opcode.text, message);
      return this.compress(Buffer.from(message)) ?? encodeFrame(Opcode.text, message);
    }
    const payload = textFramePayload(message);
    if (payload.length < threshold) return message;
    const compressed = this.sent ? this.compress(payload) : this.compressor.compressedWithoutContext(message, payload);
    return compressed ?? message;
  }

  /** The compressed frame, or undefined when deflating does not make the payload smaller (it is then sent as it is). */
  private compress(payload: Buffer): Buffer | undefined {
    const sent = this.sent;
    const deflated = this.compressor.deflate(payload, sent?.view());
    if (deflated.length >= payload.length) return undefined;
    // The client's inflater sees only what was compressed: only that enters the window.
    sent?.remember(payload);
    return compressedFrame(deflated);
  }
}

/** A final text frame with RSV1 set: the first (and only) frame of a compressed message. */
function compressedFrame(deflated: Buffer): Buffer {
  const frame = encodeFrame(Opcode.text, deflated);
  frame[0] |= 0x40;
  return frame;
}

/** The last `size` bytes of a stream of messages, in a buffer grown by doubling up to `size`. */
class SlidingWindow {
  private buffer: Buffer | undefined = undefined;
  private length = 0;

  constructor(private readonly size: number) {}

  get capacity(): number {
    return this.buffer?.length ?? 0;
  }

  /** The bytes kept, or undefined when none are (zlib refuses an empty dictionary). */
  view(): Buffer | undefined {
    return this.length === 0 ? undefined : this.buffer!.subarray(0, this.length);
  }

  remember(data: Buffer): void {
    const size = this.size;
    if (data.length === 0) return;
    if (data.length >= size) {
      this.ensure(size, 0);
      data.copy(this.buffer!, 0, data.length - size);
      this.length = size;
      return;
    }
    const keep = Math.min(this.length, size - data.length);
    this.ensure(keep + data.length, keep);
    this.buffer!.copyWithin(0, this.length - keep, this.length);
    data.copy(this.buffer!, keep);
    this.length = keep + data.length;
  }

  /** Room for `needed` bytes; the kept ones move to the start (`keep` of them from the end are still needed). */
  private ensure(needed: number, keep: number): void {
    if (this.buffer && this.buffer.length >= needed) return;
    const grown = Buffer.allocUnsafe(Math.min(this.size, Math.max(needed, this.capacity * 2, 256)));
    if (this.buffer && keep > 0) this.buffer.copy(grown, 0, this.length - keep, this.length);
    this.buffer = grown;
    this.length = keep;
  }
}
