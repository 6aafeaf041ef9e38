import { jest } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { connect as netConnect, type Socket } from 'node:net';
import { type OnWampSessionClose, WampBroker, type WampCloseInfo, WampModule, WampRpc, type WampSession } from '../../src/index.js';
import { Opcode } from '../../src/websocket/frames.js';
import { BareWebSocketPeer } from '../support/raw-wamp-socket.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { until, within } from '../support/until.js';
import { clientFrame } from '../support/websocket-frames.js';

/**
 * The WebSocket layer itself (RFC 6455), spoken byte by byte over bare TCP to a real app: the
 * opening handshake, frames split and merged any way, fragments, ping/pong, both directions of
 * the closing handshake, and what a broken frame gets.
 */
@Injectable()
class Echo {
  @WampRpc('urn:echo')
  echo(value: unknown) {
    return value;
  }

  /** Answers from a promise callback, as a handler behind an asynchronous guard or an interceptor does. */
  @WampRpc('urn:echo-later')
  async echoLater(value: unknown) {
    await Promise.resolve();
    return value;
  }
}

@Injectable()
class Closes implements OnWampSessionClose {
  readonly seen = new Map<string, WampCloseInfo>();
  onWampSessionClose(session: WampSession, close: WampCloseInfo) {
    this.seen.set(session.id, close);
  }
}

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** Sends a raw HTTP request on a fresh connection and returns everything the server answered until it closed or 300 ms passed. */
function rawExchange(port: number, request: string | Buffer, holdMs = 300): Promise<string> {
  return within(
    new Promise<string>((resolve) => {
      const socket = netConnect({ port, host: '127.0.0.1' });
      let answer = '';
      socket.on('error', () => undefined);
      socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
      const done = () => {
        clearTimeout(timer);
        socket.destroy();
        resolve(answer);
      };
      const timer = setTimeout(done, holdMs);
      socket.once('close', done);
      socket.once('connect', () => socket.write(request));
    }),
    'the raw HTTP exchange',
  );
}

function upgradeRequest(headers: Record<string, string>, method = 'GET', path = '/ws'): string {
  const all = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': KEY,
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Protocol': 'wamp',
    ...headers,
  };
  return [
    `${method} ${path} HTTP/1.1`,
    ...Object.entries(all)
      .filter(([, value]) => value !== '')
      .map(([name, value]) => `${name}: ${value}`),
    '',
    '',
  ].join('\r\n');
}

function callFrame(callId: string, value: unknown, procedure = 'urn:echo'): string {
  return JSON.stringify([2, callId, procedure, value]);
}

