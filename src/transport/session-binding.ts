import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { CloseCode } from '../protocol/decode.js';
import { errorMessage } from '../router/call-error.js';
import type { WampLogger } from '../router/wamp-logger.js';
import type { WampRouter } from '../router/wamp-router.js';
import type { SessionSocket } from '../session/session-socket.js';
import type { WampHandshake, WampIdentity } from '../session/wamp-session.js';

const TEXT_FRAME = { binary: false } as const;

/** Runs a WAMP session over an accepted WebSocket until it closes. */
export function bindSession(
  router: WampRouter,
  ws: WebSocket,
  request: IncomingMessage,
  identity: WampIdentity | undefined,
  logger: WampLogger,
): void {
  const socket: SessionSocket = {
    send: (frame) => ws.send(frame, TEXT_FRAME),
    close: (code, reason) => ws.close(code, reason),
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
  };
  const session = router.open(socket, handshakeOf(request), identity);
  ws.on('message', (data, isBinary) => {
    try {
      router.receive(session, data as Buffer, isBinary);
    } catch (error) {
      // The router handles every input; reaching here is a bug, and it must not take the process down.
      logger.error(`session ${session.id}: ${errorMessage(error)}`, (error as Error)?.stack);
      session.close(CloseCode.internalError, 'internal error');
    }
  });
  ws.once('close', (code, reason) => router.closed(session, code, reason.toString()));
  ws.on('error', (error) => logger.debug(`session ${session.id}: ${errorMessage(error)}`));
}

export function handshakeOf(request: IncomingMessage): WampHandshake {
  return { url: request.url ?? '/', headers: request.headers, remoteAddress: request.socket.remoteAddress };
}
