import {
  type ArgumentMetadata,
  type CanActivate,
  ForbiddenException,
  IntrinsicException,
  type NestInterceptor,
  type PipeTransform,
  type Type,
} from '@nestjs/common';
import type { ExternalContextCreator, ParamsFactory } from '@nestjs/core';
import { AsyncResource } from 'node:async_hooks';
import { defer, from, isObservable, lastValueFrom, mergeAll, Observable } from 'rxjs';
import type { WampInvocation } from '../core/invocation.js';
import { WampException } from '../core/wamp-exception.js';
import type { ThrottledLog } from '../core/throttled-log.js';
import { isPromiseLike } from '../core/promises.js';
import { WampExecutionContext } from './wamp-execution-context.js';
import { WAMP_CONTEXT_TYPE } from './wamp.constants.js';

/** A compiled handler: its result, or a Promise of it (Observables are already reduced to their last value). */
export type CompiledWampHandler = (invocation: WampInvocation) => unknown;

/** A parameter as Nest's context creator describes it. */
interface ParamProperties {
  readonly index: number;
  readonly extractValue: (...args: unknown[]) => unknown;
  readonly type: number | string;
  readonly data: unknown;
  readonly metatype?: unknown;
  readonly schema?: unknown;
  readonly pipes: PipeTransform[];
}

/** Everything Nest applies around one handler, resolved once at bootstrap. */
export interface ResolvedEnhancers {
  readonly guards: CanActivate[];
  readonly interceptors: NestInterceptor[];
  readonly pipes: PipeTransform[];
  readonly params: ParamProperties[];
  readonly exceptionHandler: {
    next(exception: unknown, host: WampExecutionContext): unknown;
    /** The handler's exception filters (`@Catch(...types)`; no types catches everything). */
    readonly filters?: ReadonlyArray<{ readonly exceptionMetatypes: readonly Function[] }>;
  };
  readonly applyPipes: (value: unknown, metadata: ArgumentMetadata & { schema?: unknown }, pipes: PipeTransform[]) => Promise<unknown>;
}

/**
 * The parts of Nest's `ExternalContextCreator` that resolve a handler's guards, interceptors,
 * pipes, exception filters and parameters (global, module-scoped, class and method ones, with
 * dependency injection). Nest keeps them private; `resolveEnhancers` checks they are there.
 */
interface ContextCreatorInternals {
  guardsContextCreator: {
    create(instance: object, callback: Function, module: string, contextId?: unknown, inquirerId?: string): CanActivate[];
  };
  interceptorsContextCreator: {
    create(instance: object, callback: Function, module: string, contextId?: unknown, inquirerId?: string): NestInterceptor[];
  };
  pipesContextCreator: {
    create(instance: object, callback: Function, module: string, contextId?: unknown, inquirerId?: string): PipeTransform[];
  };
  filtersContextCreator: {
    create(
      instance: object,
      callback: Function,
      module: string,
      contextId?: unknown,
      inquirerId?: string,
    ): ResolvedEnhancers['exceptionHandler'];
  };
  modulesContainer: Map<string, { entryProviders?: Array<{ token: unknown; instance: unknown; id: string }> }>;
  contextUtils: { mergeParamsMetatypes(params: ParamProperties[], paramtypes: unknown[] | undefined): ParamProperties[] };
  getMetadata(
    instance: object,
    methodName: string,
    metadataKey: string,
    paramsFactory: ParamsFactory,
    contextType: string,
  ): {
    paramtypes: unknown[] | undefined;
    getParamsMetadata(moduleKey: string, contextId?: unknown, inquirerId?: string): ParamProperties[] | null;
  };
  /** Since Nest 12.1 (the module that hosts the instance); 12.0 has only `getContextModuleKey`, as its `create` uses. */
  getHostModuleKey?(instance: object, classRef: Function, inquirerId?: string): string;
  getContextModuleKey(classRef: Function): string;
  getParamValue: ResolvedEnhancers['applyPipes'];
}

const REQUIRED_INTERNALS = [
  'guardsContextCreator',
  'interceptorsContextCreator',
  'pipesContextCreator',
  'filtersContextCreator',
  'modulesContainer',
  'contextUtils',
  'getMetadata',
  'getContextModuleKey',
  'getParamValue',
] as const;

/**
 * Resolves a handler's enhancers the way `ExternalContextCreator.create` does, or returns
 * undefined when this version of Nest does not expose what that needs (the caller then uses
 * `create` itself, slower but equivalent).
 */
