import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
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
  ) {}

  onApplicationBootstrap(): Promise<void> {
    const httpServer = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    return this.engine.start(httpServer);
  }

  onModuleDestroy(): Promise<void> {
    return this.engine.stop();
  }
}
