import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { ApplicationConfig, HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import { WampEngine } from '../engine/wamp-engine.js';

/**
 * Starts serving once the application has bootstrapped (all handlers registered) and, on
 * `app.close()` or a shutdown signal, closes every session with 1001 before the other modules
 * are torn down.
 */
@Injectable()
export class WampServerHost implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(
    private readonly engine: WampEngine,
    private readonly adapterHost: HttpAdapterHost,
    private readonly config: ApplicationConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const httpServer = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    await this.engine.start(httpServer);
    if (httpServer && this.engine.sharesAppServer) this.warnOfConflictingAdapter(httpServer);
  }

  /**
   * Nest's plain `WsAdapter`, once a gateway runs on the app's HTTP server, destroys every upgrade
   * for a path its gateways do not serve: WAMP's too, while the log above says WAMP is served.
   */
  private warnOfConflictingAdapter(httpServer: Server): void {
    const adapter = this.config.getIoAdapter() as object | undefined;
    if (adapter?.constructor.name !== 'WsAdapter' || httpServer.listenerCount('upgrade') < 2) return;
    new Logger('WampModule').warn(
      "Nest's WsAdapter serves WebSocket gateways on this HTTP server and destroys upgrades for other paths, so WAMP clients on " +
        `"${this.engine.path}" will be cut off. Install the WAMP-aware adapter instead: app.useWebSocketAdapter(new WampWsAdapter(app)), from 'nest-wamp/platform-ws'.`,
    );
  }

  onModuleDestroy(): Promise<void> {
    return this.engine.stop();
  }
}
