import { Logger, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { WampBroker } from '../broker/wamp-broker.js';
import { resolveWampOptions } from '../config/resolve-options.js';
import type { WampModuleOptions } from '../config/wamp-module-options.js';
import { WampEngine } from '../engine/wamp-engine.js';
import { WampExplorer } from './wamp.explorer.js';
import { WampHandlerFactory } from './wamp-handler.factory.js';
import { ConfigurableWampModule, WAMP_MODULE_OPTIONS } from './wamp.module-definition.js';
import { WampServerHost } from './wamp-server.host.js';

/**
 * Serves WAMP v1 from a Nest application:
 * `WampModule.forRoot({ path: '/ws' })` or `WampModule.forRootAsync({ useFactory, inject })`.
 * Decorated provider methods anywhere in the app become procedures and topic handlers, and
 * `WampBroker` can be injected anywhere (the module is global unless `isGlobal: false`).
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: WampEngine,
      useFactory: (options: WampModuleOptions) => new WampEngine(resolveWampOptions(options), new Logger('WampModule')),
      inject: [WAMP_MODULE_OPTIONS],
    },
    WampBroker,
    WampHandlerFactory,
    WampExplorer,
    WampServerHost,
  ],
  exports: [WampBroker],
})
export class WampModule extends ConfigurableWampModule {}
