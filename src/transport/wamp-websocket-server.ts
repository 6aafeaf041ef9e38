import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { WAMP_SUBPROTOCOL } from '../protocol/message-type.js';
import { errorMessage } from '../router/call-error.js';
import type { WampLogger } from '../router/wamp-logger.js';
import type { WampIdentity } from '../session/wamp-session.js';
import { isOriginAllowed, offeredWampProtocol, parseProtocolHeader, requestPath, type WampOriginRule } from './handshake.js';

export interface WampTransportOptions {
  readonly path: string;
  readonly maxPayload: number;
  readonly allowedOrigins?: WampOriginRule;
  readonly allowMissingOrigin: boolean;
}

/**
 * Decides who an upgrade request is before it is accepted: an identity, nothing (the session
 * may authenticate later), or false to refuse it with HTTP 401.
 */
export type UpgradeIdentifier = (
  request: IncomingMessage,
) => WampIdentity | false | undefined | Promise<WampIdentity | false | undefined>;

/** Called for every WebSocket that completed a WAMP handshake. */
export type WampConnectionListener = (socket: WebSocket, request: IncomingMessage, identity: WampIdentity | undefined) => void;

type VerifyCallback = (result: boolean, code?: number, message?: string) => void;

/**
 * The WebSocket side of the server, on `ws`. It accepts an upgrade only on its path, only when
 * the client offers the `wamp` subprotocol (else HTTP 400) and only from an allowed origin
 * (else HTTP 403), and answers with `Sec-WebSocket-Protocol: wamp`. It runs on the app's HTTP
 * server or on a port of its own, and closes every session on shutdown.
 */
export class WampWebSocketServer {
  readonly server: WebSocketServer;
  private readonly detachers: Array<() => void> = [];
  private ownHttpServer?: Server;
  private closing = false;
  /** Identities decided during the handshake, until the connection they belong to opens. */
  private readonly identities = new WeakMap<IncomingMessage, WampIdentity>();

  constructor(
    private readonly options: WampTransportOptions,
    onConnection: WampConnectionListener,
    private readonly logger: WampLogger,
    private readonly identify?: UpgradeIdentifier,
  ) {
    this.server = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxPayload,
      perMessageDeflate: false,
      // The session registry knows every connection; a second list would cost memory per session.
      clientTracking: false,
      verifyClient: ({ req }: { req: IncomingMessage }, done: VerifyCallback) => this.verify(req, done),
      handleProtocols: (protocols: Set<string>) => offeredWampProtocol(protocols) ?? false,
    });
    this.server.on('connection', (socket: WebSocket, request: IncomingMessage) => {
      const identity = this.identities.get(request);
      this.identities.delete(request);
      onConnection(socket, request, identity);
    });
    this.server.on('error', (error) => this.logger.error(`WebSocket server error: ${errorMessage(error)}`));
  }

  get path(): string {
    return this.options.path;
  }

  /** Serves the path on an HTTP server that also serves other things (the app's). */
  attach(httpServer: Server): void {
    const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
      if (requestPath(request) === this.options.path) {
        this.handleUpgrade(request, socket, head);
      } else if (httpServer.listenerCount('upgrade') === 1) {
        // Nobody else serves WebSockets here: answer rather than leave the client hanging.
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      }
    };
    httpServer.on('upgrade', onUpgrade);
    this.detachers.push(() => httpServer.off('upgrade', onUpgrade));
  }

  /** Serves the path on a port of its own; other HTTP requests get 426 Upgrade Required. */
  async listen(port: number, host?: string): Promise<AddressInfo> {
    const httpServer = createServer((_request, response) => {
      response.writeHead(426, { 'Content-Type': 'text/plain', Connection: 'close' }).end('WAMP v1 over WebSocket only');
    });
    this.attach(httpServer);
    this.ownHttpServer = httpServer;
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(port, host, () => {
        httpServer.off('error', reject);
        resolve();
      });
    });
    return httpServer.address() as AddressInfo;
  }

  /** The own port's address, when `listen` was used. */
  address(): AddressInfo | undefined {
    return (this.ownHttpServer?.address() as AddressInfo | null) ?? undefined;
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    // When the handshake completes synchronously, the 101 answer and WELCOME leave in one write.
    socket.cork();
    this.server.handleUpgrade(request, socket, head, (ws) => this.server.emit('connection', ws, request));
    socket.uncork();
  }

  /**
   * Stops listening for upgrades on the HTTP server, and refuses (HTTP 503) any handshake still
   * being checked or reaching this server through another adapter.
   */
  stopAccepting(): void {
    this.closing = true;
    for (const detach of this.detachers.splice(0)) detach();
  }

  /** Releases the WebSocket server and the own port; the sessions are closed by then. */
  async close(): Promise<void> {
    this.stopAccepting();
    await new Promise((resolve) => this.server.close(resolve));
    const httpServer = this.ownHttpServer;
    if (httpServer) await new Promise((resolve) => httpServer.close(resolve));
  }

  /** The handshake checks, in order: subprotocol (400), origin (403), identity (401). */
  private verify(request: IncomingMessage, answer: VerifyCallback): void {
    // Checks may answer later (async origin or handshake hooks): shutdown may have begun meanwhile.
    const done: VerifyCallback = (result, code, message) =>
      result && this.closing ? answer(false, 503, 'server shutting down') : answer(result, code, message);
    if (this.closing) return done(false, 503, 'server shutting down');
    const offered = request.headers['sec-websocket-protocol'];
    if (offered !== WAMP_SUBPROTOCOL && !offeredWampProtocol(parseProtocolHeader(offered))) {
      return done(false, 400, 'this server only speaks WAMP: offer the "wamp" subprotocol');
    }
    const refuse = (code: number, message: string) => (): void => done(false, code, message);
    this.step(
      'allowedOrigins',
      () => isOriginAllowed(request, this.options.allowedOrigins, this.options.allowMissingOrigin),
      (allowed) => (allowed ? this.checkIdentity(request, done) : done(false, 403, 'origin not allowed')),
      refuse(403, 'origin not allowed'),
    );
  }

  private checkIdentity(request: IncomingMessage, done: VerifyCallback): void {
    const identify = this.identify;
    if (!identify) return done(true);
    this.step(
      'auth.handshake',
      () => identify(request),
      (identity) => {
        if (identity === false) return done(false, 401, 'unauthorized');
        if (identity) this.identities.set(request, identity);
        done(true);
      },
      () => done(false, 500, 'internal error'),
    );
  }

  /** Runs a check that may be sync or async; a throw or rejection is logged and `onError` answers. */
  private step<T>(name: string, check: () => T | Promise<T>, onResult: (result: T) => void, onError: () => void): void {
    const fail = (error: unknown): void => {
      this.logger.error(`${name} failed during a handshake: ${errorMessage(error)}`, (error as Error)?.stack);
      onError();
    };
    let result: T | Promise<T>;
    try {
      result = check();
    } catch (error) {
      return fail(error);
    }
    if (result instanceof Promise) result.then(onResult, fail);
    else onResult(result);
  }
}
