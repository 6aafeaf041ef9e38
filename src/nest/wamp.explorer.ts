import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import { ThrottledLog } from '../core/throttled-log.js';
import { WampEngine } from '../engine/wamp-engine.js';
import { HandlerRegistry, WampRegistrationError } from '../router/handler-registry.js';
import { WampHooks } from '../router/wamp-hooks.js';
import type { PublishHandler } from '../router/handler-registry.js';
import type { WampHandlerMetadata } from './decorators/wamp-handler.decorators.js';
import { WampHandlerFactory } from './wamp-handler.factory.js';
import { WampMetadataAccessor } from './wamp-metadata.accessor.js';

/**
 * Finds, once at startup, every provider method decorated with `@WampRpc`, `@WampSubscribe`
 * or `@WampPublish` and every provider implementing a lifecycle hook interface, and registers
 * them with the server's handler registry and hooks.
 */
@Injectable()
export class WampExplorer implements OnModuleInit {
  private readonly logger = new Logger('WampModule');
  private readonly metadata = new WampMetadataAccessor();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly handlerFactory: WampHandlerFactory,
    private readonly handlers: HandlerRegistry,
    private readonly hooks: WampHooks,
    private readonly log: ThrottledLog,
  ) {}

  onModuleInit(): void {
    const providers = this.discovery.getProviders();
    // Two WampModules in one application would both serve every decorated handler, each with a
    // broker that sees only its own sessions: refused (a second endpoint is a second application).
    if (providers.filter((wrapper) => wrapper.token === WampEngine).length > 1) {
      throw new WampRegistrationError(
        'WampModule is imported more than once in this application: one application serves one WAMP endpoint. For a second endpoint with its own options and handlers, create a second Nest application (README, "Several endpoints").',
      );
    }
    const seen = new Set<object>();
    for (const wrapper of providers) {
      const instance = wrapper.instance as object | undefined;
      if (!instance || typeof instance !== 'object' || wrapper.isAlias || seen.has(instance)) continue;
      seen.add(instance);
      this.explore(wrapper, instance);
    }
  }

  private explore(wrapper: InstanceWrapper, instance: object): void {
    const prototype = Object.getPrototypeOf(instance) as object;
    const handlers = this.scanner
      .getAllMethodNames(prototype)
      .flatMap((methodName) =>
        this.metadata.handlers((prototype as Record<string, unknown>)[methodName]).map((handler) => ({ methodName, handler })),
      );
    if (!wrapper.isDependencyTreeStatic()) {
      if (handlers.length > 0) {
        this.logger.warn(
          `${wrapper.name?.toString()} is request-scoped or transient, so its WAMP handlers are not served: WAMP handlers need singleton providers (a WAMP message has no HTTP request).`,
        );
      }
      return;
    }
    this.hooks.register(instance);
    for (const { methodName, handler } of handlers) {
      this.register(instance, methodName, handler, `${wrapper.metatype?.name ?? instance.constructor.name}.${methodName}`);
    }
  }

  private register(instance: object, methodName: string, metadata: WampHandlerMetadata, source: string): void {
    const { kind, uri, v2 } = metadata;
    const handler = this.handlerFactory.create(instance, methodName, source, this.log);
    const handlers = this.handlers;
    if (v2 !== undefined) handlers.nameForV2(uri, v2, source);
    switch (kind) {
      case 'call':
        handlers.addProcedure(uri, handler, source);
        return;
      case 'subscribe':
        handlers.addSubscribeRule(uri, { source, handler });
        return;
      case 'publish':
        handlers.addPublishRule(uri, { source, handler: handler as PublishHandler });
        return;
    }
  }
}
