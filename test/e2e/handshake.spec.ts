import { Controller, Get, Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { CloseCode, NEST_WAMP_VERSION, WampBroker, WampModule, WampRpc, type WampOriginRule } from '../../src/index.js';
import { WampTestClient } from '../../src/testing/index.js';
import {
  attemptHandshake,
  BareWebSocketPeer,
  RawWampSocket,
  tcpConnectError,
  type HandshakeResult,
  type RawConnectOptions,
} from '../support/raw-wamp-socket.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { within } from '../support/until.js';

const ADD = 'http://example.com/api#add';
const HOLD = 'http://example.com/api#hold';
const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;

@Injectable()
class ApiService {
  private readonly never = new Promise<never>(() => undefined);

  @WampRpc(ADD)
  add(a: number, b: number): number {
    return a + b;
  }

  /** Never answers: a call that is still pending at shutdown. */
  @WampRpc(HOLD)
  hold(): Promise<never> {
    return this.never;
  }
}

@Controller()
class HelloController {
  @Get('/hello')
  hello(): string {
    return 'hello';
  }
}

/** The handshake's HTTP status when refused; fails the test when the server accepted. */
async function refusedWith(url: string, options: RawConnectOptions = {}): Promise<number> {
  const result = await attemptHandshake(url, options);
  if (result.accepted) {
    await result.socket.close();
    throw new Error(`expected ${url} to refuse the handshake, but it was accepted (protocol ${result.protocol})`);
  }
  return result.status;
}

/** The open socket; fails the test when the server refused. */
async function accepted(url: string, options: RawConnectOptions = {}): Promise<RawWampSocket & { protocol: string }> {
  const result: HandshakeResult = await attemptHandshake(url, options);
  if (!result.accepted) throw new Error(`expected ${url} to accept the handshake, but it answered HTTP ${result.status}`);
  return Object.assign(result.socket, { protocol: result.protocol });
}

/** One CALL round trip on a raw socket. */
async function expectAdds(socket: RawWampSocket): Promise<void> {
  socket.send([2, 'c1', ADD, 2, 3]);
  expect(await socket.answerTo('c1')).toEqual([3, 'c1', 5]);
}

/** A plain HTTP GET (no upgrade): status and body. */
async function httpGet(url: string): Promise<{ status: number; body: string }> {
  const response = await within(fetch(url), `GET ${url}`);
  return { status: response.status, body: await within(response.text(), `the body of GET ${url}`) };
}

describe('WebSocket handshake', () => {
  const opened: RawWampSocket[] = [];
  async function track<T extends RawWampSocket>(socket: Promise<T>): Promise<T> {
    const value = await socket;
    opened.push(value);
    return value;
  }
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((socket) => socket.close()));
  });

  describe('subprotocol negotiation and WELCOME (defaults)', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startApp({ imports: [WampModule.forRoot({})], providers: [ApiService] });
    });
    afterAll(() => server?.close());

    it.each([
      ['no subprotocol at all', []],
      ['only "foo"', ['foo']],
      ['"foo" and "bar"', ['foo', 'bar']],
      ['WAMP v2 in MessagePack ("wamp.2.msgpack", not served)', ['wamp.2.msgpack']],
      ['"wampx"', ['wampx']],
    ])('a client offering %s is refused with HTTP 400', async (_name, protocols) => {
      expect(await refusedWith(server.url, { protocols })).toBe(400);
    });

    it.each([
      [['wamp'], 'wamp'],
      [['foo', 'wamp'], 'wamp'],
      [['WAMP'], 'WAMP'],
      [['Wamp', 'wamp'], 'Wamp'],
      [['wamp', 'foo'], 'wamp'],
    ])('offering %j is accepted and the server echoes %p', async (protocols, expected) => {
      const socket = await track(accepted(server.url, { protocols }));
      expect(socket.protocol).toBe(expected);
      expect(socket.ws.protocol).toBe(expected);
      await expectAdds(socket);
    });

    it('the first message is WELCOME [0, sessionId, 1, "nest-wamp/<version>"]', async () => {
      const socket = await track(RawWampSocket.connect(server.url));
      expect(socket.first).toEqual([0, expect.stringMatching(SESSION_ID), 1, `nest-wamp/${NEST_WAMP_VERSION}`]);
      expect(socket.pending()).toEqual([]);
    });

    it('WampTestClient sees the same WELCOME', async () => {
      const client = await server.connect();
      expect(client.sessionId).toMatch(SESSION_ID);
      expect(client.protocolVersion).toBe(1);
      expect(client.serverIdent).toBe(`nest-wamp/${NEST_WAMP_VERSION}`);
    });

    it('every session gets its own id, and the broker knows them by it', async () => {
      const sockets = await Promise.all(Array.from({ length: 20 }, () => track(RawWampSocket.connect(server.url))));
      const ids = sockets.map((socket) => socket.sessionId);
      expect(new Set(ids).size).toBe(ids.length);
      const broker = server.app.get(WampBroker);
      for (const id of ids) expect(broker.session(id)?.id).toBe(id);
    });

    it('refused handshakes leave the server accepting good ones', async () => {
      for (let i = 0; i < 5; i++) expect(await refusedWith(server.url, { protocols: ['foo'] })).toBe(400);
      await expectAdds(await track(RawWampSocket.connect(server.url)));
    });
  });

  describe('serverIdent', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startApp({ imports: [WampModule.forRoot({ serverIdent: 'my-server/1' })], providers: [ApiService] });
    });
    afterAll(() => server?.close());

    it('WELCOME carries the configured ident', async () => {
      const socket = await track(RawWampSocket.connect(server.url));
      expect(socket.first).toEqual([0, expect.stringMatching(SESSION_ID), 1, 'my-server/1']);
    });
  });

  describe('allowedOrigins as a list', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startApp({
        imports: [WampModule.forRoot({ allowedOrigins: ['http://good.example', /^https:\/\/.*\.trusted\.example$/] })],
        providers: [ApiService],
      });
    });
    afterAll(() => server?.close());

    it.each(['http://good.example', 'https://a.trusted.example', 'https://deep.sub.trusted.example'])(
      'origin %s connects',
      async (origin) => {
        await expectAdds(await track(accepted(server.url, { origin })));
      },
    );

    it.each([
      'http://evil.example',
      'https://good.example',
      'http://good.example:8080',
      'http://good.example.evil.example',
      'http://a.trusted.example',
      'https://trusted.example',
      'https://a.trusted.example.evil.example',
      'null',
    ])('origin %s gets HTTP 403', async (origin) => {
      expect(await refusedWith(server.url, { origin })).toBe(403);
    });

    it('no Origin header connects (allowMissingOrigin defaults to true)', async () => {
      await expectAdds(await track(accepted(server.url)));
    });

    it('the subprotocol is checked too: a good origin without "wamp" gets 400', async () => {
      expect(await refusedWith(server.url, { origin: 'http://good.example', protocols: ['foo'] })).toBe(400);
    });
  });

  describe("allowedOrigins with an unanchored RegExp (what the sample's WAMP_ALLOWED_ORIGINS=/https?:\\/\\/myhost/ gives)", () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startApp({ imports: [WampModule.forRoot({ allowedOrigins: [/https?:\/\/myhost/] })], providers: [ApiService] });
    });
    afterAll(() => server?.close());

    it.each(['https://myhost', 'http://myhost'])('the exact host %s connects (101)', async (origin) => {
      await expectAdds(await track(accepted(server.url, { origin })));
    });

    it.each(['https://myhost.evil.example', 'https://myhost:8443', 'https://evil.example?https://myhost'])(
      'a longer origin %s gets HTTP 403: the RegExp matches the whole origin',
      async (origin) => {
        expect(await refusedWith(server.url, { origin })).toBe(403);
      },
    );
  });

  describe('allowMissingOrigin: false', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startApp({
        imports: [WampModule.forRoot({ allowedOrigins: ['http://good.example'], allowMissingOrigin: false })],
        providers: [ApiService],
      });
    });
    afterAll(() => server?.close());

    it('a request without an Origin header gets HTTP 403', async () => {
      expect(await refusedWith(server.url)).toBe(403);
    });

    it('an allowed origin still connects', async () => {
      await expectAdds(await track(accepted(server.url, { origin: 'http://good.example' })));
    });
  });

  describe('allowedOrigins as a function', () => {
    let server: TestServer;
    const seen: Array<{ origin: string | undefined; url: string | undefined }> = [];
    const rule: WampOriginRule = (origin: string | undefined, request: IncomingMessage) => {
      seen.push({ origin, url: request.url });
      switch (origin) {
        case 'http://sync-yes.example':
          return true;
        case 'http://sync-no.example':
          return false;
        case 'http://async-yes.example':
          return new Promise<boolean>((resolve) => setImmediate(() => resolve(true)));
        case 'http://async-no.example':
          return new Promise<boolean>((resolve) => setImmediate(() => resolve(false)));
        case 'http://throws.example':
          throw new Error('origin rule exploded');
        case 'http://rejects.example':
          return Promise.reject(new Error('origin rule rejected'));
        case undefined:
          return request.headers['x-api-key'] === 'let-me-in';
        default:
          return false;
      }
    };

    beforeAll(async () => {
      server = await startApp({ imports: [WampModule.forRoot({ allowedOrigins: rule })], providers: [ApiService] });
    });
    afterAll(() => server?.close());

    it.each(['http://sync-yes.example', 'http://async-yes.example'])('%s is allowed by the rule', async (origin) => {
      await expectAdds(await track(accepted(server.url, { origin })));
    });

    it.each([
      'http://sync-no.example',
      'http://async-no.example',
      'http://throws.example',
      'http://rejects.example',
      'http://other.example',
    ])('%s is refused with HTTP 403', async (origin) => {
      expect(await refusedWith(server.url, { origin })).toBe(403);
    });

    it('the rule decides a missing Origin itself (allowMissingOrigin does not apply) and sees the request', async () => {
      expect(await refusedWith(server.url)).toBe(403);
      await expectAdds(await track(accepted(`${server.url}?from=test`, { headers: { 'x-api-key': 'let-me-in' } })));
      expect(seen).toContainEqual({ origin: undefined, url: '/ws?from=test' });
    });

    it('a rule that threw or rejected leaves the server working', async () => {
      expect(await refusedWith(server.url, { origin: 'http://throws.example' })).toBe(403);
      expect(await refusedWith(server.url, { origin: 'http://rejects.example' })).toBe(403);
      await expectAdds(await track(accepted(server.url, { origin: 'http://sync-yes.example' })));
    });

    it('the subprotocol is checked before the origin rule runs', async () => {
      const before = seen.length;
      expect(await refusedWith(server.url, { origin: 'http://sync-yes.example', protocols: ['foo'] })).toBe(400);
      expect(seen.length).toBe(before);
    });
  });

  describe('path: "/wamp" on the app\'s HTTP server', () => {
    let server: TestServer;
    let base: string;
    beforeAll(async () => {
      server = await startApp(
        { imports: [WampModule.forRoot({ path: '/wamp' })], controllers: [HelloController], providers: [ApiService] },
        '/wamp',
      );
      base = `127.0.0.1:${server.port}`;
    });
    afterAll(() => server?.close());

    it('serves WAMP on the path', async () => {
      await expectAdds(await track(accepted(server.url)));
    });

    it('ignores the query string', async () => {
      const socket = await track(accepted(`ws://${base}/wamp?token=x`));
      await expectAdds(socket);
      expect(server.app.get(WampBroker).session(socket.sessionId)?.handshake.url).toBe('/wamp?token=x');
    });

    it.each(['/ws', '/', '/wamp/', '/wamp/x', '/wampx', '/WAMP', '/hello'])(
      'an upgrade on %s gets HTTP 404 (nothing else serves WebSockets here)',
      async (path) => {
        expect(await refusedWith(`ws://${base}${path}`)).toBe(404);
      },
    );

    it('plain HTTP routes of the app still work', async () => {
      expect(await httpGet(`http://${base}/hello`)).toEqual({ status: 200, body: 'hello' });
    });

    it('WAMP still works after the 404s', async () => {
      expect(await refusedWith(`ws://${base}/elsewhere`)).toBe(404);
      await expectAdds(await track(accepted(server.url)));
    });
  });

  describe('own port: { port: 0, host: "127.0.0.1" }', () => {
    let server: TestServer;
    let closed = false;
    let wampPort: number;
    beforeAll(async () => {
      server = await startApp({
        imports: [WampModule.forRoot({ port: 0, host: '127.0.0.1' })],
        controllers: [HelloController],
        providers: [ApiService],
      });
      const address = server.app.get(WampBroker).address;
      expect(address).toBeDefined();
      wampPort = address!.port;
    });
    afterAll(async () => {
      if (!closed) await server?.close();
    });

    it('WampBroker.address reports the own port, bound to the host', () => {
      const address = server.app.get(WampBroker).address!;
      expect(address.address).toBe('127.0.0.1');
      expect(wampPort).toBeGreaterThan(0);
      expect(wampPort).not.toBe(server.port);
    });

    it('serves WAMP on that port', async () => {
      const socket = await track(accepted(`ws://127.0.0.1:${wampPort}/ws`));
      expect(socket.protocol).toBe('wamp');
      expect(socket.first).toEqual([0, expect.stringMatching(SESSION_ID), 1, `nest-wamp/${NEST_WAMP_VERSION}`]);
      await expectAdds(socket);
    });

    it('a plain HTTP GET on that port gets 426', async () => {
      expect((await httpGet(`http://127.0.0.1:${wampPort}/`)).status).toBe(426);
      expect((await httpGet(`http://127.0.0.1:${wampPort}/ws`)).status).toBe(426);
      expect((await httpGet(`http://127.0.0.1:${wampPort}/hello`)).status).toBe(426);
    });

    it('the handshake rules hold there too: no "wamp" → 400, another path → 404', async () => {
      expect(await refusedWith(`ws://127.0.0.1:${wampPort}/ws`, { protocols: [] })).toBe(400);
      expect(await refusedWith(`ws://127.0.0.1:${wampPort}/other`)).toBe(404);
    });

    it("the app's own HTTP server keeps serving its routes", async () => {
      expect(await httpGet(`http://127.0.0.1:${server.port}/hello`)).toEqual({ status: 200, body: 'hello' });
    });

    it('after app.close() the port refuses connections', async () => {
      const socket = await track(accepted(`ws://127.0.0.1:${wampPort}/ws`));
      closed = true;
      await within(server.close(), 'app.close()', 10_000);
      expect(await socket.closeCode()).toBe(CloseCode.goingAway);
      expect(await tcpConnectError(wampPort)).toBe('ECONNREFUSED');
    });
  });

  describe('shutdown', () => {
    it('app.close() closes each of 3 open sessions with 1001 and resolves', async () => {
      const server = await startApp({ imports: [WampModule.forRoot({})], providers: [ApiService] });
      const sockets = await Promise.all([1, 2, 3].map(() => RawWampSocket.connect(server.url)));
      await Promise.all(sockets.map(expectAdds));
      await within(server.app.close(), 'app.close()', 10_000);
      const codes = await Promise.all(sockets.map((socket) => socket.closeCode()));
      expect(codes).toEqual([CloseCode.goingAway, CloseCode.goingAway, CloseCode.goingAway]);
      expect(await tcpConnectError(server.port)).toBe('ECONNREFUSED');
    });

    it('WampTestClient sees 1001 too, even with a call still pending', async () => {
      const server = await startApp({ imports: [WampModule.forRoot({})], providers: [ApiService] });
      const client = await WampTestClient.connect(server.url);
      const pending = client.call(HOLD);
      const settled = pending.then(
        () => 'resolved',
        (error: Error) => error.message,
      );
      await within(server.app.close(), 'app.close()', 10_000);
      expect((await within(client.closed, 'the client to close')).code).toBe(CloseCode.goingAway);
      expect(await within(settled, 'the pending call to settle')).toBe('connection closed (1001)');
    });

    it('a peer that never answers the close handshake does not hold up app.close() (shutdownGraceMs)', async () => {
      const server = await startApp({ imports: [WampModule.forRoot({ shutdownGraceMs: 200 })], providers: [ApiService] });
      const stuck = await BareWebSocketPeer.connect(server.port);
      const polite = await RawWampSocket.connect(server.url);
      await within(server.app.close(), 'app.close()', 10_000);
      expect(await polite.closeCode()).toBe(CloseCode.goingAway);
      expect(await stuck.closeFrameCode()).toBe(CloseCode.goingAway);
      await within(stuck.ended, 'the stuck peer to be cut off');
      stuck.destroy();
    });
  });
});
