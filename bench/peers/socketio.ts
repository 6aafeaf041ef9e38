import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';

/** Socket.IO 4: ack echo and room broadcast; with a Redis URL, the Redis adapter joins instances. */
export async function startSocketIo(redisUrl?: string, channelPrefix = 'socket.io'): Promise<number> {
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, serveClient: false });
  if (redisUrl) {
    const publisher = new Redis(redisUrl);
    io.adapter(createAdapter(publisher, publisher.duplicate(), { key: channelPrefix }));
  }
  io.on('connection', (socket) => {
    socket.on('echo', (data: unknown, ack: (reply: unknown) => void) => ack(data));
    socket.on('subscribe', (ack: (reply: unknown) => void) => {
      void socket.join('room');
      ack(1);
    });
    socket.on('publish', (data: unknown) => io.to('room').emit('event', data));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return (http.address() as AddressInfo).port;
}
