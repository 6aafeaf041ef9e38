import {
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
  ParseIntPipe,
  UseGuards,
  UseInterceptors,
  UsePipes,
} from '@nestjs/common';
import { ExternalContextCreator } from '@nestjs/core';
import { AsyncLocalStorage } from 'node:async_hooks';
import { EMPTY, from, map, of } from 'rxjs';
import { getWampInvocation, WampErrorUri, WampModule, WampRpc, type WampCallInvocation } from '../../src/index.js';
import { WampEngine } from '../../src/engine/wamp-engine.js';
import { WampHandlerFactory } from '../../src/nest/wamp-handler.factory.js';
import { resolveEnhancers } from '../../src/nest/wamp-handler-pipeline.js';
import { WampParamsFactory } from '../../src/nest/wamp-params.factory.js';
import { startApp, type TestServer } from '../support/start-app.js';

const API = 'http://example.com/api#';
const storage = new AsyncLocalStorage<string>();

/** Refuses the argument "3", asynchronously. */
@Injectable()
class NotThree implements CanActivate {
  canActivate(context: ExecutionContext): Promise<boolean> {
    const invocation = getWampInvocation(context);
    return Promise.resolve(invocation.kind !== 'call' || invocation.args[0] !== '3');
  }
}

/** Runs the rest of the pipeline inside an AsyncLocalStorage context, as nestjs-cls-style interceptors do. */
@Injectable()
class WithStore implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler) {
    return storage.run('from the interceptor', () => next.handle());
  }
}

/** An interceptor that answers with a Promise of an Observable. */
@Injectable()
class AsyncTenfold implements NestInterceptor {
  async intercept(_context: ExecutionContext, next: CallHandler) {
    await Promise.resolve();
    return next.handle().pipe(map((value) => (value as number) * 10));
  }
}

@Injectable()
class Pipelined {
  @WampRpc(`${API}store`)
  @UseInterceptors(WithStore)
  store() {
    return new Promise((resolve) => setTimeout(() => resolve(storage.getStore() ?? 'no store'), 1));
  }

  @WampRpc(`${API}tenfold`)
  @UseGuards(NotThree)
  @UseInterceptors(AsyncTenfold)
  @UsePipes(ParseIntPipe)
  tenfold(value: number) {
    return from([value - 1, value]);
  }

  @WampRpc(`${API}empty`)
  empty() {
    return EMPTY;
  }

  @WampRpc(`${API}observable`)
  observable() {
    return of(1, 2, 3);
  }
}

describe("nest-wamp's handler pipeline", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startApp({ imports: [WampModule.forRoot({})], providers: [Pipelined, NotThree, WithStore, AsyncTenfold] });
  });
  afterAll(() => server.close());

  it('is the one in use on this version of Nest (not the ExternalContextCreator fallback)', () => {
    const enhancers = resolveEnhancers(
      server.app.get(ExternalContextCreator),
      server.app.get(Pipelined),
      'tenfold',
      '__routeArguments__',
      new WampParamsFactory(),
    );
    expect(enhancers).toBeDefined();
    expect(enhancers!.guards).toHaveLength(1);
    expect(enhancers!.interceptors).toHaveLength(1);
    expect(enhancers!.pipes).toHaveLength(1);
  });

  it("carries an interceptor's AsyncLocalStorage context into the handler", async () => {
    const client = await server.connect();
    expect(await client.call(`${API}store`)).toBe('from the interceptor');
  });

  it('runs an async guard, a method pipe, an interceptor returning a Promise, and flattens an Observable result', async () => {
    const client = await server.connect();
    expect(await client.call(`${API}tenfold`, '4')).toBe(40);
    await expect(client.call(`${API}tenfold`, '3')).rejects.toMatchObject({ uri: WampErrorUri.unauthorized });
    await expect(client.call(`${API}tenfold`, 'four')).rejects.toMatchObject({ uri: WampErrorUri.invalidArgument });
  });

  it('takes the last value of an Observable; an empty one fails like in Nest (internal error)', async () => {
    const client = await server.connect();
    expect(await client.call(`${API}observable`)).toBe(3);
    await expect(client.call(`${API}empty`)).rejects.toMatchObject({ uri: WampErrorUri.internal });
  });

  it('gives the same answers through the ExternalContextCreator fallback', async () => {
    const real = server.app.get(ExternalContextCreator);
    // A context creator that only offers its public create(), as a Nest that hid its internals would.
    const publicOnly = { create: real.create.bind(real) } as unknown as ExternalContextCreator;
    const handler = new WampHandlerFactory(publicOnly).create(
      server.app.get(Pipelined),
      'tenfold',
      'Pipelined.tenfold',
      server.app.get(WampEngine).log,
    );
    const session = {
      id: 's',
      v2Id: 1,
      protocolVersion: 1 as const,
      data: {},
      subscriptions: new Set<string>(),
      isOpen: true,
      handshake: { url: '/', headers: {} },
      close() {},
    };
    const call = (arg: unknown): WampCallInvocation => ({ kind: 'call', session, uri: `${API}tenfold`, callId: 'c', args: [arg] });
    expect(await handler(call('6'))).toBe(60);
    await expect(handler(call('3'))).rejects.toThrow('Forbidden resource');
    await expect(handler(call('six'))).rejects.toThrow('numeric string is expected');
  });
});
