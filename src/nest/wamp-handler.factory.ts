import { Injectable } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { ExternalContextCreator } from '@nestjs/core';
import { WampRegistrationError } from '../router/handler-registry.js';
import type { ThrottledLog } from '../core/throttled-log.js';
import { hasRestParameter } from './has-rest-parameter.js';
import { type CompiledWampHandler, compilePipeline, resolveEnhancers } from './wamp-handler-pipeline.js';
import { WampMetadataAccessor } from './wamp-metadata.accessor.js';
import { positionalArgs, WampParamsFactory } from './wamp-params.factory.js';
import { WAMP_CONTEXT_TYPE, WAMP_POSITIONAL_PARAMS_METADATA, WampParamtype } from './wamp.constants.js';

/**
 * Turns a decorated method into a handler the router calls, with the guards, interceptors,
 * pipes and exception filters that apply to it (global, class and method ones), exactly as Nest
 * runs them around a controller. Each method is compiled once, at bootstrap: Nest resolves the
 * enhancers, and `compilePipeline` runs them without the per-call overhead of Nest's generic
 * pipeline (falling back to that pipeline on a Nest version that does not expose the resolution).
 */
@Injectable()
export class WampHandlerFactory {
  private readonly paramsFactory = new WampParamsFactory();
  private readonly metadata = new WampMetadataAccessor();

  constructor(private readonly contextCreator: ExternalContextCreator) {}

  /** `log` takes the handler's unexpected errors, rate limited (on a Nest without the fast path, Nest logs them). */
  create(instance: object, methodName: string, source: string, log: ThrottledLog): CompiledWampHandler {
    const method = (instance as Record<string, (...args: unknown[]) => unknown>)[methodName];
    const positional = !this.metadata.hasParamDecorators(instance.constructor, methodName);
    const paramsKey = positional ? this.definePositionalParams(instance, methodName, source) : ROUTE_ARGS_METADATA;
    const enhancers = resolveEnhancers(this.contextCreator, instance, methodName, paramsKey, this.paramsFactory);
    if (enhancers) return compilePipeline(instance, methodName, enhancers, { log, source }, positional ? positionalArgs : undefined);
    const run = this.contextCreator.create(
      instance,
      method,
      methodName,
      paramsKey,
      this.paramsFactory,
      undefined,
      undefined,
      undefined,
      WAMP_CONTEXT_TYPE,
    );
    return (invocation) => run(invocation.session, invocation, invocation.uri);
  }

  /**
   * A method without parameter decorators takes its parameters positionally (a call's
   * arguments, as clj-wamp applies them). Describing each parameter to Nest keeps pipes
   * working on them, with the declared types as metatypes.
   */
  private definePositionalParams(instance: object, methodName: string, source: string): string {
    const method = (instance as Record<string, Function>)[methodName];
    if (hasRestParameter(method)) {
      throw new WampRegistrationError(
        `${source} takes a rest parameter, which positional arguments cannot fill: declare it as \`@WampArgs() args: unknown[]\`.`,
      );
    }
    const count = Math.max(this.metadata.paramTypes(instance, methodName)?.length ?? 0, method.length);
    const params: Record<string, { index: number; data: number; pipes: [] }> = {};
    for (let index = 0; index < count; index++) {
      params[`${WampParamtype.Payload}:${index}`] = { index, data: index, pipes: [] };
    }
    Reflect.defineMetadata(WAMP_POSITIONAL_PARAMS_METADATA, params, instance.constructor, methodName);
    return WAMP_POSITIONAL_PARAMS_METADATA;
  }
}
