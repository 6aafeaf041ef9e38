import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { connect as netConnect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { constants as zlib, deflateRawSync, inflateRawSync } from 'node:zlib';
import { type ClientOptions, WebSocket } from 'ws';
import { WampModule, type WampModuleOptions } from '../../src/index.js';
import { WampTestClient, type WebSocketLike } from '../../src/testing/index.js';
import { Opcode } from '../../src/websocket/frames.js';
import { Echo } from '../fixtures/echo.js';
import { bytesHeld, connectionBound, HeldBytesProbe, turn, writeUntilBackedUp } from '../support/held-bytes.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { until, WAIT_MS, within } from '../support/until.js';
import { clientFrame, readFrame, type WireFrame } from '../support/websocket-frames.js';

/**
 * permessage-deflate (RFC 7692) against a real Nest app over real sockets: `ws` as the compressing
 * client (its frames seen on the wire through a TCP proxy that logs every frame both ways), and a
 * hand-written client for what `ws` will not send (inflate bombs, corrupt data, RSV1 where it does
 * not belong). Memory is measured in bytes (`stats().bytesHeld`, process memory), never in time.
 */

const TOPIC = 'http://x/t/';
const RSV1 = 4; // clientFrame's rsv is the three bits RSV1 RSV2 RSV3, RSV1 first
const MAX_PAYLOAD = 128 * 1024;
/** The zlib windows a connection may keep (context takeover both ways, 15 bits each). */
const WINDOWS = 2 ** 15 + 2 ** 15;

// --- frames on the wire

/** Frames of one direction of a WebSocket connection, read from the bytes after the HTTP head. */
class WireLog {
  readonly frames: WireFrame[] = [];
  head = '';
  private buffered = Buffer.alloc(0);
  private inHead = true;

  feed(chunk: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    if (this.inHead) {
      const end = this.buffered.indexOf('\r\n\r\n');
      if (end === -1) return;
      this.head = this.buffered.subarray(0, end).toString('latin1');
      this.buffered = this.buffered.subarray(end + 4);
      this.inHead = false;
    }
    for (let frame = readFrame(this.buffered); frame; frame = readFrame(this.buffered)) {
      this.frames.push(frame);
      this.buffered = this.buffered.subarray(frame.frameBytes);
    }
  }

  /** A header of the HTTP head (the request or the 101 answer), undefined when absent. */
  header(name: string): string | undefined {
    const line = this.head.split('\r\n').find((entry) => entry.toLowerCase().startsWith(`${name.toLowerCase()}:`));
    return line?.slice(line.indexOf(':') + 1).trim();
  }

  dataFrames(): WireFrame[] {
    return this.frames.filter((frame) => frame.opcode === Opcode.text || frame.opcode === Opcode.binary);
  }
}

/** A TCP proxy in front of the app that logs every frame of every connection, both ways. */
class WireTap {
  readonly connections: Array<{ readonly toServer: WireLog; readonly toClient: WireLog }> = [];
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  static async start(targetPort: number): Promise<WireTap> {
    const server = createServer();
    const tap = new WireTap(server);
    server.on('connection', (client) => {
      const upstream = netConnect({ port: targetPort, host: '127.0.0.1', noDelay: true });
      const logs = { toServer: new WireLog(), toClient: new WireLog() };
      tap.connections.push(logs);
      for (const socket of [client, upstream]) {
        tap.sockets.add(socket);
        socket.on('error', () => undefined);
        socket.once('close', () => {
          tap.sockets.delete(socket);
          client.destroy();
          upstream.destroy();
        });
      }
      client.on('data', (chunk: Buffer) => {
        logs.toServer.feed(chunk);
        upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => {
        logs.toClient.feed(chunk);
        client.write(chunk);
      });
      client.on('end', () => upstream.end());
      upstream.on('end', () => client.end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return tap;
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}/ws`;
  }

  get last(): { readonly toServer: WireLog; readonly toClient: WireLog } {
    return this.connections[this.connections.length - 1];
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

// --- clients

type DeflateOptions = Exclude<ClientOptions['perMessageDeflate'], boolean | undefined>;

/** A WampTestClient on a real `ws` socket that compresses (threshold 0: every message it sends). */
async function wsClient(url: string, perMessageDeflate: DeflateOptions | boolean = {}): Promise<{ client: WampTestClient; ws: WebSocket }> {
  const deflate =
    perMessageDeflate === true ? { threshold: 0 } : perMessageDeflate === false ? false : { threshold: 0, ...perMessageDeflate };
  const ws = new WebSocket(url, ['wamp'], { perMessageDeflate: deflate });
  ws.on('error', () => undefined);
  const client = await within(WampTestClient.open(ws as unknown as WebSocketLike), 'WELCOME');
  return { client, ws };
}

/** The payload of a compressed frame, as RFC 7692 says a receiver reads it (no context kept). */
const inflate = (payload: Buffer): Buffer =>
  inflateRawSync(Buffer.concat([payload, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: zlib.Z_SYNC_FLUSH });
/** A message compressed without context, the sync flush's 00 00 ff ff cut. */
const deflate = (message: string | Buffer): Buffer => {
  const deflated = deflateRawSync(message, { finishFlush: zlib.Z_SYNC_FLUSH });
  return deflated.subarray(0, deflated.length - 4);
};

/**
 * A WebSocket client written by hand on a bare TCP socket: it offers whatever extensions it is
 * told, sends any frame (RSV bits included), and reads the server's frames (inflating compressed
 * ones itself). It answers nothing, as a hostile peer would.
 */
class DeflatePeer {
  readonly wire = new WireLog();
  readonly ended: Promise<void>;
  private readonly listeners = new Set<() => void>();

  private constructor(readonly socket: Socket) {
    this.ended = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => {
      this.wire.feed(chunk);
      for (const listener of this.listeners) listener();
    });
  }

  static async connect(port: number, extensions?: string): Promise<DeflatePeer> {
    const socket = netConnect({ port, host: '127.0.0.1', noDelay: true });
    socket.on('error', () => undefined);
    const peer = new DeflatePeer(socket);
    socket.once('connect', () =>
      socket.write(
        [
          'GET /ws HTTP/1.1',
          `Host: 127.0.0.1:${port}`,
          'Upgrade: websocket',
          'Connection: Upgrade',
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
          'Sec-WebSocket-Version: 13',
          'Sec-WebSocket-Protocol: wamp',
          ...(extensions === undefined ? [] : [`Sec-WebSocket-Extensions: ${extensions}`]),
          '',
          '',
        ].join('\r\n'),
      ),
    );
    await peer.waitFor(() => peer.wire.dataFrames().length > 0, 'the 101 answer and WELCOME');
    expect(peer.wire.head.startsWith('HTTP/1.1 101')).toBe(true);
    return peer;
  }

  /** The answer's Sec-WebSocket-Extensions, undefined when none was agreed. */
  get extensions(): string | undefined {
    return this.wire.header('sec-websocket-extensions');
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** A compressed text message in one frame (RSV1). */
  sendCompressed(message: string): void {
    this.write(clientFrame(Opcode.text, deflate(message), { rsv: RSV1 }));
  }

  /** The text messages received after WELCOME, compressed ones inflated. */
  messages(): unknown[] {
    return this.wire
      .dataFrames()
      .slice(1)
      .map((frame) => JSON.parse(((frame.rsv & 4) !== 0 ? inflate(frame.payload) : frame.payload).toString('utf8')));
  }

  async closeFrameCode(ms = WAIT_MS): Promise<number> {
    await this.waitFor(() => this.closeFrame() !== undefined, 'a close frame', ms);
    const payload = this.closeFrame()!.payload;
    return payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
  }

  async waitFor(condition: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
    if (condition()) return;
    let listener: (() => void) | undefined;
    const met = new Promise<void>((resolve) => {
      listener = () => {
        if (condition()) resolve();
      };
      this.listeners.add(listener);
    });
    await within(met, what, ms).finally(() => this.listeners.delete(listener!));
  }

  destroy(): void {
    this.socket.destroy();
  }

  private closeFrame(): WireFrame | undefined {
    return this.wire.frames.find((frame) => frame.opcode === Opcode.close);
  }
}

// --- apps

async function compressingApp(options: WampModuleOptions): Promise<TestServer> {
  return startApp({
    imports: [WampModule.forRoot({ heartbeatIntervalMs: 0, topics: { [`${TOPIC}*`]: true }, ...options })],
    providers: [Echo],
  });
}

/** Text that compresses well but not to nothing: JSON-ish records. */
const records = (count: number, seed = 'r'): string =>
  Array.from({ length: count }, (_, index) => `{"id":"${seed}${index}","name":"user ${index % 17}","active":${index % 2 === 0}}`).join(',');

describe('permessage-deflate', () => {
  describe('off by default', () => {
    let server: TestServer;
    const peers: DeflatePeer[] = [];
    beforeAll(async () => (server = await compressingApp({})));
    afterEach(() => peers.splice(0).forEach((peer) => peer.destroy()));
    afterAll(() => server?.close());

    it('answers no extension to a client offering permessage-deflate, and its messages go uncompressed', async () => {
      const tap = await WireTap.start(server.port);
      try {
        const { client, ws } = await wsClient(tap.url, true);
        expect(ws.extensions).toBe('');
        expect(tap.last.toServer.header('sec-websocket-extensions')).toContain('permessage-deflate');
        expect(tap.last.toClient.header('sec-websocket-extensions')).toBeUndefined();
        const big = records(100);
        await expect(client.call('urn:echo', big)).resolves.toBe(big);
        expect(tap.last.toClient.dataFrames().every((frame) => frame.rsv === 0)).toBe(true);
        expect(tap.last.toServer.dataFrames().every((frame) => frame.rsv === 0)).toBe(true);
        await client.close();
      } finally {
        await tap.close();
      }
    });

    it('a frame with RSV1 is still a protocol error (1002), counted', async () => {
      const peer = await DeflatePeer.connect(server.port, 'permessage-deflate');
      peers.push(peer);
      expect(peer.extensions).toBeUndefined();
      const before = server.broker.stats().refused.malformed;
      peer.sendCompressed(JSON.stringify([2, 'c1', 'urn:echo', 'x']));
      expect(await peer.closeFrameCode()).toBe(1002);
      expect(server.broker.stats().refused.malformed).toBe(before + 1);
    });
  });

  describe('on (server compresses each message on its own, the default)', () => {
    let server: TestServer;
    let tap: WireTap;
    const peers: DeflatePeer[] = [];
    const clients: WampTestClient[] = [];
    beforeAll(async () => {
      server = await compressingApp({ maxPayload: MAX_PAYLOAD, compression: { threshold: 256 } });
      tap = await WireTap.start(server.port);
    });
    afterEach(async () => {
      peers.splice(0).forEach((peer) => peer.destroy());
      await Promise.all(clients.splice(0).map((client) => client.close().catch(() => undefined)));
      await until(() => server.broker.stats().sessions === 0, 'every session gone');
    });
    afterAll(async () => {
      await tap?.close();
      await server?.close();
    });

    async function client(options: DeflateOptions | boolean = {}): Promise<{ client: WampTestClient; ws: WebSocket }> {
      const opened = await wsClient(tap.url, options);
      clients.push(opened.client);
      return opened;
    }

    async function peer(extensions?: string): Promise<DeflatePeer> {
      const opened = await DeflatePeer.connect(server.port, extensions);
      peers.push(opened);
      return opened;
    }

    /** Another session is answered while (or after) one misbehaves. */
    async function othersAreAnswered(): Promise<void> {
      const other = await server.connect();
      await expect(within(other.call('urn:echo', 'still here'), 'an echo from another session')).resolves.toBe('still here');
      await other.close();
    }

    it('CALL and CALLRESULT go compressed both ways (RSV1 on the wire), answers under the threshold uncompressed', async () => {
      const { client: wamp, ws } = await client();
      expect(ws.extensions).toBe('permessage-deflate');
      expect(tap.last.toClient.header('sec-websocket-extensions')).toBe('permessage-deflate; server_no_context_takeover');
      const big = records(200);
      await expect(wamp.call('urn:echo', big)).resolves.toBe(big);
      await expect(wamp.call('urn:echo', 'small')).resolves.toBe('small');
      const toServer = tap.last.toServer.dataFrames();
      const toClient = tap.last.toClient.dataFrames();
      // ws compresses everything it sends (threshold 0); both calls arrived with RSV1.
      expect(toServer.map((frame) => frame.rsv)).toEqual([RSV1, RSV1]);
      // WELCOME and the small answer are under the threshold (256 bytes); the big answer is compressed.
      expect(toClient.map((frame) => frame.rsv)).toEqual([0, RSV1, 0]);
      expect(toClient[1].payload.length).toBeLessThan(big.length / 3);
      expect(JSON.parse(inflate(toClient[1].payload).toString())).toEqual([3, expect.any(String), big]);
    });

    it('EVENTs go out compressed, once for all subscribers without context, and PUBLISH comes in compressed', async () => {
      const subscribers = await Promise.all([client(), client(), client()]);
      for (const { client: wamp } of subscribers) wamp.subscribe(`${TOPIC}news`, () => undefined);
      await Promise.all(subscribers.map(({ client: wamp }) => wamp.call('urn:echo', 'subscribed')));
      const event = { items: records(150) };
      subscribers[0].client.publish(`${TOPIC}news`, event);
      for (const { client: wamp } of subscribers) await expect(wamp.nextEvent(`${TOPIC}news`)).resolves.toEqual(event);
      const logs = tap.connections.slice(-3);
      const events = logs.map((log) =>
        log.toClient.dataFrames().find((frame) => (frame.rsv & 4) !== 0 && inflate(frame.payload).toString().startsWith('[8,')),
      );
      expect(events.every((frame) => frame !== undefined)).toBe(true);
      // The same compressed bytes went to every subscriber.
      expect(events.map((frame) => frame!.payload.toString('hex'))).toEqual(Array(3).fill(events[0]!.payload.toString('hex')));
      // SUBSCRIBE, CALL and PUBLISH came in compressed (ws takes its context over: only the server can inflate them).
      expect(logs.every((log) => log.toServer.dataFrames().every((frame) => (frame.rsv & 4) !== 0))).toBe(true);
    });

    it('keeps the order of messages, compressed and not', async () => {
      const { client: wamp } = await client();
      const values = Array.from({ length: 40 }, (_, index) => (index % 2 === 0 ? `small ${index}` : records(20 + index, `m${index}`)));
      const order: number[] = [];
      await Promise.all(
        values.map((value, index) => wamp.call('urn:echo', value).then((echoed) => (expect(echoed).toBe(value), order.push(index)))),
      );
      expect(order).toEqual(values.map((_, index) => index));
      const answers = tap.last.toClient.dataFrames().slice(1);
      expect(answers.map((frame) => (frame.rsv & 4) !== 0)).toEqual(values.map((_, index) => index % 2 === 1));
    });

    it('a hand-made compressed CALL is answered compressed, in a message of several fragments too', async () => {
      const raw = await peer('permessage-deflate');
      expect(raw.extensions).toBe('permessage-deflate; server_no_context_takeover');
      const big = records(100);
      raw.sendCompressed(JSON.stringify([2, 'c1', 'urn:echo', big]));
      const compressed = deflate(JSON.stringify([2, 'c2', 'urn:echo', big]));
      const cut = [0, 10, 11, Math.floor(compressed.length / 2), compressed.length];
      for (let index = 0; index < cut.length - 1; index++) {
        const part = compressed.subarray(cut[index], cut[index + 1]);
        const final = index === cut.length - 2;
        // RSV1 on the first frame only.
        raw.write(clientFrame(index === 0 ? Opcode.text : Opcode.continuation, part, { final, rsv: index === 0 ? RSV1 : 0 }));
      }
      await raw.waitFor(() => raw.messages().length === 2, 'both answers');
      expect(raw.messages()).toEqual([
        [3, 'c1', big],
        [3, 'c2', big],
      ]);
      expect(
        raw.wire
          .dataFrames()
          .slice(1)
          .every((frame) => (frame.rsv & 4) !== 0),
      ).toBe(true);
    });

    describe('negotiation', () => {
      it.each([
        [
          'client_no_context_takeover offered: answered, so the server keeps no window',
          'permessage-deflate; client_no_context_takeover',
          'permessage-deflate; server_no_context_takeover; client_no_context_takeover',
        ],
        [
          'client_max_window_bits without a value: the default window needs no answer',
          'permessage-deflate; client_max_window_bits',
          'permessage-deflate; server_no_context_takeover',
        ],
        [
          'server_max_window_bits with a value: answered',
          'permessage-deflate; server_max_window_bits=10',
          'permessage-deflate; server_no_context_takeover; server_max_window_bits=10',
        ],
        [
          'a quoted value',
          'permessage-deflate; server_max_window_bits="12"',
          'permessage-deflate; server_no_context_takeover; server_max_window_bits=12',
        ],
        [
          'server_max_window_bits=8 declined, the next offer taken',
          'permessage-deflate; server_max_window_bits=8, permessage-deflate',
          'permessage-deflate; server_no_context_takeover',
        ],
        [
          'an unknown parameter declined, the next offer taken',
          'permessage-deflate; foo, permessage-deflate; client_max_window_bits=9',
          'permessage-deflate; server_no_context_takeover; client_max_window_bits=9',
        ],
        ['another extension first', 'x-webkit-deflate-frame, permessage-deflate', 'permessage-deflate; server_no_context_takeover'],
      ])('%s', async (_name, offer, answer) => {
        const raw = await peer(offer);
        expect(raw.extensions).toBe(answer);
        raw.sendCompressed(JSON.stringify([2, 'c1', 'urn:echo', records(30)]));
        await raw.waitFor(() => raw.messages().length === 1, 'the answer');
        expect(raw.messages()).toEqual([[3, 'c1', records(30)]]);
      });

      it.each([
        ['a value where none belongs', 'permessage-deflate; server_no_context_takeover=1'],
        ['no value where one must be', 'permessage-deflate; server_max_window_bits'],
        ['window bits out of range', 'permessage-deflate; client_max_window_bits=16'],
        ['a repeated parameter', 'permessage-deflate; client_no_context_takeover; client_no_context_takeover'],
        ['an unterminated quote', 'permessage-deflate; server_max_window_bits="10'],
        ['garbage', ';;;,,=="\\'],
      ])('a malformed offer (%s) is declined, the connection goes on uncompressed', async (_name, offer) => {
        const raw = await peer(offer);
        expect(raw.extensions).toBeUndefined();
        raw.write(clientFrame(Opcode.text, JSON.stringify([2, 'c1', 'urn:echo', records(30)])));
        await raw.waitFor(() => raw.messages().length === 1, 'the answer');
        expect(raw.wire.dataFrames().every((frame) => frame.rsv === 0)).toBe(true);
      });
    });

    describe('what a client cannot do', () => {
      it('an inflate bomb (50 MB of zeros in 50 KB) is cut at maxPayload with 1009, counted, holding no more than the bound', async () => {
        const bomb = deflate(Buffer.alloc(50 * 1024 * 1024));
        expect(bomb.length).toBeLessThan(MAX_PAYLOAD); // the compressed bytes pass the limit: the inflated ones must not
        const raw = await peer('permessage-deflate');
        const probe = new HeldBytesProbe(server);
        const oversize = server.broker.stats().refused.oversize;
        const memoryBefore = process.memoryUsage().arrayBuffers;
        const frame = clientFrame(Opcode.text, bomb, { rsv: RSV1 });
        for (let offset = 0; offset < frame.length; offset += 8 * 1024) {
          raw.write(frame.subarray(offset, offset + 8 * 1024));
          await turn();
          probe.sample();
        }
        expect(await raw.closeFrameCode()).toBe(1009);
        const grown = process.memoryUsage().arrayBuffers - memoryBefore;
        probe.sample();
        expect(server.broker.stats().refused.oversize).toBe(oversize + 1);
        // The frame being read (2 × the compressed bytes at most); the inflation is synchronous, done by then.
        expect(probe.max).toBeLessThanOrEqual(2 * bomb.length + 1024);
        // Had the bomb been inflated whole, 50 MB would have been allocated.
        expect(grown).toBeLessThan(8 * MAX_PAYLOAD);
        measured.bomb = { compressed: bomb.length, maxHeld: probe.max, arrayBuffersGrown: grown };
        await othersAreAnswered();
      });

      it('a bomb in fragments, ending in corrupt data, is cut at maxPayload too (1009, not 1007: inflation stopped at the limit)', async () => {
        const bomb = Buffer.concat([deflate(Buffer.alloc(50 * 1024 * 1024)), Buffer.from([0xff, 0xff, 0xff, 0xff])]);
        const raw = await peer('permessage-deflate');
        const third = Math.floor(bomb.length / 3);
        raw.write(clientFrame(Opcode.text, bomb.subarray(0, third), { final: false, rsv: RSV1 }));
        raw.write(clientFrame(Opcode.continuation, bomb.subarray(third, 2 * third), { final: false }));
        raw.write(clientFrame(Opcode.continuation, bomb.subarray(2 * third)));
        expect(await raw.closeFrameCode()).toBe(1009);
        await othersAreAnswered();
      });

      it('corrupt compressed data closes with 1007, counted as malformed', async () => {
        const raw = await peer('permessage-deflate');
        const malformed = server.broker.stats().refused.malformed;
        raw.write(clientFrame(Opcode.text, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00]), { rsv: RSV1 }));
        expect(await raw.closeFrameCode()).toBe(1007);
        expect(server.broker.stats().refused.malformed).toBe(malformed + 1);
        await othersAreAnswered();
      });

      it('compressed bytes that inflate to invalid UTF-8 close with 1007', async () => {
        const raw = await peer('permessage-deflate');
        raw.write(clientFrame(Opcode.text, deflate(Buffer.from([0x5b, 0xc3, 0x28, 0x5d])), { rsv: RSV1 }));
        expect(await raw.closeFrameCode()).toBe(1007);
      });

      it('compressed bytes above maxPayload are refused from the frame header (1009), as uncompressed ones', async () => {
        const raw = await peer('permessage-deflate');
        raw.write(clientFrame(Opcode.text, randomBytes(MAX_PAYLOAD + 1), { rsv: RSV1 }).subarray(0, 14));
        expect(await raw.closeFrameCode()).toBe(1009);
        expect(bytesHeld(server)).toBeLessThan(1024);
      });

      it.each([
        ['RSV1 on a ping', () => clientFrame(Opcode.ping, 'p', { rsv: RSV1 })],
        ['RSV1 on a close frame', () => clientFrame(Opcode.close, Buffer.from([0x03, 0xe8]), { rsv: RSV1 })],
        [
          'RSV1 on a continuation',
          () =>
            Buffer.concat([
              clientFrame(Opcode.text, deflate('[2,'), { final: false, rsv: RSV1 }),
              clientFrame(Opcode.continuation, 'x', { rsv: RSV1 }),
            ]),
        ],
        ['RSV2 on a text frame', () => clientFrame(Opcode.text, 'x', { rsv: 2 })],
        ['RSV3 on a text frame', () => clientFrame(Opcode.text, 'x', { rsv: 1 })],
      ])('%s is a protocol error (1002)', async (_name, frame) => {
        const raw = await peer('permessage-deflate');
        raw.write(frame());
        expect(await raw.closeFrameCode()).toBe(1002);
        await othersAreAnswered();
      });
    });

    it('without context takeover either way the server keeps nothing for compression between messages', async () => {
      const { client: wamp } = await client({ clientNoContextTakeover: true });
      expect(tap.last.toClient.header('sec-websocket-extensions')).toBe(
        'permessage-deflate; server_no_context_takeover; client_no_context_takeover',
      );
      for (let index = 0; index < 5; index++) await wamp.call('urn:echo', records(100, `n${index}`));
      await until(() => bytesHeld(server) === 0, 'nothing held once the answers are out');
    });

    it('the client taking its context over costs its window only (2^15 at most)', async () => {
      const { client: wamp } = await client();
      for (let index = 0; index < 10; index++) await wamp.call('urn:echo', records(100, `k${index}`));
      await until(() => bytesHeld(server) === 2 ** 15, 'the client’s window, full');
    });
  });

  describe('context takeover', () => {
    let server: TestServer;
    let tap: WireTap;
    const clients: WampTestClient[] = [];
    beforeAll(async () => {
      server = await compressingApp({ maxPayload: MAX_PAYLOAD, compression: { threshold: 0, serverNoContextTakeover: false } });
      tap = await WireTap.start(server.port);
    });
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((client) => client.close().catch(() => undefined)));
      await until(() => server.broker.stats().sessions === 0, 'every session gone');
    });
    afterAll(async () => {
      await tap?.close();
      await server?.close();
    });

    async function client(options: DeflateOptions = {}): Promise<{ client: WampTestClient; answered: string | undefined }> {
      const opened = await wsClient(tap.url, options);
      clients.push(opened.client);
      return { client: opened.client, answered: tap.last.toClient.header('sec-websocket-extensions') };
    }

    /** Echoes the same 4 KiB of random text twice: with context takeover, the second answer refers back to the first. */
    async function echoTwice(wamp: WampTestClient): Promise<{ first: number; second: number }> {
      const value = randomBytes(3 * 1024).toString('base64');
      await expect(wamp.call('urn:echo', value)).resolves.toBe(value);
      await expect(wamp.call('urn:echo', value)).resolves.toBe(value);
      const answers = tap.last.toClient.dataFrames().slice(-2);
      expect(answers.every((frame) => (frame.rsv & 4) !== 0)).toBe(true);
      return { first: answers[0].payload.length, second: answers[1].payload.length };
    }

    it('both ways: the answers refer back to earlier ones, the client’s calls too; the windows count in bytesHeld', async () => {
      const { client: wamp, answered } = await client();
      expect(answered).toBe('permessage-deflate');
      const { first, second } = await echoTwice(wamp);
      expect(second).toBeLessThan(first / 10);
      const calls = tap.last.toServer.dataFrames().slice(-2);
      expect(calls.every((frame) => (frame.rsv & 4) !== 0)).toBe(true);
      expect(calls[1].payload.length).toBeLessThan(calls[0].payload.length / 10); // ws took its context over too, and the server read it
      // Each window holds at least the 4 KiB echoed, at most 2^15 bytes; nothing else is held once the answers are out.
      await until(() => bytesHeld(server) <= WINDOWS, 'only the windows held');
      expect(bytesHeld(server)).toBeGreaterThanOrEqual(2 * 4096);
      measured.takeoverWindows = bytesHeld(server);
      // Fill both windows: they stay at 2^15 each.
      for (let index = 0; index < 20; index++) await wamp.call('urn:echo', records(60, `w${index}`));
      await until(() => bytesHeld(server) === WINDOWS, 'two full windows');
    });

    it('server_no_context_takeover asked by the client: each answer stands alone, the server keeps only the client’s window', async () => {
      const { client: wamp, answered } = await client({ serverNoContextTakeover: true });
      expect(answered).toBe('permessage-deflate; server_no_context_takeover');
      const { first, second } = await echoTwice(wamp);
      // The same size give or take the call ids (random, so they compress a byte more or less): no reference back.
      expect(Math.abs(second - first)).toBeLessThanOrEqual(16);
      for (let index = 0; index < 20; index++) await wamp.call('urn:echo', records(60, `s${index}`));
      await until(() => bytesHeld(server) === 2 ** 15, 'the client’s window only');
    });

    it('client_no_context_takeover: the server keeps only its own window', async () => {
      const { client: wamp, answered } = await client({ clientNoContextTakeover: true });
      expect(answered).toBe('permessage-deflate; client_no_context_takeover');
      const { first, second } = await echoTwice(wamp);
      expect(second).toBeLessThan(first / 10);
      const calls = tap.last.toServer.dataFrames().slice(-2);
      expect(calls[1].payload.length).toBeGreaterThan(calls[0].payload.length * 0.9);
      for (let index = 0; index < 20; index++) await wamp.call('urn:echo', records(60, `c${index}`));
      await until(() => bytesHeld(server) === 2 ** 15, 'the server’s window only');
    });

    it.each([
      [9, 9],
      [10, 12],
      [15, 8],
    ])(
      'server window 2^%i, client window 2^%i: answered so, honoured (matches farther back would break ws), and kept in those sizes',
      async (serverBits, clientBits) => {
        const { client: wamp, answered } = await client({ serverMaxWindowBits: serverBits, clientMaxWindowBits: clientBits });
        expect(answered).toBe(
          `permessage-deflate; server_max_window_bits=${serverBits}` + (clientBits < 15 ? `; client_max_window_bits=${clientBits}` : ''),
        );
        // A block of random text repeated at a distance of 2 KiB: beyond a 2^10 window, within 2^15.
        const block = randomBytes(1536).toString('base64');
        for (let index = 0; index < 5; index++) {
          const value = `${index}:${block}${block}`;
          await expect(wamp.call('urn:echo', value)).resolves.toBe(value);
        }
        await until(() => bytesHeld(server) === 2 ** serverBits + 2 ** clientBits, 'the two windows, each full at its size');
      },
    );
  });

  describe('the server window and clients limited by the options', () => {
    let server: TestServer;
    let tap: WireTap;
    afterAll(async () => {
      await tap?.close();
      await server?.close();
    });

    it('serverMaxWindowBits and clientMaxWindowBits bound what a connection keeps', async () => {
      server = await compressingApp({
        compression: {
          threshold: 0,
          serverNoContextTakeover: false,
          serverMaxWindowBits: 10,
          clientMaxWindowBits: 9,
          level: 9,
          memLevel: 5,
        },
      });
      tap = await WireTap.start(server.port);
      const { client: wamp } = await wsClient(tap.url);
      // ws offered no server_max_window_bits: the smaller server window needs no word.
      expect(tap.last.toClient.header('sec-websocket-extensions')).toBe('permessage-deflate; client_max_window_bits=9');
      for (let index = 0; index < 10; index++) {
        const value = records(80, `b${index}`);
        await expect(wamp.call('urn:echo', value)).resolves.toBe(value);
      }
      await until(() => bytesHeld(server) === 2 ** 10 + 2 ** 9, 'windows of 2^10 and 2^9');
      await wamp.close();
    });
  });

  describe('a peer that does not read', () => {
    const HIGH_WATER_MARK = 64 * 1024;
    const STALL_MS = 1500;
    const SMALL_PAYLOAD = 16 * 1024;
    let server: TestServer;
    beforeAll(async () => {
      server = await compressingApp({
        maxPayload: SMALL_PAYLOAD,
        slowConsumer: { highWaterMark: HIGH_WATER_MARK, timeoutMs: STALL_MS },
        compression: { threshold: 0 },
      });
    });
    afterAll(() => server?.close());

    it('compressed answers count against the high-water mark: the server stops reading it, holds at most the bound, then cuts it', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      try {
        const raw = await DeflatePeer.connect(server.port, 'permessage-deflate');
        raw.socket.pause();
        const probe = new HeldBytesProbe(server);
        // Answers that compress to about three quarters: random base64.
        const call = clientFrame(Opcode.text, deflate(JSON.stringify([2, 'e', 'urn:echo', randomBytes(6 * 1024).toString('base64')])), {
          rsv: RSV1,
        });
        const flood = Buffer.concat(Array.from({ length: Math.ceil((32 * 1024) / call.length) }, () => call));
        const backedUp = await writeUntilBackedUp(raw.socket, () => flood, {
          maxBytes: 256 * 1024 * 1024,
          afterEach: () => probe.sample(),
        });
        expect(backedUp).toBe(true);
        expect(probe.max).toBeGreaterThan(HIGH_WATER_MARK / 2);
        expect(probe.max).toBeLessThanOrEqual(
          connectionBound({ maxPayload: SMALL_PAYLOAD, highWaterMark: HIGH_WATER_MARK, largestAnswer: SMALL_PAYLOAD + 64 }),
        );
        measured.slowConsumerMaxHeld = probe.max;
        const other = await server.connect();
        await expect(within(other.call('urn:echo', 'still here'), 'an echo from another session')).resolves.toBe('still here');
        await other.close();
        await within(raw.ended, 'the stalled peer being cut off', STALL_MS + 3000);
      } finally {
        warn.mockRestore();
      }
    });
  });

  const measured: Record<string, unknown> = {};
  afterAll(() => {
    if (process.env.WAMP_TEST_LOG) console.log('compression measurements', measured);
  });
});
