import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

/**
 * The practical limit: `ws` with JSON messages and no framework. `{"i":id,"d":data}` is echoed;
 * `{"s":1}` subscribes; `{"p":data}` sends `{"e":data}` to every subscriber (serialized once).
 */
export async function startRawWs(welcome = false): Promise<number> {
  const http = createServer();
  const server = new WebSocketServer({ server: http, perMessageDeflate: false });
  const subscribers = new Set<WebSocket>();
  server.on('connection', (socket) => {
    if (welcome) socket.send('{"w":1}');
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { i?: number; d?: unknown; s?: number; p?: unknown };
      if (message.i !== undefined) {
        socket.send(JSON.stringify({ i: message.i, d: message.d }));
      } else if (message.s !== undefined) {
        subscribers.add(socket);
        socket.send('{"s":1}');
      } else if (message.p !== undefined) {
        const event = JSON.stringify({ e: message.p });
        for (const subscriber of subscribers) subscriber.send(event);
      }
    });
    socket.on('close', () => subscribers.delete(socket));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return (http.address() as AddressInfo).port;
}
