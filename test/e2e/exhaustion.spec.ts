import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { WampBroker } from '../../src/index.js';
import { Opcode } from '../../src/websocket/frames.js';
import { FAILED_LINGER_MS } from '../../src/websocket/websocket-connection.js';
import { bytesHeld, connectionBound, HeldBytesProbe, startBoundedApp, turn, writeUntilBackedUp } from '../support/held-bytes.js';
import { BareWebSocketPeer } from '../support/raw-wamp-socket.js';
import type { TestServer } from '../support/start-app.js';
import { clientFrame } from '../support/websocket-frames.js';
import { until, within } from '../support/until.js';

/**
 * What a hostile client can make the server hold, measured in bytes held (`stats().bytesHeld`),
 * never in time: fragment floods, frames trickled a byte at a time, peers that send and never
 * read, data after the server's close frame, and protocol violations that must end the TCP
 * connection at once.
 */

const MAX_PAYLOAD = 16 * 1024;
const HIGH_WATER_MARK = 64 * 1024;
const FRAGMENTS = 64;
const STALL_MS = 1500;
/** The largest answer the tests provoke: an echo of a whole message. */
const BOUND = connectionBound({ maxPayload: MAX_PAYLOAD, highWaterMark: HIGH_WATER_MARK, largestAnswer: MAX_PAYLOAD + 64 });

const MASK = Buffer.from([1, 2, 3, 4]);
const frame = (opcode: number, payload: string | Buffer, final = true): Buffer => clientFrame(opcode, payload, { final, mask: MASK });
/** Copies of `one` up to about 32 KiB, for one write. */
const batch = (one: Buffer): Buffer => Buffer.concat(Array.from({ length: Math.ceil((32 * 1024) / one.length) }, () => one));