export function resolveEnhancers(
  contextCreator: ExternalContextCreator,
  instance: object,
  methodName: string,
  paramsKey: string,
  paramsFactory: ParamsFactory,
): ResolvedEnhancers | undefined {
  const internals = contextCreator as unknown as ContextCreatorInternals;
  if (!REQUIRED_INTERNALS.every((name) => (internals as unknown as Record<string, unknown>)[name] !== undefined)) return undefined;
  const callback = (instance as Record<string, Function>)[methodName];
  const classRef = instance.constructor;
  const moduleKey = internals.getHostModuleKey?.(instance, classRef) || internals.getContextModuleKey(classRef);
  const inquirerId = internals.modulesContainer
    .get(moduleKey)
    ?.entryProviders?.find((provider) => provider.token === classRef || provider.instance === instance)?.id;
  const { paramtypes, getParamsMetadata } = internals.getMetadata(instance, methodName, paramsKey, paramsFactory, WAMP_CONTEXT_TYPE);
  const paramsMetadata = getParamsMetadata(moduleKey, undefined, inquirerId);
  return {
    guards: internals.guardsContextCreator.create(instance, callback, moduleKey, undefined, inquirerId),
    interceptors: internals.interceptorsContextCreator.create(instance, callback, moduleKey, undefined, inquirerId),
    pipes: internals.pipesContextCreator.create(instance, callback, moduleKey, undefined, inquirerId),
    exceptionHandler: internals.filtersContextCreator.create(instance, callback, moduleKey, undefined, inquirerId),
    params: paramsMetadata ? internals.contextUtils.mergeParamsMetatypes(paramsMetadata, paramtypes) : [],
    applyPipes: (value, metadata, pipes) => internals.getParamValue(value, metadata, pipes),
  };
}

/**
 * Runs a handler as Nest runs a controller method: guards, then interceptors around pipes and
 * the handler, exception filters on failure. It stays synchronous as long as everything on the
 * way is (no interceptor, no pipe, synchronous guards and handler), so a bare handler costs one
 * function call; anything asynchronous makes it return a Promise.
 */
