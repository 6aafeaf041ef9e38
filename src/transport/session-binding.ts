import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { CloseCode } from '../core/close-codes.js';
import { errorMessage } from '../core/errors.js';
import type { WampCounters } from '../core/wamp-counters.js';
import type { WampHooks } from '../router/wamp-hooks.js';
import type { ThrottledLog } from '../core/throttled-log.js';
import type { WampRouter } from '../router/wamp-router.js';
import type { ServerSession } from '../session/server-session.js';
import type { WampHandshake, WampIdentity, WampProtocolVersion } from '../core/wamp-session.js';
import type { Wamp2Router } from '../router/v2/wamp2-router.js';
import type { WampSubprotocol } from './handshake.js';
import type { WampConnectionAcceptor } from './wamp-websocket-server.js';
import type { WebSocketConnection } from '../websocket/websocket-connection.js';
import type { FrameTrace } from './frame-trace.js';

type SessionConnection = WebSocketConnection<ServerSession>;

/**
 * Runs WAMP sessions over accepted WebSockets until they close. One binder serves every
 * connection: a session costs its connection and nothing else.
 */
export class SessionBinder implements WampConnectionAcceptor<ServerSession> {
  constructor(
    private readonly router: WampRouter,
    /** The WAMP v2 router; none when v2 is off (the transport then never accepts `wamp.2.json`). */
    private readonly router2: Wamp2Router | undefined,
    private readonly logger: ThrottledLog,
    private readonly counters: WampCounters,
    private readonly hooks: WampHooks,
    /** The frame trace (the `trace` option); none when it is off. */
    private readonly trace?: FrameTrace,
  ) {}

  accept(connection: SessionConnection, request: IncomingMessage, identity: WampIdentity | undefined, protocol: WampSubprotocol): void {
    // Close hooks run when the socket can no longer tell the client's address: read it now for them.
    const handshake = new UpgradeHandshake(request, this.hooks.observedByApp('onWampSessionClose'));
    this.trace?.opening(connection);
    connection.owner = this.routerOf(protocol.version).open(connection, handshake, identity);
    this.trace?.opened(connection);
  }

  message(connection: SessionConnection, payload: Buffer, isBinary: boolean): void {
    const session = connection.owner;
    // A traced session's connection carries its trace.
    if (connection.tap !== undefined) this.trace!.received(connection, payload, isBinary);
    try {
      this.routerOf(session.protocolVersion).receive(session, payload, isBinary);
    } catch (error) {
      // The router handles every input; reaching here is a bug, and it must not take the process down.
      this.logger.limitedError('session-failed', `session ${session.id}: ${errorMessage(error)}`, (error as Error)?.stack);
      session.close(CloseCode.internalError, 'internal error');
    }
  }

  pong(connection: SessionConnection): void {
    connection.owner.pong();
  }

  /** A frame the WebSocket layer refused (over `maxPayload`: 1009; invalid UTF-8: 1007; else 1002); the connection is closing. */
  violation(connection: SessionConnection, code: number, reason: string): void {
    this.counters.refuse(code === CloseCode.messageTooBig ? 'oversize' : 'malformed');
    this.logger.debug(`session ${connection.owner.id}: WebSocket protocol violation (${code}): ${reason}`);
  }

  /** The peer read nothing of a backlog above `slowConsumer.highWaterMark` for `slowConsumer.timeoutMs`: it is cut. */
  stalled(connection: SessionConnection, backlog: number): void {
    this.counters.refuse('slow-consumer');
    this.logger.limitedWarn(
      'slow-consumer-cut',
      `session ${connection.owner.id} cut off: it read nothing of ${backlog} bytes waiting for it (slowConsumer.timeoutMs)`,
    );
  }

  closed(connection: SessionConnection, code: number, reason: string): void {
    this.routerOf(connection.owner.protocolVersion).closed(connection.owner, code, reason);
  }

  private routerOf(version: WampProtocolVersion): WampRouter | Wamp2Router {
    return version === 2 ? this.router2! : this.router;
  }
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

/**
 * What a session keeps of its upgrade request: the URL, the headers but the upgrade's own, and
 * the client's address. The address costs a system call that most sessions never need, so it is
 * read when first asked for; the socket answers only while it is connected, hence `readAddressNow`.
 */
export class UpgradeHandshake implements WampHandshake {
  readonly url: string;
  readonly headers: IncomingHttpHeaders = {};
  #socket: Socket | undefined;
  #address: string | undefined = undefined;

  constructor(request: IncomingMessage, readAddressNow: boolean) {
    this.url = request.url ?? '/';
    for (const name in request.headers) {
      if (!UPGRADE_HEADERS.has(name)) this.headers[name] = request.headers[name];
    }
    this.#socket = request.socket;
    if (readAddressNow) void this.remoteAddress;
  }

  get remoteAddress(): string | undefined {
    if (this.#socket) {
      this.#address = this.#socket.remoteAddress;
      this.#socket = undefined;
    }
    return this.#address;
  }

  toJSON(): WampHandshake {
    return { url: this.url, headers: this.headers, remoteAddress: this.remoteAddress };
  }
}
