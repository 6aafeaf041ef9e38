import type { Server } from 'node:http';
import { AccessPolicy } from '../router/access-policy.js';
import { WampBroker } from '../broker/wamp-broker.js';
import { CraAuthenticator } from '../auth/cra-authenticator.js';
import { Wamp2Authenticator } from '../auth/wamp2-authenticator.js';
import { permissionsProblem } from '../permissions/permissions.js';
import type { ResolvedAuthOptions } from '../auth/resolve-auth-options.js';
import type { ResolvedWampOptions } from '../config/resolve-options.js';
import { CloseCode } from '../core/close-codes.js';
import type { WampBackplane } from '../pubsub/backplane.js';
import { EventDispatcher } from '../pubsub/event-dispatcher.js';
import { TopicIndex } from '../pubsub/topic-index.js';
import { HandlerRegistry } from '../router/handler-registry.js';
import { ThrottledLog } from '../core/throttled-log.js';
import { WampHooks } from '../router/wamp-hooks.js';
import type { WampLogger } from '../core/wamp-logger.js';
import { WAMP_CALL_OUTCOMES, WampCounters, type WampBackplaneState, type WampServerState, type WampStats } from '../core/wamp-counters.js';
import { WampRouter } from '../router/wamp-router.js';
import { Wamp2Router } from '../router/v2/wamp2-router.js';
import { callErrorMapper, type CallErrorMapper } from '../router/call-error.js';
import { SessionRegistry } from '../session/session-registry.js';
import type { ServerSession } from '../session/server-session.js';
import { SessionBinder } from '../transport/session-binding.js';
import { frameTrace } from '../transport/frame-trace.js';
import { type UpgradeIdentifier, WampWebSocketServer } from '../transport/wamp-websocket-server.js';

/**
 * Something that already serves WebSocket upgrades on the app's HTTP server (`WampWsAdapter`)
 * and can serve WAMP's path too; it returns false when it does not listen there after all.
 */
export interface WampUpgradeDelegate {
  serveWamp(transport: WampWebSocketServer): boolean;
}

/** Where an adapter that already serves upgrades on the app's HTTP server offers to serve WAMP's path (`WampWsAdapter`). */
export abstract class WampUpgradeHost {
  abstract delegateUpgrades(delegate: WampUpgradeDelegate): void;
}

/**
 * One WAMP server, and the one owner of its runtime state: the handler registry, sessions,
 * topic index, router and WebSocket transport, wired together. The Nest module owns one per
 * application and hands each consumer only the part it needs: the broker its `WampBroker`, the
 * permission guard the `AccessPolicy`, the explorer the registry, hooks and log, the WebSocket
 * adapter the `WampUpgradeHost` side, and the server host `start` and `stop`.
 */
export class WampEngine implements WampUpgradeHost {
  readonly handlers = new HandlerRegistry();
  /** The logger, with the lines clients can provoke rate limited. */
  readonly log: ThrottledLog;
  readonly hooks: WampHooks;
  readonly access: AccessPolicy;
  readonly broker: WampBroker;
  readonly backplane: WampBackplane;
  /** WAMP-CRA, when the `auth` option is set. */
  readonly authenticator?: CraAuthenticator;
  private readonly counters = new WampCounters();
  private readonly sessions = new SessionRegistry();
  private readonly topics: TopicIndex;
  private readonly dispatcher: EventDispatcher;
  private readonly router: WampRouter;
  /** The WAMP v2 router, unless the `v2` option turned v2 off. */
  private readonly router2?: Wamp2Router;
  private readonly transport: WampWebSocketServer<ServerSession>;
  private upgradeDelegate?: WampUpgradeDelegate;
  private heartbeat?: NodeJS.Timeout;
  private state: WampServerState = 'starting';

