import { jest } from '@jest/globals';
import { createParamDecorator, ExecutionContext, Injectable, Logger, Module, Scope } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Observable, of } from 'rxjs';
import {
  WampArg,
  WampArgs,
  WampBroker,
  WampDelivery,
  WampErrorUri,
  WampEvent,
  WampException,
  WampModule,
  WampPublish,
  WampRegistrationError,
  WampRpc,
  WampSession,
  WampSubscribe,
  WampTopic,
  getWampInvocation,
} from '../../src/index.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { sleep } from '../support/until.js';

const API = 'http://example.com/api#';
const EVENT = 'http://example.com/event#';

/** A custom parameter decorator made with Nest's own factory. */
const CallUri = createParamDecorator((_data: unknown, context: ExecutionContext) => getWampInvocation(context).uri);

@Injectable()
class HandlerService {
  readonly subscribeArgs: unknown[][] = [];
  readonly publishArgs: unknown[][] = [];

  @WampRpc(`${API}add`)
  add(a: number, b: number) {
    return a + b;
  }

  @WampRpc(`${API}nothing`)
  nothing(): void {}

  @WampRpc(`${API}later`)
  async later(value: unknown) {
    await sleep(5);
    return value;
  }

  @WampRpc(`${API}observable`)
  observable(): Observable<string> {
    return of('first', 'last');
  }

  @WampRpc(`${API}all`)
  all(@WampArgs() args: unknown[]) {
    return args;
  }

  @WampRpc(`${API}second`)
  second(@WampArg(1) value: unknown, @WampSession() session: WampSession, @CallUri() uri: string) {
    return { value, session: session.id, uri };
  }

  @WampRpc(`${API}bigint`)
  bigint() {
    return { n: 1n };
  }

  @WampRpc(`${API}kill`)
  kill() {
    throw new WampException('http://example.com/error#kill', 'go away', undefined, { kill: true });
  }

  @WampRpc(`${API}detailed`)
  detailed() {
    throw new WampException('http://example.com/error#detailed', 'with details', { field: 'x' });
  }

  @WampSubscribe(`${EVENT}positional/*`)
  positionalSubscribe(topic: string, session: WampSession) {
    this.subscribeArgs.push([topic, session]);
    return true;
  }

  @WampPublish(`${EVENT}positional/*`)
  positionalPublish(event: unknown, topic: string, session: WampSession) {
    this.publishArgs.push([event, topic, session.id]);
    return true;
  }

  @WampSubscribe(`${EVENT}decorated`)
  decoratedSubscribe(@WampSession() session: WampSession, @WampTopic() topic: string) {
    return session.id.length > 0 && topic === `${EVENT}decorated`;
  }

  @WampPublish(`${EVENT}decorated`)
  decoratedPublish(@WampEvent() event: { text?: string }, @WampSession() session: WampSession) {
    if (!event?.text) return null;
    return new WampDelivery({ text: event.text.toUpperCase(), from: session.id });
  }

  @WampSubscribe(`${EVENT}async`)
  async asyncSubscribe() {
    await sleep(5);
    return true;
  }

  @WampSubscribe(`${EVENT}throws`)
  throwingSubscribe(): boolean {
    throw new Error('subscribe handler failed');
  }

  @WampPublish(`${EVENT}throws`)
  throwingPublish(): boolean {
    throw new Error('publish handler failed');
  }
}

