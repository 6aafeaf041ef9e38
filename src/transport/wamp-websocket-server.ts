import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WAMP_SUBPROTOCOL } from '../protocol/message-type.js';
import { errorMessage } from '../core/errors.js';
import type { ThrottledLog } from '../core/throttled-log.js';
import type { HandshakeRefusalKind, WampCounters } from '../core/wamp-counters.js';
import type { WampIdentity } from '../core/wamp-session.js';
import {
  chooseWampProtocol,
  isOriginAllowed,
  parseProtocolHeader,
  requestPath,
  type WampOriginRule,
  type WampSubprotocol,
} from './handshake.js';
import { handshakeProblem, isStillOpen, refuseUpgrade, switchingProtocols, type UpgradeRefusal } from '../websocket/upgrade.js';
import { batchingWrites } from '../core/write-batch.js';
import { type ConnectionLimits, type ConnectionListener, WebSocketConnection } from '../websocket/websocket-connection.js';
import { parseExtensionOffers } from '../websocket/extension-header.js';
import { PerMessageDeflateNegotiator, type PerMessageDeflateOptions } from '../websocket/permessage-deflate.js';

export interface WampTransportOptions {
  readonly path: string;
  readonly maxPayload: number;
  readonly limits: { readonly fragmentsPerMessage: number };
  readonly slowConsumer: { readonly highWaterMark: number; readonly timeoutMs: number };
  readonly allowedOrigins?: WampOriginRule;
  readonly allowMissingOrigin: boolean;
  /** permessage-deflate, offered to clients that ask for it; absent, no extension is negotiated. */
  readonly compression?: PerMessageDeflateOptions;
  /** Whether `wamp.2.json` is accepted beside `wamp`. */
  readonly servesV2: boolean;
}

/**
 * Decides who an upgrade request is before it is accepted: an identity, nothing (the session
 * may authenticate later), or false to refuse it with HTTP 401.
 */
export type UpgradeIdentifier = (request: IncomingMessage) => WampIdentity | false | undefined | Promise<WampIdentity | false | undefined>;

/** An HTTP refusal of a handshake, and why, for the counters and the log. */
interface HandshakeRefusal extends UpgradeRefusal {
  readonly kind: HandshakeRefusalKind;
}

/** What the handshake checks decided: a refusal, or none and maybe an identity. */
type HandshakeVerdict = (refusal: HandshakeRefusal | undefined, identity?: WampIdentity) => void;

const SHUTTING_DOWN: HandshakeRefusal = { kind: 'shutting-down', status: 503, message: 'server shutting down' };
const NO_WAMP_SUBPROTOCOL: HandshakeRefusal = {
  kind: 'no-wamp-subprotocol',
  status: 400,
  message: 'this server only speaks WAMP: offer the "wamp" subprotocol (or "wamp.2.json", when WAMP v2 is on)',
};
const ORIGIN_REFUSED: HandshakeRefusal = { kind: 'origin', status: 403, message: 'origin not allowed' };
const UNAUTHORIZED: HandshakeRefusal = { kind: 'unauthorized', status: 401, message: 'unauthorized' };
const CHECK_FAILED: HandshakeRefusal = { kind: 'check-failed', status: 500, message: 'internal error' };
/** A failing origin rule refuses the origin, as a rule that said no would. */
const ORIGIN_CHECK_FAILED: HandshakeRefusal = { ...ORIGIN_REFUSED, kind: 'check-failed' };
const WRONG_PATH: HandshakeRefusal = { kind: 'wrong-path', status: 404, message: '' };

/**
 * Takes every WebSocket that completed a WAMP handshake: it sets the connection's owner and
 * hears its events from then on.
 */
export interface WampConnectionAcceptor<Owner> extends ConnectionListener<Owner> {
  accept(
    connection: WebSocketConnection<Owner>,
    request: IncomingMessage,
    identity: WampIdentity | undefined,
    protocol: WampSubprotocol,
  ): void;
}