  constructor(
    private readonly options: ResolvedWampOptions,
    private readonly logger: WampLogger,
    /** What a handler threw, as a CALLERROR (the Nest module adds Nest's exceptions to the default). */
    mapError: CallErrorMapper = callErrorMapper(options.exposeInternalErrors),
  ) {
    const backplane = (this.backplane = options.backplane);
    const log = (this.log = new ThrottledLog(logger));
    this.topics = new TopicIndex({ activated: (topic) => backplane.watch(topic), deactivated: (topic) => backplane.unwatch(topic) });
    this.dispatcher = new EventDispatcher(this.topics, backplane, options.slowConsumer, this.counters);
    this.hooks = new WampHooks(log);
    this.access = new AccessPolicy(
      options.auth !== undefined,
      options.auth?.globalGuard === true,
      this.sessions,
      options.auth?.authorize,
      log,
    );
    if (options.auth) {
      this.authenticator = new CraAuthenticator(options.auth, this.handlers, log);
      this.hooks.register(this.authenticator, 'nest-wamp');
    }
    const routing = {
      mapError,
      handlers: this.handlers,
      sessions: this.sessions,
      topics: this.topics,
      dispatcher: this.dispatcher,
      hooks: this.hooks,
      access: this.access,
      counters: this.counters,
      logger: log,
      options,
    };
    this.router = new WampRouter(routing);
    if (options.v2) {
      for (const pair of options.v2.uris) this.handlers.nameForV2(pair.v1, pair.v2, 'the "v2.uris" option');
      this.router2 = new Wamp2Router({
        ...routing,
        realm: options.v2.realm,
        router: this.router,
        authentication: new Wamp2Authenticator(options.auth, log),
        goodbyeTimeoutMs: options.shutdownGraceMs,
      });
    }
    this.transport = new WampWebSocketServer(
      { ...options, servesV2: this.router2 !== undefined },
      new SessionBinder(this.router, this.router2, log, this.counters, this.hooks, frameTrace(options.trace, logger, this.handlers.uris)),
      log,
      this.counters,
      options.auth?.handshake && handshakeIdentifier(options.auth.handshake),
    );
    this.broker = new WampBroker({
      dispatcher: this.dispatcher,
      topics: this.topics,
      sessions: this.sessions,
      router: this.router,
      access: this.access,
      bus: backplane.bus,
      authRequested: (sessionId) => this.authenticator?.isRequested(sessionId) ?? false,
      stats: () => this.stats(),
      address: () => this.transport.address(),
    });
    this.registerStaticTopics();
  }

  /** The WebSocket path WAMP is served on. */
  get path(): string {
    return this.options.path;
  }

  /** Whether WAMP listens on the app's HTTP server by itself (no own port, no adapter serving it). */
  get sharesAppServer(): boolean {
    return this.options.port === undefined && this.upgradeDelegate === undefined;
  }

  /** Hands the upgrades on the app's HTTP server to an adapter that already listens there. */
  delegateUpgrades(delegate: WampUpgradeDelegate): void {
    this.upgradeDelegate = delegate;
  }

  /** Starts serving: on the app's HTTP server, or on the own port when `port` is set. */
  async start(appHttpServer: Server | undefined): Promise<void> {
    await this.backplane.start(this.dispatcher.receive, this.logger);
    if (this.options.heartbeatIntervalMs > 0) {
      this.heartbeat = setInterval(() => this.beat(), this.options.heartbeatIntervalMs);
      this.heartbeat.unref();
    }
    const served = `${this.handlers.procedureUris().length} procedures, ${this.handlers.topicPatterns('subscribe').length} subscribe and ${this.handlers.topicPatterns('publish').length} publish rules`;
    if (this.options.port !== undefined) {
      const address = await this.transport.listen(this.options.port, this.options.host);
      this.state = 'serving';
      this.logger.log(`${this.protocols()} on port ${address.port}, path ${this.options.path} (${served})`);
      return;
    }
    if (!appHttpServer) {
      throw new Error(
        'WampModule found no HTTP server to share (an application context without HTTP?): set the "port" option to give WAMP a port of its own.',
      );
    }
    if (!this.upgradeDelegate?.serveWamp(this.transport)) this.transport.attach(appHttpServer);
    this.state = 'serving';
    this.logger.log(`${this.protocols()} on the application's port, path ${this.options.path} (${served})`);
  }