describe('handlers', () => {
  let server: TestServer;
  let service: HandlerService;

  beforeAll(async () => {
    server = await startApp({
      imports: [WampModule.forRoot({})],
      providers: [HandlerService],
    });
    service = server.app.get(HandlerService);
  });
  afterAll(() => server.close());

  describe('RPC', () => {
    it('applies the call arguments positionally', async () => {
      const client = await server.connect();
      expect(await client.call(`${API}add`, 23, 99)).toBe(122);
    });

    it('answers null for a handler that returns nothing', async () => {
      const client = await server.connect();
      expect(await client.call(`${API}nothing`)).toBeNull();
    });

    it('awaits a Promise and takes the last value of an Observable', async () => {
      const client = await server.connect();
      expect(await client.call(`${API}later`, { x: [1, 2] })).toEqual({ x: [1, 2] });
      expect(await client.call(`${API}observable`)).toBe('last');
    });

    it('gives all arguments to @WampArgs, one to @WampArg, the session and custom decorators', async () => {
      const client = await server.connect();
      expect(await client.call(`${API}all`, 1, 'two', null)).toEqual([1, 'two', null]);
      expect(await client.call(`${API}all`)).toEqual([]);
      expect(await client.call(`${API}second`, 'a', 'b')).toEqual({ value: 'b', session: client.sessionId, uri: `${API}second` });
    });

    it('sends a WampException as CALLERROR, with details', async () => {
      const client = await server.connect();
      await expect(client.call(`${API}detailed`)).rejects.toMatchObject({
        uri: 'http://example.com/error#detailed',
        desc: 'with details',
        details: { field: 'x' },
      });
    });

    it('answers internal error for a result JSON cannot carry', async () => {
      const client = await server.connect();
      await expect(client.call(`${API}bigint`)).rejects.toMatchObject({ uri: WampErrorUri.internal, desc: 'internal error' });
      expect(await client.call(`${API}add`, 1, 1)).toBe(2);
    });

    it('closes the session with 3000 after the CALLERROR of a killing exception', async () => {
      const client = await server.connect();
      await expect(client.call(`${API}kill`)).rejects.toMatchObject({ uri: 'http://example.com/error#kill' });
      expect(await client.closed).toEqual({ code: 3000, reason: 'killed by the application' });
    });
  });

  describe('subscribe and publish handlers', () => {
    it('without parameter decorators get (topic, session) and (event, topic, session)', async () => {
      const client = await server.connect();
      const topic = `${EVENT}positional/1`;
      client.subscribe(topic, () => undefined);
      client.publish(topic, { n: 1 });
      expect(await client.nextEvent(topic)).toEqual({ n: 1 });
      const session = service.subscribeArgs.at(-1)?.[1] as WampSession;
      expect(service.subscribeArgs.at(-1)).toEqual([topic, session]);
      expect(session.id).toBe(client.sessionId);
      expect(service.publishArgs.at(-1)).toEqual([{ n: 1 }, topic, client.sessionId]);
    });

    it('with decorators get what they ask for, and may rewrite or drop the event', async () => {
      const client = await server.connect();
      const topic = `${EVENT}decorated`;
      client.subscribe(topic, () => undefined);
      client.publish(topic, { text: '' });
      client.publish(topic, { text: 'hi' });
      expect(await client.nextEvent(topic)).toEqual({ text: 'HI', from: client.sessionId });
      expect(client.eventsOn(topic)).toHaveLength(1);
    });

    it('keeps the order of pub/sub messages across an async subscribe handler', async () => {
      const client = await server.connect();
      const topic = `${EVENT}async`;
      // No publish rule on this topic: the sentinel goes to a decorated topic instead.
      client.subscribe(topic, () => undefined);
      client.send([6, topic]);
      client.subscribe(`${EVENT}decorated`, () => undefined);
      client.publish(`${EVENT}decorated`, { text: 'done' });
      await client.nextEvent(`${EVENT}decorated`);
      // SUBSCRIBE then UNSUBSCRIBE, in that order, even though the subscribe handler was slow.
      expect(server.app.get(WampBroker).subscribers(topic)).not.toContain(client.sessionId);
    });

    it('a throwing subscribe or publish handler denies, and the session goes on', async () => {
      const client = await server.connect();
      client.subscribe(`${EVENT}throws`, () => undefined);
      client.publish(`${EVENT}throws`, 'x');
      expect(await client.call(`${API}add`, 2, 2)).toBe(4);
    });
  });
});

