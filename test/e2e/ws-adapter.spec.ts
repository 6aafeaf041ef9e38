import { jest } from '@jest/globals';
import { Injectable, Logger } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { WampModule, WampRpc } from '../../src/index.js';
import { WampWsAdapter } from '../../src/platform-ws/index.js';
import { WampTestClient } from '../../src/testing/index.js';

@WebSocketGateway({ path: '/gateway' })
class EchoGateway {
  @SubscribeMessage('echo')
  echo(_client: unknown, data: unknown) {
    return { event: 'echo', data };
  }
}

@Injectable()
class Ping {
  @WampRpc('http://example.com/api#ping')
  ping() {
    return 'pong';
  }
}

/** One JSON message over Nest's plain ws gateway protocol. */
function gatewayEcho(url: string, data: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    const timer = setTimeout(() => reject(new Error('no gateway answer')), 3000);
    socket.once('open', () => socket.send(JSON.stringify({ event: 'echo', data })));
    socket.once('message', (message) => {
      clearTimeout(timer);
      socket.close();
      resolve(JSON.parse(message.toString()));
    });
    socket.once('error', reject);
  });
}

describe('WampWsAdapter: WAMP next to @nestjs/platform-ws gateways on one port', () => {
  it('serves both the gateway path and the WAMP path', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [WampModule.forRoot({})],
      providers: [EchoGateway, Ping],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    app.useWebSocketAdapter(new WampWsAdapter(app));
    await app.listen(0, '127.0.0.1');
    try {
      const { port } = app.getHttpServer().address() as AddressInfo;
      expect(await gatewayEcho(`ws://127.0.0.1:${port}/gateway`, 42)).toEqual({ event: 'echo', data: 42 });
      const client = await WampTestClient.connect(`ws://127.0.0.1:${port}/ws`);
      expect(await client.call('http://example.com/api#ping')).toBe('pong');
      await client.close();
    } finally {
      await app.close();
    }
  });

  it('lets WAMP serve its own path when the app has no gateway', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [WampModule.forRoot({})], providers: [Ping] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    app.useWebSocketAdapter(new WampWsAdapter(app));
    await app.listen(0, '127.0.0.1');
    try {
      const { port } = app.getHttpServer().address() as AddressInfo;
      const client = await WampTestClient.connect(`ws://127.0.0.1:${port}/ws`);
      expect(await client.call('http://example.com/api#ping')).toBe('pong');
      await client.close();
    } finally {
      await app.close();
    }
  });
});

describe("Nest's plain WsAdapter with a gateway on the same HTTP server", () => {
  it('is detected at bootstrap: a warning names the fix (WampWsAdapter)', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const moduleRef = await Test.createTestingModule({ imports: [WampModule.forRoot({})], providers: [EchoGateway, Ping] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    app.useWebSocketAdapter(new WsAdapter(app));
    try {
      await app.listen(0, '127.0.0.1');
      expect(warn.mock.calls.some(([message]) => String(message).includes('new WampWsAdapter(app)'))).toBe(true);
    } finally {
      warn.mockRestore();
      await app.close();
    }
  });

  it('WampWsAdapter gets no such warning', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const moduleRef = await Test.createTestingModule({ imports: [WampModule.forRoot({})], providers: [EchoGateway, Ping] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    app.useWebSocketAdapter(new WampWsAdapter(app));
    try {
      await app.listen(0, '127.0.0.1');
      expect(warn.mock.calls.some(([message]) => String(message).includes('WampWsAdapter'))).toBe(false);
    } finally {
      warn.mockRestore();
      await app.close();
    }
  });
});
