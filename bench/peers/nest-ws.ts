import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { WsAdapter } from '@nestjs/platform-ws';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { AddressInfo } from 'node:net';
import type { WebSocket } from 'ws';

/** The same framework without WAMP: a `@nestjs/platform-ws` gateway with `@SubscribeMessage` handlers. */
@WebSocketGateway()
class BenchGateway {
  private readonly subscribers = new Set<WebSocket>();

  @SubscribeMessage('echo')
  echo(@MessageBody() data: unknown) {
    return { event: 'echo', data };
  }

  @SubscribeMessage('subscribe')
  subscribe(@ConnectedSocket() client: WebSocket) {
    this.subscribers.add(client);
    client.once('close', () => this.subscribers.delete(client));
    return { event: 'subscribed', data: 1 };
  }

  @SubscribeMessage('publish')
  publish(@MessageBody() data: unknown) {
    const event = JSON.stringify({ event: 'event', data });
    for (const subscriber of this.subscribers) subscriber.send(event);
  }
}

@Module({ providers: [BenchGateway] })
class BenchModule {}

export async function startNestWs(): Promise<number> {
  const app = await NestFactory.create(BenchModule, { logger: false });
  app.useWebSocketAdapter(new WsAdapter(app));
  await app.listen(0, '127.0.0.1');
  return (app.getHttpServer().address() as AddressInfo).port;
}