/**
 * The WebSocket side of the server. It accepts an upgrade only on its path, only when the
 * client offers the `wamp` subprotocol (else HTTP 400) and only from an allowed origin (else
 * HTTP 403), and answers with `Sec-WebSocket-Protocol: wamp` (and `Sec-WebSocket-Extensions:
 * permessage-deflate; ...` when the `compression` option is on and the client offered it). It
 * runs on the app's HTTP server or on a port of its own.
 */
export class WampWebSocketServer<Owner = unknown> {
  private readonly detachers: Array<() => void> = [];
  private readonly connectionLimits: ConnectionLimits;
  /** Set when the `compression` option is on. */
  private readonly deflate?: PerMessageDeflateNegotiator;
  /** Upgrade requests whose checks are still running: shutdown does not wait for them. */
  private readonly checking = new Set<Duplex>();
  private ownHttpServer?: Server;
  private closing = false;

  constructor(
    private readonly options: WampTransportOptions,
    private readonly acceptor: WampConnectionAcceptor<Owner>,
    private readonly logger: ThrottledLog,
    private readonly counters: WampCounters,
    private readonly identify?: UpgradeIdentifier,
  ) {
    this.connectionLimits = {
      maxPayload: options.maxPayload,
      maxFragments: options.limits.fragmentsPerMessage,
      highWaterMark: options.slowConsumer.highWaterMark,
      stallTimeoutMs: options.slowConsumer.timeoutMs,
    };
    if (options.compression) this.deflate = new PerMessageDeflateNegotiator(options.compression);
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
        this.refuse(request, socket, WRONG_PATH);
      }
    };
    httpServer.on('upgrade', onUpgrade);
    this.detachers.push(() => httpServer.off('upgrade', onUpgrade));
  }

  /** Serves the path on a port of its own; other HTTP requests get 426 Upgrade Required. */
  async listen(port: number, host?: string): Promise<AddressInfo> {
    const httpServer = createServer((_request, response) => {
      response.writeHead(426, { 'Content-Type': 'text/plain', Connection: 'close' }).end('WAMP over WebSocket only');
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

  /** Runs the handshake checks on an upgrade request for this server's path, then opens the session or refuses. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const problem = handshakeProblem(request);
    if (problem) return this.refuse(request, socket, { ...problem, kind: 'not-websocket' });
    const protocol = chooseWampProtocol(protocolsOf(request), this.options.servesV2);
    let answered = false;
    let waited = false;
    this.verify(request, protocol, (refusal, identity) => {
      answered = true;
      if (waited) {
        socket.off('error', destroyOnError);
        this.checking.delete(socket);
      }
      if (refusal) return this.refuse(request, socket, refusal);
      // While a check ran, the client may have gone.
      if (waited && !isStillOpen(socket)) return void socket.destroy();
      this.open(request, socket as Socket, head, protocol!, identity);
    });
    if (answered) return;
    // A check is still running: until it answers, an error (a reset) just ends the socket.
    waited = true;
    socket.on('error', destroyOnError);
    this.checking.add(socket);
    socket.once('close', () => this.checking.delete(socket));
  }

  private open(
    request: IncomingMessage,
    socket: Socket,
    head: Buffer,
    protocol: WampSubprotocol,
    identity: WampIdentity | undefined,
  ): void {
    // Without the compression option the client's extension offers are not even read.
    const deflate = this.deflate?.negotiate(parseExtensionOffers(request.headers['sec-websocket-extensions']));
    const answer = switchingProtocols(request, protocol.token, deflate?.response);
    const connection = new WebSocketConnection(socket, this.acceptor, this.connectionLimits, answer, deflate?.codec);
    batchingWrites(() => {
      try {
        this.acceptor.accept(connection, request, identity, protocol);
      } catch (error) {
        // A bug, but it runs inside the HTTP server's upgrade event: it must not take the process down.
        this.logger.limitedError('session-failed', `opening a session failed: ${errorMessage(error)}`, (error as Error)?.stack);
        return connection.discard();
      }
      connection.start(head);
    });
  }

  /**
   * Stops listening for upgrades on the HTTP server, and refuses (HTTP 503) any handshake still
   * being checked or reaching this server through another adapter.
   */
  stopAccepting(): void {
    this.closing = true;
    for (const detach of this.detachers.splice(0)) detach();
  }

  /**
   * Releases the own port; the sessions are closed by then. Nothing a client does can hold it
   * open: handshakes whose checks still run and the own port's other connections (a half-sent
   * request, an idle keep-alive) are cut.
   */
  async close(): Promise<void> {
    this.stopAccepting();
    for (const socket of this.checking) socket.destroy();
    this.checking.clear();
    const httpServer = this.ownHttpServer;
    if (!httpServer) return;
    const closed = new Promise((resolve) => httpServer.close(resolve));
    httpServer.closeAllConnections();
    await closed;
  }

  /**
   * The handshake checks, in order: subprotocol (400: `protocol`, the client's token for `wamp`
   * or `wamp.2.json`, is missing), origin (403), identity (401); `answer` gets a refusal or the identity.
   */
  private verify(request: IncomingMessage, protocol: WampSubprotocol | undefined, answer: HandshakeVerdict): void {
    // Checks may answer later (async origin or handshake hooks): shutdown may have begun meanwhile.
    const done: HandshakeVerdict = (refusal, identity) => answer(refusal ?? (this.closing ? SHUTTING_DOWN : undefined), identity);
    if (this.closing) return done(SHUTTING_DOWN);
    if (protocol === undefined) return done(NO_WAMP_SUBPROTOCOL);
    this.step(
      'allowedOrigins',
      () => isOriginAllowed(request, this.options.allowedOrigins, this.options.allowMissingOrigin),
      (allowed) => (allowed ? this.checkIdentity(request, done) : done(ORIGIN_REFUSED)),
      () => done(ORIGIN_CHECK_FAILED),
    );
  }

  private checkIdentity(request: IncomingMessage, done: HandshakeVerdict): void {
    const identify = this.identify;
    if (!identify) return done(undefined);
    this.step(
      'auth.handshake',
      () => identify(request),
      (identity) => (identity === false ? done(UNAUTHORIZED) : done(undefined, identity)),
      () => done(CHECK_FAILED),
    );
  }

  /** Answers a handshake with an HTTP error: counted by kind, and logged at debug (a client can provoke it at will). */
  private refuse(request: IncomingMessage, socket: Duplex, refusal: HandshakeRefusal): void {
    this.counters.refuseHandshake(refusal.kind);
    this.logger.debug(
      `WebSocket handshake refused (${refusal.kind}, HTTP ${refusal.status}): ${request.method} ${request.url} from ${request.socket.remoteAddress ?? '?'}, origin ${request.headers.origin ?? '(none)'}`,
    );
    refuseUpgrade(socket, refusal);
  }

  /** Runs a check that may be sync or async; a throw or rejection is logged and `onError` answers. */
  private step<T>(name: string, check: () => T | Promise<T>, onResult: (result: T) => void, onError: () => void): void {
    const fail = (error: unknown): void => {
      this.logger.limitedError(
        'handshake-check-failed',
        `${name} failed during a handshake: ${errorMessage(error)}`,
        (error as Error)?.stack,
      );
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

/** The protocols the client offered; the common single `wamp` skips parsing. */
function protocolsOf(request: IncomingMessage): readonly string[] {
  const offered = request.headers['sec-websocket-protocol'];
  return offered === WAMP_SUBPROTOCOL ? ONLY_WAMP : parseProtocolHeader(offered);
}

const ONLY_WAMP: readonly string[] = [WAMP_SUBPROTOCOL];

function destroyOnError(this: Duplex): void {
  this.destroy();
}
