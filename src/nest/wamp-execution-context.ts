import type { ContextType, ExecutionContext, Type } from '@nestjs/common';
import { WAMP_CONTEXT_TYPE } from './wamp.constants.js';

type WsArgumentsHost = ReturnType<ExecutionContext['switchToWs']>;
type RpcArgumentsHost = ReturnType<ExecutionContext['switchToRpc']>;
type HttpArgumentsHost = ReturnType<ExecutionContext['switchToHttp']>;

/**
 * The `ExecutionContext` guards, interceptors, filters and custom parameter decorators get
 * around a WAMP handler: type `'wamp'`, arguments `[session, invocation, uri]`, so
 * `switchToWs()` gives the session as client, the invocation as data and the URI as pattern.
 */
export class WampExecutionContext implements ExecutionContext {
  constructor(
    private readonly args: unknown[],
    private readonly classRef: Type<unknown>,
    private readonly handler: Function,
  ) {}

  getType<T extends string = ContextType>(): T {
    return WAMP_CONTEXT_TYPE as T;
  }

  getClass<T = unknown>(): Type<T> {
    return this.classRef as Type<T>;
  }

  getHandler(): Function {
    return this.handler;
  }

  getArgs<T extends unknown[] = unknown[]>(): T {
    return this.args as T;
  }

  getArgByIndex<T = unknown>(index: number): T {
    return this.args[index] as T;
  }

  switchToWs(): WsArgumentsHost {
    return {
      getClient: <T>() => this.args[0] as T,
      getData: <T>() => this.args[1] as T,
      getPattern: () => this.args[2] as string,
    };
  }

  switchToRpc(): RpcArgumentsHost {
    return { getData: <T>() => this.args[1] as T, getContext: <T>() => this.args[0] as T };
  }

  /** As Nest's own context host does for non-HTTP contexts: the arguments by position. */
  switchToHttp(): HttpArgumentsHost {
    return {
      getRequest: <T>() => this.args[0] as T,
      getResponse: <T>() => this.args[1] as T,
      getNext: <T>() => this.args[2] as T,
    };
  }
}
