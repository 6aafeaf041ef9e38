import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

/**
 * The practical limit: `ws` with JSON messages and no framework. `{"i":id,"d":data}` is echoed;
 * `{"s":1}` subscribes; `{"p":data}` sends `{"e":data}` to every subscriber (serialized once).
 * Named rooms, for the scale scenarios: `{"s":1,"t":room}` joins one (acknowledged with `{"s":1}`),
 * `{"u":room}` leaves it, `{"p":data,"t":room}` sends `{"e":data}` to its members.
 */
export async function startRawWs(welcome = false): Promise<number> {
  const http = createServer();
  const server = new WebSocketServer({ server: http, perMessageDeflate: false });
  const subscribers = new Set<WebSocket>();
  const rooms = new Map<string, Set<WebSocket>>();
  /** The rooms of each socket that joined any, to leave them on close. */
  const joined = new Map<WebSocket, Set<string>>();
  const leave = (socket: WebSocket, room: string) => {
    const members = rooms.get(room);
    if (!members?.delete(socket)) return;
    if (members.size === 0) rooms.delete(room);
    joined.get(socket)?.delete(room);
  };
  server.on('connection', (socket) => {
    if (welcome) socket.send('{"w":1}');
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { i?: number; d?: unknown; s?: number; p?: unknown; t?: string; u?: string };
      if (message.i !== undefined) {
        socket.send(JSON.stringify({ i: message.i, d: message.d }));
      } else if (message.s !== undefined) {
        if (message.t === undefined) {
          subscribers.add(socket);
        } else {
          let members = rooms.get(message.t);
          if (!members) rooms.set(message.t, (members = new Set()));
          members.add(socket);
          let own = joined.get(socket);
          if (!own) joined.set(socket, (own = new Set()));
          own.add(message.t);
        }
        socket.send('{"s":1}');
      } else if (message.p !== undefined) {
        const event = JSON.stringify({ e: message.p });
        for (const subscriber of message.t === undefined ? subscribers : (rooms.get(message.t) ?? [])) subscriber.send(event);
      } else if (message.u !== undefined) {
        leave(socket, message.u);
      }
    });
    socket.on('close', () => {
      subscribers.delete(socket);
      for (const room of joined.get(socket) ?? []) leave(socket, room);
      joined.delete(socket);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return (http.address() as AddressInfo).port;
}