describe('the WebSocket layer', () => {
  let server: TestServer;
  let broker: WampBroker;
  let closes: Closes;

  /** The server's side of every TCP connection, newest last. */
  const accepted: Socket[] = [];

  beforeAll(async () => {
    server = await startApp({
      imports: [WampModule.forRoot({ maxPayload: 4096, topics: { 'urn:news': true } })],
      providers: [Echo, Closes],
    });
    server.app.getHttpServer().on('connection', (socket: Socket) => accepted.push(socket));
    broker = server.app.get(WampBroker);
    closes = server.app.get(Closes);
  });
  afterAll(() => server.close());

  async function peer(): Promise<{ peer: BareWebSocketPeer; sessionId: string }> {
    const bare = await BareWebSocketPeer.connect(server.port);
    const welcome = await bare.frame(Opcode.text, 'WELCOME');
    return { peer: bare, sessionId: (JSON.parse(welcome.payload.toString()) as [number, string])[1] };
  }

  /**
   * Counts what the server's side of the newest connection hands to the kernel from now on: one
   * call of `_write` or `_writev` is one system call.
   */
  function serverWrites(): () => number {
    const serverSide = accepted.at(-1) as Socket & Record<'_write' | '_writev', () => void>;
    const spies = [jest.spyOn(serverSide, '_write'), jest.spyOn(serverSide, '_writev')];
    return () => spies.reduce((count, spy) => count + spy.mock.calls.length, 0);
  }

  async function answerTo(bare: BareWebSocketPeer, callId: string): Promise<unknown> {
    await until(() => bare.messages().some((message) => (message as unknown[])[1] === callId), `the answer to ${callId}`);
    return bare.messages().find((message) => (message as unknown[])[1] === callId);
  }

  describe('the opening handshake', () => {
    it('answers 101 with the RFC 6455 accept key and the wamp subprotocol, WELCOME right behind it', async () => {
      const answer = await rawExchange(server.port, upgradeRequest({}));
      const [head, rest] = answer.split('\r\n\r\n');
      expect(head.split('\r\n')[0]).toBe('HTTP/1.1 101 Switching Protocols');
      expect(head).toContain('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
      expect(head).toContain('Sec-WebSocket-Protocol: wamp');
      expect(rest.charCodeAt(0)).toBe(0x81); // a final text frame: WELCOME
      expect(rest).toContain('[0,"');
    });

    it.each([
      ['no Sec-WebSocket-Key', { 'Sec-WebSocket-Key': '' }, 400],
      ['a malformed Sec-WebSocket-Key', { 'Sec-WebSocket-Key': 'short' }, 400],
      ['a wrong Upgrade header', { Upgrade: 'h2c' }, 400],
    ])('%s gets HTTP %s', async (_label, headers, status) => {
      const answer = await rawExchange(server.port, upgradeRequest(headers));
      expect(answer.startsWith(`HTTP/1.1 ${status} `)).toBe(true);
    });

    it('an unsupported WebSocket version gets 426 and the versions the server speaks', async () => {
      const answer = await rawExchange(server.port, upgradeRequest({ 'Sec-WebSocket-Version': '7' }));
      expect(answer.startsWith('HTTP/1.1 426 ')).toBe(true);
      expect(answer).toContain('Sec-WebSocket-Version: 13, 8');
    });

    it('a POST with upgrade headers gets 405', async () => {
      const answer = await rawExchange(server.port, upgradeRequest({ 'Content-Length': '0' }, 'POST'));
      expect(answer.startsWith('HTTP/1.1 405 ')).toBe(true);
    });

    it('frames sent right behind the upgrade request, in the same packet, are read', async () => {
      const request = Buffer.concat([Buffer.from(upgradeRequest({}), 'latin1'), clientFrame(Opcode.text, callFrame('early', 'bird'))]);
      const answer = await rawExchange(server.port, request);
      expect(answer).toContain('[3,"early","bird"]');
    });
  });

  describe('frames', () => {
    it('a CALL split into one-byte writes is answered', async () => {
      const { peer: bare } = await peer();
      const frame = clientFrame(Opcode.text, callFrame('bytewise', 'slow'));
      for (const byte of frame) bare.socket.write(Buffer.from([byte]));
      expect(await answerTo(bare, 'bytewise')).toEqual([3, 'bytewise', 'slow']);
      bare.destroy();
    });

    it('CALLs merged into one write are each answered, in order', async () => {
      const { peer: bare } = await peer();
      bare.socket.write(Buffer.concat(['a', 'b', 'c'].map((id) => clientFrame(Opcode.text, callFrame(id, id)))));
      await answerTo(bare, 'c');
      expect(bare.messages().slice(1)).toEqual([
        [3, 'a', 'a'],
        [3, 'b', 'b'],
        [3, 'c', 'c'],
      ]);
      bare.destroy();
    });

    it.each([
      ['a handler that answers at once', 'urn:echo'],
      ['an asynchronous handler', 'urn:echo-later'],
    ])('the answers to CALLs merged into one write leave in one write, from %s', async (_label, procedure) => {
      const { peer: bare } = await peer();
      const writes = serverWrites();
      const ids = ['a', 'b', 'c', 'd'];
      bare.socket.write(Buffer.concat(ids.map((id) => clientFrame(Opcode.text, callFrame(id, id, procedure)))));
      await answerTo(bare, 'd');
      expect(bare.messages().slice(1)).toEqual(ids.map((id) => [3, id, id]));
      expect(writes()).toBe(1);
      bare.destroy();
    });

    it('the events of several publishes in one tick leave in one write', async () => {
      const client = await server.connect();
      client.subscribe('urn:news', () => undefined);
      await until(() => broker.subscribers('urn:news').includes(client.sessionId), 'the subscription');
      const writes = serverWrites();
      for (const headline of ['one', 'two', 'three']) broker.publish('urn:news', headline);
      await until(() => client.eventsOn('urn:news').length === 3, 'three events');
      expect(client.eventsOn('urn:news')).toEqual(['one', 'two', 'three']);
      expect(writes()).toBe(1);
      await client.close();
    });

    it('a CALL in three fragments, a ping between them, is answered; the ping gets its pong with the same payload', async () => {
      const { peer: bare } = await peer();
      const text = callFrame('fragmented', 'x'.repeat(300));
      bare.socket.write(clientFrame(Opcode.text, text.slice(0, 10), { final: false }));
      bare.socket.write(clientFrame(Opcode.ping, 'are you there'));
      bare.socket.write(clientFrame(Opcode.continuation, text.slice(10, 200), { final: false }));
      bare.socket.write(clientFrame(Opcode.continuation, text.slice(200)));
      expect(await answerTo(bare, 'fragmented')).toEqual([3, 'fragmented', 'x'.repeat(300)]);
      expect((await bare.frame(Opcode.pong)).payload.toString()).toBe('are you there');
      bare.destroy();
    });

    it('an unmasked frame closes the session with 1002, counted as malformed; other sessions go on', async () => {
      const bystander = await server.connect();
      const before = broker.stats().refused.malformed ?? 0;
      const { peer: bare, sessionId } = await peer();
      bare.socket.write(clientFrame(Opcode.text, callFrame('bare', 1), { masked: false }));
      expect(await bare.closeFrameCode()).toBe(1002);
      expect(broker.stats().refused.malformed).toBe(before + 1);
      bare.destroy();
      await until(() => broker.session(sessionId) === undefined, 'the session to be gone');
      expect(await bystander.call('urn:echo', 'still here')).toBe('still here');
    });

    it('a frame over maxPayload closes with 1009 as soon as its header arrives', async () => {
      const { peer: bare } = await peer();
      bare.socket.write(clientFrame(Opcode.text, 'x'.repeat(5000)).subarray(0, 8));
      expect(await bare.closeFrameCode()).toBe(1009);
      bare.destroy();
    });
  });

  describe('the closing handshake', () => {
    it('a client close frame is echoed with its code and reason, then the server ends the connection; the close hook sees them', async () => {
      const { peer: bare, sessionId } = await peer();
      bare.socket.write(clientFrame(Opcode.close, Buffer.concat([Buffer.from([0x0f, 0xa1]), Buffer.from('done here')])));
      const echoed = await bare.frame(Opcode.close);
      expect(echoed.payload.readUInt16BE(0)).toBe(4001);
      expect(echoed.payload.subarray(2).toString()).toBe('done here');
      await within(bare.ended, 'the server to end the connection');
      await until(() => closes.seen.has(sessionId), 'onWampSessionClose');
      expect(closes.seen.get(sessionId)).toEqual({ code: 4001, reason: 'done here' });
      expect(broker.session(sessionId)).toBeUndefined();
    });

    it('an empty close frame is answered with 1000; the hook sees 1005 (no status)', async () => {
      const { peer: bare, sessionId } = await peer();
      bare.socket.write(clientFrame(Opcode.close, Buffer.alloc(0)));
      expect(await bare.closeFrameCode()).toBe(1000);
      await until(() => closes.seen.has(sessionId), 'onWampSessionClose');
      expect(closes.seen.get(sessionId)).toEqual({ code: 1005, reason: '' });
    });

    it('a client that half-closes (FIN, no close frame) is ended too; the hook sees 1006', async () => {
      const { peer: bare, sessionId } = await peer();
      bare.socket.end();
      await within(bare.ended, 'the server to end the connection');
      await until(() => closes.seen.has(sessionId), 'onWampSessionClose');
      expect(closes.seen.get(sessionId)).toEqual({ code: 1006, reason: '' });
    });

    it('a reset connection is forgotten, with 1006', async () => {
      const { peer: bare, sessionId } = await peer();
      (bare.socket as Socket).resetAndDestroy();
      await until(() => closes.seen.has(sessionId), 'onWampSessionClose');
      expect(closes.seen.get(sessionId)).toEqual({ code: 1006, reason: '' });
      expect(broker.session(sessionId)).toBeUndefined();
    });
  });
});
