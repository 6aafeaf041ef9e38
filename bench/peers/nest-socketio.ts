import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import type { AddressInfo } from 'node:net';
import type { Server, Socket } from 'socket.io';

/** What Nest users pick instead: a `@nestjs/platform-socket.io` gateway (acks from return values). */
@WebSocketGateway({ transports: ['websocket'], perMessageDeflate: false, serveClient: false })
class BenchGateway {
  @WebSocketServer() server!: Server;

  @SubscribeMessage('echo')
  echo(@MessageBody() data: unknown) {
    return data;
  }

  @SubscribeMessage('subscribe')
  async subscribe(@ConnectedSocket() client: Socket) {
    await client.join('room');
    return 1;
  }

  @SubscribeMessage('publish')
  publish(@MessageBody() data: unknown) {
    this.server.to('room').emit('event', data);
  }
}

@Module({ providers: [BenchGateway] })
class BenchModule {}

export async function startNestSocketIo(): Promise<number> {
  const app = await NestFactory.create(BenchModule, { logger: false });
  app.useWebSocketAdapter(new IoAdapter(app));
  await app.listen(0, '127.0.0.1');
  return (app.getHttpServer().address() as AddressInfo).port;
}
