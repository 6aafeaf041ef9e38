import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { connect as netConnect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { WampBroker, WampModule } from '../../src/index.js';
import { BareWebSocketPeer } from '../support/raw-wamp-socket.js';
import { within } from '../support/until.js';

/**
 * Shutdown ends whatever clients do: a half-sent HTTP request, a handshake whose async check never
 * answers, and a WAMP peer that reads nothing cannot hold `app.close()` open.
 */
const SHUTDOWN_BOUND_MS = 5000;

/** A TCP connection that sends the start of an HTTP request and then nothing. */
async function halfSentRequest(port: number, path = '/'): Promise<Socket> {
  const socket = netConnect({ port, host: '127.0.0.1' });
  socket.on('error', () => undefined);
  await within(new Promise((resolve) => socket.once('connect', resolve)), 'a TCP connection');
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Never-Ends: `);
  return socket;
}

/** An upgrade request that waits on the (never answering) origin check. */
async function pendingHandshake(port: number): Promise<Socket> {
  const socket = netConnect({ port, host: '127.0.0.1' });
  socket.on('error', () => undefined);
  await within(new Promise((resolve) => socket.once('connect', resolve)), 'a TCP connection');
  socket.write(
    'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: wamp\r\nOrigin: http://slow.example\r\n\r\n',
  );
  return socket;
}

const neverAnswers = (origin: string | undefined): boolean | Promise<boolean> =>
  origin === 'http://slow.example' ? new Promise<boolean>(() => undefined) : true;

describe('shutdown ends in bounded time whatever clients hold open', () => {
  it('on its own port (port: 0): half-sent requests, pending handshakes and a peer that reads nothing are cut', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [WampModule.forRoot({ port: 0, host: '127.0.0.1', allowedOrigins: neverAnswers, shutdownGraceMs: 200 })],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const port = app.get(WampBroker).address!.port;
    const sockets = [await halfSentRequest(port), await pendingHandshake(port)];
    const stuck = await BareWebSocketPeer.connect(port);
    stuck.socket.pause();
    await within(app.close(), 'app.close()', SHUTDOWN_BOUND_MS);
    await within(
      Promise.all(
        sockets.map((socket) => new Promise((resolve) => (socket.destroyed ? resolve(undefined) : socket.once('close', resolve)))),
      ),
      'every client socket closed',
    );
    stuck.destroy();
  });

  it("on the application's port with Nest's forceCloseConnections: a half-sent request does not hold the HTTP server", async () => {
    @Module({ imports: [WampModule.forRoot({ allowedOrigins: neverAnswers, shutdownGraceMs: 200 })] })
    class AppModule {}
    const app = await NestFactory.create(AppModule, { logger: false, forceCloseConnections: true });
    await app.listen(0, '127.0.0.1');
    const port = (app.getHttpServer().address() as AddressInfo).port;
    const sockets = [await halfSentRequest(port), await pendingHandshake(port)];
    const stuck = await BareWebSocketPeer.connect(port);
    stuck.socket.pause();
    await within(app.close(), 'app.close()', SHUTDOWN_BOUND_MS);
    for (const socket of sockets) socket.destroy();
    stuck.destroy();
  });
});