describe('bootstrap', () => {
  async function bootstrap(providers: unknown[], forRoot = WampModule.forRoot({})): Promise<void> {
    const moduleRef = await Test.createTestingModule({ imports: [forRoot], providers: providers as never[] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    try {
      await app.init();
    } finally {
      await app.close();
    }
  }

  it('refuses a procedure URI registered twice, naming both methods', async () => {
    @Injectable()
    class First {
      @WampRpc(`${API}twice`)
      one() {}
    }
    @Injectable()
    class Second {
      @WampRpc(`${API}twice`)
      two() {}
    }
    await expect(bootstrap([First, Second])).rejects.toThrow(WampRegistrationError);
    await expect(bootstrap([First, Second])).rejects.toThrow(/"http:\/\/example.com\/api#twice".*First\.one.*Second\.two/);
  });

  it('refuses two subscribe rules for one topic pattern, and a handler clashing with the topics option', async () => {
    @Injectable()
    class Topics {
      @WampSubscribe(`${EVENT}clash`)
      one() {
        return true;
      }
    }
    await expect(bootstrap([Topics], WampModule.forRoot({ topics: { [`${EVENT}clash`]: true } }))).rejects.toThrow(
      /two subscribe rules.*topics" option.*Topics\.one/,
    );
  });

  it('refuses a rest parameter without @WampArgs, and a pattern as procedure URI', async () => {
    @Injectable()
    class Rest {
      @WampRpc(`${API}rest`)
      rest(...values: number[]) {
        return values;
      }
    }
    await expect(bootstrap([Rest])).rejects.toThrow(/Rest\.rest takes a rest parameter.*@WampArgs/);
    @Injectable()
    class Pattern {
      @WampRpc(`${API}*`)
      any() {}
    }
    await expect(bootstrap([Pattern])).rejects.toThrow(/procedure URIs are exact/);
  });

  it('refuses invalid options with a message naming the option', async () => {
    await expect(bootstrap([], WampModule.forRoot({ maxPayload: -1 }))).rejects.toThrow(/"maxPayload"/);
  });

  it('does not serve handlers of request-scoped providers, and says why', async () => {
    @Injectable({ scope: Scope.REQUEST })
    class Scoped {
      @WampRpc(`${API}scoped`)
      scoped() {
        return 1;
      }
    }
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const server = await startApp({ imports: [WampModule.forRoot({})], providers: [Scoped] });
      try {
        const client = await server.connect();
        await expect(client.call(`${API}scoped`)).rejects.toMatchObject({ uri: WampErrorUri.notFound });
      } finally {
        await server.close();
      }
      expect(warn.mock.calls.some(([message]) => /Scoped is request-scoped or transient/.test(String(message)))).toBe(true);
    } finally {
      warn.mockRestore();
    }
  });
});

describe('forRootAsync', () => {
  const CONFIG = 'CONFIG';

  @Module({ providers: [{ provide: CONFIG, useValue: { ident: 'async-server/2', path: '/async' } }], exports: [CONFIG] })
  class ConfigModule {}

  @Injectable()
  class Ping {
    @WampRpc(`${API}ping`)
    ping() {
      return 'pong';
    }
  }

  it('builds the options from a factory with injected dependencies', async () => {
    const server = await startApp(
      {
        imports: [
          WampModule.forRootAsync({
            imports: [ConfigModule],
            inject: [CONFIG],
            useFactory: (config: { ident: string; path: string }) => ({ serverIdent: config.ident, path: config.path }),
          }),
        ],
        providers: [Ping],
      },
      '/async',
    );
    try {
      const client = await server.connect();
      expect(client.serverIdent).toBe('async-server/2');
      expect(await client.call(`${API}ping`)).toBe('pong');
    } finally {
      await server.close();
    }
  });
});