describe('no client can exhaust the server', () => {
  let server: TestServer;
  let probe: HeldBytesProbe;
  const peers: BareWebSocketPeer[] = [];

  beforeAll(async () => {
    server = await startBoundedApp({
      maxPayload: MAX_PAYLOAD,
      fragmentsPerMessage: FRAGMENTS,
      highWaterMark: HIGH_WATER_MARK,
      stallTimeoutMs: STALL_MS,
    });
  });
  afterAll(() => server?.close());
  beforeEach(() => (probe = new HeldBytesProbe(server)));
  afterEach(async () => {
    for (const peer of peers.splice(0)) peer.destroy();
    await until(() => server.app.get(WampBroker).stats().sessions === 0, 'every session gone');
  });

  async function peer(): Promise<BareWebSocketPeer> {
    const connected = await BareWebSocketPeer.connect(server.port);
    peers.push(connected);
    await connected.frame(Opcode.text, 'WELCOME');
    return connected;
  }

  /** Another session is answered while (or after) one misbehaves. */
  async function othersAreAnswered(): Promise<void> {
    const client = await server.connect();
    await expect(within(client.call('urn:echo', 'still here'), 'an echo from another session')).resolves.toBe('still here');
    await client.close();
  }

  describe('reading', () => {
    it('a flood of empty continuation frames is cut at limits.fragmentsPerMessage (1009), holding nothing meanwhile', async () => {
      const attacker = await peer();
      attacker.socket.write(frame(Opcode.text, '[2,"c1","urn:echo",', false));
      const empties = Buffer.concat(Array.from({ length: 1000 }, () => frame(Opcode.continuation, '', false)));
      for (let round = 0; round < 100 && !attacker.socket.destroyed; round++) {
        attacker.socket.write(empties);
        await turn();
        probe.sample();
      }
      expect(await attacker.closeFrameCode()).toBe(1009);
      expect(probe.max).toBeLessThan(1024);
      expect(server.app.get(WampBroker).stats().refused.oversize).toBeGreaterThan(0);
      await othersAreAnswered();
    });

    it('a message in exactly limits.fragmentsPerMessage fragments is joined and answered', async () => {
      const client = await peer();
      const parts = ['[2,"c1","urn:echo","', ...Array.from({ length: FRAGMENTS - 2 }, () => 'x'.repeat(200)), '"]'];
      parts.forEach((part, index) => {
        const opcode = index === 0 ? Opcode.text : Opcode.continuation;
        client.socket.write(frame(opcode, part, index === parts.length - 1));
      });
      await until(() => client.messages().length === 2, 'the echo of the fragmented message');
      expect(client.messages()[1]).toEqual([3, 'c1', 'x'.repeat(200 * (FRAGMENTS - 2))]);
    });

    it('holds a fragmented message in at most twice its bytes while it arrives', async () => {
      const client = await peer();
      client.socket.write(frame(Opcode.text, '[2,"c1","urn:echo","', false));
      let received = 20;
      for (let index = 0; index < FRAGMENTS - 2; index++) {
        client.socket.write(frame(Opcode.continuation, 'y'.repeat(100), false));
        received += 100;
        await turn();
        expect(probe.sample()).toBeLessThanOrEqual(Math.max(2 * received, 256));
      }
      client.socket.write(frame(Opcode.continuation, '"]'));
      await until(() => client.messages().length === 2, 'the echo');
      await until(() => bytesHeld(server) === 0, 'nothing held once the message was answered');
    });

    it('a frame trickled one byte per TCP segment costs about a byte per byte, not a Buffer per segment', async () => {
      const client = await peer();
      const whole = frame(Opcode.text, JSON.stringify([2, 'c1', 'urn:echo', 'z'.repeat(4000)]));
      for (let index = 0; index < whole.length - 1; index++) {
        client.socket.write(whole.subarray(index, index + 1));
        await turn();
        if (index % 64 === 63) expect(probe.sample()).toBeLessThanOrEqual(Math.max(2 * (index + 1), 256) + 64);
      }
      client.socket.write(whole.subarray(whole.length - 1));
      await until(() => client.messages().length === 2, 'the echo of the trickled frame');
      expect(bytesHeld(server)).toBe(0);
    });

    it('after its close frame the server keeps no data the client goes on sending, and ends TCP on the close reply', async () => {
      const client = await peer();
      const sessionId = (client.messages()[0] as unknown[])[1] as string;
      server.app.get(WampBroker).close(sessionId, 1000, 'bye');
      expect(await client.closeFrameCode()).toBe(1000);
      const big = frame(Opcode.text, 'q'.repeat(MAX_PAYLOAD));
      for (let index = 0; index < 200; index++) {
        client.socket.write(big);
        if (index % 10 === 0) {
          await turn();
          probe.sample();
        }
      }
      // Fragments too, past every limit: none of it is kept.
      client.socket.write(frame(Opcode.text, 'a', false));
      for (let index = 0; index < 2 * FRAGMENTS; index++) client.socket.write(frame(Opcode.continuation, 'b'.repeat(1000), false));
      await turn();
      probe.sample();
      expect(probe.max).toBeLessThan(64 * 1024 + 16 * 1024 + 512);
      client.socket.write(clientFrame(Opcode.close, Buffer.from([0x03, 0xe8]), { mask: MASK }));
      await within(client.ended, 'the server ending TCP after the close reply');
    });
  });

  describe('writing', () => {
    it.each([
      ['echo calls of 8 KiB', batch(frame(Opcode.text, JSON.stringify([2, 'e', 'urn:echo', 'e'.repeat(8 * 1024)])))],
      [
        'calls to an unknown procedure (each answered with CALLERROR)',
        batch(frame(Opcode.text, JSON.stringify([2, 'c'.repeat(500), 'urn:nothing-here', 1]))),
      ],
      ['pings (each answered with a pong)', batch(frame(Opcode.ping, 'p'.repeat(125)))],
    ])(
      'a peer that sends %s and reads nothing: the server stops reading it, holds at most the bound, then cuts it (logged)',
      async (_kind, flood) => {
        const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
        try {
          const attacker = await peer();
          attacker.socket.pause();
          const slowBefore = server.app.get(WampBroker).stats().refused['slow-consumer'];
          const backedUp = await writeUntilBackedUp(attacker.socket, () => flood, {
            maxBytes: 256 * 1024 * 1024,
            afterEach: () => probe.sample(),
          });
          expect(backedUp).toBe(true); // the server stopped reading it: its writes pile up on the client's side
          expect(probe.max).toBeGreaterThan(HIGH_WATER_MARK / 2);
          expect(probe.max).toBeLessThanOrEqual(BOUND);
          await othersAreAnswered();
          await within(attacker.ended, 'the stalled peer being cut off', STALL_MS + 3000);
          expect(server.app.get(WampBroker).stats().refused['slow-consumer']).toBe(slowBefore + 1);
          expect(warn.mock.calls.some(([message]) => String(message).includes('read nothing'))).toBe(true);
        } finally {
          warn.mockRestore();
        }
      },
    );
  });

  describe('failing', () => {
    it('a protocol violation gets its close frame and FIN at once; the socket is gone soon after even if the peer says nothing', async () => {
      const client = await peer();
      let finReceived = false;
      client.socket.once('end', () => (finReceived = true));
      client.socket.write(clientFrame(Opcode.text, 'not masked', { masked: false }));
      expect(await client.closeFrameCode()).toBe(1002);
      await until(() => finReceived, 'the server FIN right after its close frame');
      // The peer neither answers nor closes: the server lets the socket go on its own.
      await within(client.ended, 'the server dropping the failed connection', FAILED_LINGER_MS + 2000);
      await othersAreAnswered();
    });

    it('an oversize frame header is refused before its payload is held', async () => {
      const client = await peer();
      const header = clientFrame(Opcode.text, 'x'.repeat(MAX_PAYLOAD + 1), { mask: MASK }).subarray(0, 8);
      client.socket.write(header);
      expect(await client.closeFrameCode()).toBe(1009);
      expect(bytesHeld(server)).toBeLessThan(1024);
    });
  });
});
