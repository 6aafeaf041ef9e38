import { Injectable } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import type { WampCallInvocation, WampPublishInvocation, WampSubscribeInvocation } from '../core/invocation.js';
import { ThrottledLog } from '../core/throttled-log.js';
import { HandlerRegistry, type PublishHandler, WampRegistrationError } from '../router/handler-registry.js';
import type { WampPublishDecision } from '../router/publish-decision.js';
import { WampHooks } from '../router/wamp-hooks.js';
import { WampHandlerFactory } from './wamp-handler.factory.js';
import { WampParamtype } from './wamp.constants.js';

/** A procedure registered at runtime: it gets the whole invocation (`args`, `session`, `uri`, `callId`). */
export type WampRuntimeProcedure = (call: WampCallInvocation) => unknown;
/** A subscribe rule registered at runtime: a truthy answer allows the subscription. */
export type WampRuntimeSubscribeRule = boolean | ((subscription: WampSubscribeInvocation) => unknown);
/** A publish rule registered at runtime, answering as a `@WampPublish` handler does. */
export type WampRuntimePublishRule = boolean | ((publication: WampPublishInvocation) => WampPublishDecision | Promise<WampPublishDecision>);

/**
 * What the server answers, changed while it runs (as `SchedulerRegistry` does for
 * @nestjs/schedule): procedures and topic rules added and removed per tenant, per feature flag,
 * or per session after its login, and lifecycle hooks of objects that are no providers. A
 * function registered here runs through the same pipeline as a decorated method: the global
 * guards (the `WampPermissionGuard` among them), interceptors, pipes and exception filters. A URI
 * or pattern already taken is a `WampRegistrationError` naming both claimants.
 */
@Injectable()
export class WampRegistry {
  constructor(
    private readonly handlerFactory: WampHandlerFactory,
    private readonly handlers: HandlerRegistry,
    private readonly hooks: WampHooks,
    private readonly log: ThrottledLog,
  ) {}

  addProcedure(uri: string, procedure: WampRuntimeProcedure): void {
    const source = `WampRegistry.addProcedure("${uri}")`;
    this.handlers.addProcedure(uri, this.compile(procedure, source), source);
  }

  /** False when no procedure had this URI. Calls already running finish. */
  removeProcedure(uri: string): boolean {
    return this.handlers.removeProcedure(uri);
  }

  addSubscribeRule(pattern: string, rule: WampRuntimeSubscribeRule): void {
    const source = `WampRegistry.addSubscribeRule("${pattern}")`;
    this.handlers.addSubscribeRule(
      pattern,
      typeof rule === 'boolean' ? { source, allow: rule } : { source, handler: this.compile(rule, source) },
    );
  }

  removeSubscribeRule(pattern: string): boolean {
    return this.handlers.removeSubscribeRule(pattern);
  }

  addPublishRule(pattern: string, rule: WampRuntimePublishRule): void {
    const source = `WampRegistry.addPublishRule("${pattern}")`;
    this.handlers.addPublishRule(
      pattern,
      typeof rule === 'boolean' ? { source, allow: rule } : { source, handler: this.compile(rule, source) as PublishHandler },
    );
  }

  removePublishRule(pattern: string): boolean {
    return this.handlers.removePublishRule(pattern);
  }

  /** Registers the lifecycle hook methods (`onWampSessionOpen`, ...) an object has; returns their names. */
  addHooks(listener: object): string[] {
    return this.hooks.register(listener);
  }

  /** False when the object had no hooks registered. */
  removeHooks(listener: object): boolean {
    return this.hooks.unregister(listener);
  }

  /** The registered procedure URIs, decorated and runtime ones. */
  procedures(): string[] {
    return this.handlers.procedureUris();
  }

  /** The registered topic patterns of each kind. */
  topicRules(kind: 'subscribe' | 'publish'): string[] {
    return this.handlers.topicPatterns(kind);
  }

  /** Hosts the function as the one method of an object of its own, whose one parameter is the invocation. */
  private compile(fn: (invocation: never) => unknown, source: string) {
    if (typeof fn !== 'function')
      throw new WampRegistrationError(`${source}: a function (or, for a topic rule, true or false) is expected.`);
    const Host = class RuntimeWampHandler {};
    Object.defineProperty(Host.prototype, 'handle', { value: fn, writable: false });
    Reflect.defineMetadata(
      ROUTE_ARGS_METADATA,
      { [`${WampParamtype.Invocation}:0`]: { index: 0, data: undefined, pipes: [] } },
      Host,
      'handle',
    );
    return this.handlerFactory.create(new Host(), 'handle', source, this.log);
  }
}
