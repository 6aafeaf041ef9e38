import { type DynamicModule, Logger, Module } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { WampBroker } from '../broker/wamp-broker.js';
import { resolveWampOptions } from '../config/resolve-options.js';
import type { WampModuleOptions } from '../config/wamp-module-options.js';
import { WampEngine, WampUpgradeHost } from '../engine/wamp-engine.js';
import { ThrottledLog } from '../core/throttled-log.js';
import { AccessPolicy } from '../router/access-policy.js';
import { HandlerRegistry } from '../router/handler-registry.js';
import { WampHooks } from '../router/wamp-hooks.js';
import { nestCallErrorMapper } from './http-exception-mapping.js';
import { WampExplorer } from './wamp.explorer.js';
import { WampRegistry } from './wamp.registry.js';
import { WampHandlerFactory } from './wamp-handler.factory.js';
import { ConfigurableWampModule, WAMP_ASYNC_OPTIONS_TYPE, WAMP_MODULE_OPTIONS, WAMP_OPTIONS_TYPE } from './wamp.module-definition.js';
import { WampGlobalPermissionGuard } from './wamp-permission.guard.js';
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
      useFactory: (options: WampModuleOptions) => {
        const resolved = resolveWampOptions(options);
        return new WampEngine(resolved, new Logger('WampModule'), nestCallErrorMapper(resolved.exposeInternalErrors));
      },
      inject: [WAMP_MODULE_OPTIONS],
    },
    // Each consumer gets the part of the server it needs, not the server.
    { provide: WampBroker, useFactory: (engine: WampEngine) => engine.broker, inject: [WampEngine] },
    { provide: AccessPolicy, useFactory: (engine: WampEngine) => engine.access, inject: [WampEngine] },
    { provide: WampUpgradeHost, useExisting: WampEngine },
    { provide: HandlerRegistry, useFactory: (engine: WampEngine) => engine.handlers, inject: [WampEngine] },
    { provide: WampHooks, useFactory: (engine: WampEngine) => engine.hooks, inject: [WampEngine] },
    { provide: ThrottledLog, useFactory: (engine: WampEngine) => engine.log, inject: [WampEngine] },
    WampHandlerFactory,
    WampRegistry,
    WampExplorer,
    WampServerHost,
  ],
  exports: [WampBroker, WampRegistry, AccessPolicy, WampUpgradeHost],
})
export class WampModule extends ConfigurableWampModule {
  static override forRoot(options: typeof WAMP_OPTIONS_TYPE): DynamicModule {
    const module = super.forRoot(options);
    return options.auth && options.auth.globalGuard !== false ? withPermissionGuard(module) : module;
  }

  /** The options are not known yet, so the guard is registered and decides when it runs. */
  static override forRootAsync(options: typeof WAMP_ASYNC_OPTIONS_TYPE): DynamicModule {
    return withPermissionGuard(super.forRootAsync(options));
  }
}

/** Applies `WampPermissionGuard` to every handler, before class and method guards. */
function withPermissionGuard(module: DynamicModule): DynamicModule {
  return { ...module, providers: [...(module.providers ?? []), { provide: APP_GUARD, useClass: WampGlobalPermissionGuard }] };
}
