import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { CloseCode } from '../protocol/decode.js';
import { errorMessage } from '../router/call-error.js';
import type { WampCounters } from '../engine/wamp-counters.js';
import type { WampLogger } from '../router/wamp-logger.js';
import type { WampRouter } from '../router/wamp-router.js';
import type { ServerSession } from '../session/server-session.js';
import type { WampHandshake, WampIdentity } from '../session/wamp-session.js';

/**
 * Runs WAMP sessions over accepted WebSockets until they close. One binder serves every
 * connection, so a session costs two small listeners and nothing else.
 */
export class SessionBinder {
  constructor(
    private readonly router: WampRouter,
    private readonly logger: WampLogger,
    /** Listen for pongs (only when the heartbeat is on: a listener per session costs memory). */
    private readonly heartbeat: boolean,
    private readonly counters: WampCounters,
  ) {}

  bind(ws: WebSocket, request: IncomingMessage, identity: WampIdentity | undefined): void {
    const session = this.router.open(ws, handshakeOf(request), identity);
    ws.on('message', (data, isBinary) => this.receive(session, data as Buffer, isBinary));
    ws.on('close', (code, reason) => this.router.closed(session, code, reason.toString()));
    ws.on('error', this.onSocketError);
    if (this.heartbeat) ws.on('pong', () => session.pong());
  }

  private receive(session: ServerSession, data: Buffer, isBinary: boolean): void {
    try {
      this.router.receive(session, data, isBinary);
    } catch (error) {
      // The router handles every input; reaching here is a bug, and it must not take the process down.
      this.logger.error(`session ${session.id}: ${errorMessage(error)}`, (error as Error)?.stack);
      session.close(CloseCode.internalError, 'internal error');
    }
  }

  /**
   * `ws` reports a broken connection, or a frame it refused (over `maxPayload`: 1009; invalid
   * UTF-8: 1007), here and then closes it; the close listener cleans up.
   */
  private readonly onSocketError = (error: Error & { code?: string }): void => {
    if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.counters.refuse('oversize');
    else if (error.code?.startsWith('WS_ERR_')) this.counters.refuse('malformed');
    this.logger.debug(`WebSocket error: ${errorMessage(error)}`);
  };
}

/** Headers of the upgrade itself, of no use once the WebSocket is open: not kept. */
const UPGRADE_HEADERS = new Set([
  'connection',
  'upgrade',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'sec-websocket-protocol',
]);

/** What a session keeps of its upgrade request: the URL, the client's address, and the headers but the upgrade's own. */
export function handshakeOf(request: IncomingMessage): WampHandshake {
  const headers: IncomingHttpHeaders = {};
  for (const name in request.headers) {
    if (!UPGRADE_HEADERS.has(name)) headers[name] = request.headers[name];
  }
  return { url: request.url ?? '/', headers, remoteAddress: request.socket.remoteAddress };
}