export function compilePipeline(
  instance: object,
  methodName: string,
  enhancers: ResolvedEnhancers,
  /** Where an unexpected error is logged, rate limited (a client can make a handler throw at will). */
  failures: { readonly log: ThrottledLog; readonly source: string },
  /** For handlers without parameter decorators: their arguments straight from the invocation (when no pipe applies). */
  positionalArgs?: (invocation: WampInvocation) => unknown[],
): CompiledWampHandler {
  const callback = (instance as Record<string, (...args: unknown[]) => unknown>)[methodName];
  const classRef = instance.constructor as Type<unknown>;
  const { guards, interceptors, params, exceptionHandler } = enhancers;
  const pipesOf = params.map((param) => [...enhancers.pipes, ...param.pipes]);
  const needsPipes = pipesOf.some((pipes) => pipes.length > 0);
  const argsLength = params.reduce((length, param) => Math.max(length, param.index + 1), 0);

  /** The handler's own arguments, from the context arguments; a Promise when a pipe or an async decorator is involved. */
  const direct = needsPipes ? undefined : positionalArgs;
  const handlerArgs = (contextArgs: unknown[]): unknown[] | Promise<unknown[]> => {
    if (direct) return direct(contextArgs[1] as WampInvocation);
    if (params.length === 0) return contextArgs;
    const args = new Array<unknown>(argsLength).fill(undefined);
    let pending: Promise<void>[] | undefined;
    for (let i = 0; i < params.length; i++) {
      const param = params[i];
      const value = param.extractValue(...contextArgs);
      if (!needsPipes && !isPromiseLike(value)) {
        args[param.index] = value;
        continue;
      }
      const metadata = { metatype: param.metatype, type: param.type, data: param.data, schema: param.schema } as ArgumentMetadata;
      (pending ??= []).push(
        enhancers.applyPipes(value, metadata, pipesOf[i]).then((transformed) => {
          args[param.index] = transformed;
        }),
      );
    }
    return pending ? Promise.all(pending).then(() => args) : args;
  };

  const callHandler = (contextArgs: unknown[]): unknown => {
    const args = handlerArgs(contextArgs);
    return isPromiseLike(args) ? args.then((resolved) => callback.apply(instance, resolved)) : callback.apply(instance, args);
  };

  const intercepted = (context: WampExecutionContext, contextArgs: unknown[]): Promise<unknown> => {
    const next = (index: number): Observable<unknown> =>
      index < interceptors.length
        ? defer(() => {
            const observable = interceptors[index].intercept(context, {
              // The next step starts inside the async context handle() was called in (as in Nest),
              // so that what an interceptor set up with AsyncLocalStorage reaches the handler.
              handle: () => defer(inCallersAsyncScope(() => next(index + 1))),
            });
            return isObservable(observable) ? observable : from(observable).pipe(mergeAll());
          })
        : resultObservable(callHandler(contextArgs));
    return lastValueFrom(next(0));
  };

  const guarded = (context: WampExecutionContext, contextArgs: unknown[], from: number): unknown => {
    for (let i = from; i < guards.length; i++) {
      const allowed = guards[i].canActivate(context);
      if (allowed === true) continue;
      if (allowed === false) throw new ForbiddenException('Forbidden resource');
      return settleGuard(allowed).then((value) => {
        if (!value) throw new ForbiddenException('Forbidden resource');
        return guarded(context, contextArgs, i + 1);
      });
    }
    return interceptors.length > 0 ? intercepted(context, contextArgs) : finish(callHandler(contextArgs));
  };

  /**
   * An exception filter that catches the error decides (its return value is the result).
   * Otherwise the error is rethrown, and logged as Nest's default filter would, but rate limited: an unexpected error
   * (neither a `WampException` nor an `IntrinsicException`, which `HttpException` is).
   */
  const onError = (error: unknown, contextArgs: unknown[]): unknown => {
    const host = new WampExecutionContext(contextArgs, classRef, callback);
    // A filter that catches it decides, as Nest runs it (what "not handled" means differs between Nest 12 minors).
    const filters = exceptionHandler.filters;
    if (!filters || filters.some(({ exceptionMetatypes: types }) => types.length === 0 || types.some((type) => error instanceof type))) {
      return exceptionHandler.next(error, host);
    }
    if (error instanceof Error && !(error instanceof IntrinsicException) && !(error instanceof WampException)) {
      failures.log.limitedError('handler-failed', `${failures.source} failed: ${error.message}`, error.stack);
    }
    throw error;
  };

  return (invocation) => {
    const contextArgs = [invocation.session, invocation, invocation.uri];
    try {
      const context = guards.length > 0 || interceptors.length > 0 ? new WampExecutionContext(contextArgs, classRef, callback) : undefined;
      const result = context ? guarded(context, contextArgs, 0) : finish(callHandler(contextArgs));
      return isPromiseLike(result) ? Promise.resolve(result).catch((error: unknown) => onError(error, contextArgs)) : result;
    } catch (error) {
      return onError(error, contextArgs);
    }
  };
}

/** A handler's result, already computed, as the innermost Observable of an interceptor chain. */
function resultObservable(result: unknown): Observable<unknown> {
  return new Observable((subscriber) => {
    let inner: { unsubscribe(): void } | undefined;
    const emit = (value: unknown): void => {
      if (subscriber.closed) return;
      if (isObservable(value)) {
        inner = value.subscribe(subscriber);
        return;
      }
      subscriber.next(value);
      subscriber.complete();
    };
    if (isPromiseLike(result)) Promise.resolve(result).then(emit, (error: unknown) => subscriber.error(error));
    else emit(result);
    return () => inner?.unsubscribe();
  });
}

/** A handler's result as the caller gets it: a Promise is awaited, an Observable reduced to its last value. */
function finish(result: unknown): unknown {
  if (isObservable(result)) return lastValueFrom(result);
  if (isPromiseLike(result)) return Promise.resolve(result).then((value) => (isObservable(value) ? lastValueFrom(value) : value));
  return result;
}

async function settleGuard(result: unknown): Promise<unknown> {
  const value = await result;
  return isObservable(value) ? lastValueFrom(value) : value;
}

/**
 * Binds `fn` to the caller's async context (AsyncLocalStorage stores included), as Nest does
 * around interceptors, so that what an interceptor set up reaches the handler. The resource is
 * made directly because `AsyncResource.bind` is many times slower.
 */
function inCallersAsyncScope<T>(fn: () => T): () => T {
  const resource = new AsyncResource('WampInterceptor');
  return () => resource.runInAsyncScope(fn);
}