  /**
   * Stops accepting connections, closes every session with 1001 and gives them `shutdownGraceMs`
   * to finish the closing handshake before cutting the rest off, then closes the backplane.
   */
  async stop(): Promise<void> {
    this.state = 'stopping';
    clearInterval(this.heartbeat);
    this.transport.stopAccepting();
    for (const session of this.sessions.values()) session.close(CloseCode.goingAway, 'server shutting down');
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.shutdownGraceMs)));
    await Promise.race([this.sessions.whenEmpty(), grace]);
    clearTimeout(timer);
    for (const session of this.sessions.values()) session.terminate();
    await this.sessions.whenEmpty();
    await this.transport.close();
    await this.backplane.close();
    this.log.close();
    this.state = 'stopped';
  }

  /** The protocols served, for the start line of the log. */
  private protocols(): string {
    return this.options.v2 ? `WAMP v1 and v2 (realm ${this.options.v2.realm})` : 'WAMP v1';
  }

  /** What the server has seen and holds now. */
  stats(): WampStats {
    const { sessionsOpened, sessionsClosed, eventsDelivered, eventsDropped, maxBufferedBytes, refused, calls } = this.counters;
    const callDurations = Object.fromEntries(
      WAMP_CALL_OUTCOMES.map((outcome) => [outcome, calls[outcome].snapshot()]),
    ) as WampStats['callDurations'];
    return {
      state: this.state,
      sessions: this.sessions.size,
      topics: this.topics.topics().length,
      sessionsOpened,
      sessionsClosed,
      refused: { ...refused },
      handshakesRefused: { ...this.counters.handshakesRefused },
      calls: Object.fromEntries(WAMP_CALL_OUTCOMES.map((outcome) => [outcome, calls[outcome].count])) as WampStats['calls'],
      callDurations,
      eventsDelivered,
      eventsDropped,
      backplane: { state: this.backplaneState(), eventsDropped: this.backplane.dropped ?? 0 },
      maxBufferedBytes,
      bytesHeld: this.bytesHeld(),
      logsSuppressed: this.log.suppressed(),
    };
  }

  private backplaneState(): WampBackplaneState {
    if (typeof this.backplane.connected !== 'function') return 'none';
    return this.backplane.connected() ? 'connected' : 'disconnected';
  }

  private bytesHeld(): number {
    let bytes = 0;
    for (const session of this.sessions.values()) bytes += session.bytesHeld;
    return bytes;
  }

  /** Pings every session; one that has not answered the previous ping is cut off. */
  private beat(): void {
    for (const session of this.sessions.values()) {
      if (session.ping()) continue;
      this.counters.refuse('heartbeat-timeout');
      this.logger.debug(`session ${session.id} did not answer the heartbeat: cut off`);
      session.terminate();
    }
  }

  private registerStaticTopics(): void {
    const source = 'the "topics" option';
    for (const [pattern, rule] of Object.entries(this.options.topics)) {
      const subscribe = typeof rule === 'boolean' ? rule : rule.subscribe;
      const publish = typeof rule === 'boolean' ? rule : rule.publish;
      if (subscribe !== undefined) this.handlers.addSubscribeRule(pattern, { source, allow: subscribe });
      if (publish !== undefined) this.handlers.addPublishRule(pattern, { source, allow: publish });
    }
  }
}

/** Turns the `auth.handshake` hook into the transport's identity check, validating its answer. */
function handshakeIdentifier(handshake: NonNullable<ResolvedAuthOptions['handshake']>): UpgradeIdentifier {
  return async (request) => {
    const result = await handshake(request);
    if (result === false) return false;
    if (result === null || result === undefined) return undefined;
    const problem = typeof result.authKey !== 'string' ? 'authKey is not a string' : permissionsProblem(result.permissions);
    if (problem) throw new Error(`auth.handshake must return false, nothing or { authKey, permissions }: ${problem}`);
    return { authKey: result.authKey, method: 'handshake', permissions: result.permissions };
  };
}
