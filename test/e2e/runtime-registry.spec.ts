import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import {
  getWampInvocation,
  isWampContext,
  WampBroker,
  WampErrorUri,
  WampModule,
  WampRegistrationError,
  WampRegistry,
  WampRpc,
  type WampSession,
} from '../../src/index.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { until } from '../support/until.js';

/**
 * Procedures, topic rules and hooks added and removed while the server runs (WampRegistry, in
 * the style of @nestjs/schedule's SchedulerRegistry), with the same guards and permission policy
 * as decorated handlers.
 */
const RPC = 'http://x/rpc#';
const TENANT = 'http://x/tenant/';

/** A global guard of the application's: it must run around runtime procedures too. */
@Injectable()
class NoForbidden implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return !isWampContext(context) || !getWampInvocation(context).uri.includes('forbidden');
  }
}

@Injectable()
class Decorated {
  @WampRpc(`${RPC}decorated`)
  decorated() {
    return 'decorated';
  }
}

describe('WampRegistry: handlers and hooks at runtime', () => {
  let server: TestServer;
  let registry: WampRegistry;
  let broker: WampBroker;

  beforeAll(async () => {
    server = await startApp({
      imports: [
        WampModule.forRoot({
          auth: {
            allowAnonymous: true,
            permissions: () => ({ rpc: { [`${RPC}*`]: true }, subscribe: { [`${TENANT}*`]: true }, publish: { [`${TENANT}*`]: true } }),
          },
        }),
      ],
      providers: [Decorated, { provide: APP_GUARD, useClass: NoForbidden }],
    });
    registry = server.app.get(WampRegistry);
    broker = server.app.get(WampBroker);
  });
  afterAll(() => server.close());

  async function client() {
    const connected = await server.connect();
    await connected.authenticate();
    return connected;
  }

  it('a procedure added while running answers with the invocation it gets, and is gone once removed', async () => {
    const caller = await client();
    await expect(caller.call(`${RPC}tenant-a.sum`, 1, 2)).rejects.toMatchObject({ uri: WampErrorUri.notFound });
    registry.addProcedure(`${RPC}tenant-a.sum`, (call) => ({
      sum: (call.args as number[]).reduce((a, b) => a + b, 0),
      by: call.session.id,
    }));
    expect(await caller.call(`${RPC}tenant-a.sum`, 1, 2)).toEqual({ sum: 3, by: caller.sessionId });
    expect(registry.procedures()).toContain(`${RPC}tenant-a.sum`);
    expect(registry.removeProcedure(`${RPC}tenant-a.sum`)).toBe(true);
    expect(registry.removeProcedure(`${RPC}tenant-a.sum`)).toBe(false);
    await expect(caller.call(`${RPC}tenant-a.sum`, 1, 2)).rejects.toMatchObject({ uri: WampErrorUri.notFound });
    await caller.close();
  });

  it('runs the global guards and the permission policy around runtime procedures', async () => {
    registry.addProcedure(`${RPC}forbidden`, () => 'should not run');
    registry.addProcedure('http://elsewhere/rpc#open', () => 'not granted');
    const anonymous = await server.connect();
    const authenticated = await client();
    try {
      // Not authenticated: the WampPermissionGuard refuses.
      registry.addProcedure(`${RPC}hello`, () => 'hello');
      await expect(anonymous.call(`${RPC}hello`)).rejects.toMatchObject({ uri: WampErrorUri.unauthorized });
      expect(await authenticated.call(`${RPC}hello`)).toBe('hello');
      // The application's global guard.
      await expect(authenticated.call(`${RPC}forbidden`)).rejects.toMatchObject({ uri: WampErrorUri.unauthorized });
      // A URI the permission map does not grant.
      await expect(authenticated.call('http://elsewhere/rpc#open')).rejects.toMatchObject({ uri: WampErrorUri.unauthorized });
    } finally {
      for (const uri of [`${RPC}forbidden`, 'http://elsewhere/rpc#open', `${RPC}hello`]) registry.removeProcedure(uri);
      await Promise.all([anonymous.close(), authenticated.close()]);
    }
  });

  it('refuses a URI already taken, by a decorated handler or a runtime one, and a pattern for a procedure', () => {
    expect(() => registry.addProcedure(`${RPC}decorated`, () => 1)).toThrow(WampRegistrationError);
    registry.addProcedure(`${RPC}once`, () => 1);
    expect(() => registry.addProcedure(`${RPC}once`, () => 2)).toThrow(/registered twice/);
    expect(() => registry.addProcedure(`${RPC}*`, () => 3)).toThrow(WampRegistrationError);
    expect(() => registry.addProcedure(`${RPC}not-a-function`, 42 as never)).toThrow(WampRegistrationError);
    registry.removeProcedure(`${RPC}once`);
  });

  it('topic rules added and removed while running: subscribe and publish go through them', async () => {
    const [subscriber, publisher] = await Promise.all([client(), client()]);
    const topic = `${TENANT}b/news`;
    subscriber.subscribe(topic, () => undefined);
    // A round trip after it: the SUBSCRIBE has been handled (frames of one session are handled in order).
    expect(await subscriber.call(`${RPC}decorated`)).toBe('decorated');
    expect(broker.subscribers(topic)).toEqual([]); // no rule yet: ignored

    const asked: string[] = [];
    registry.addSubscribeRule(`${TENANT}b/*`, (subscription) => {
      asked.push(subscription.uri);
      return true;
    });
    registry.addPublishRule(`${TENANT}b/*`, true);
    subscriber.unsubscribe(topic);
    subscriber.subscribe(topic, () => undefined);
    await until(() => broker.subscribers(topic).includes(subscriber.sessionId), 'the subscription through the runtime rule');
    expect(asked).toEqual([topic]);
    publisher.publish(topic, 'hello tenant b');
    expect(await subscriber.nextEvent(topic)).toBe('hello tenant b');

    expect(registry.topicRules('subscribe')).toContain(`${TENANT}b/*`);
    expect(registry.removeSubscribeRule(`${TENANT}b/*`)).toBe(true);
    expect(registry.removePublishRule(`${TENANT}b/*`)).toBe(true);
    publisher.publish(topic, 'after removal');
    broker.publish(topic, 'sentinel');
    expect(await subscriber.nextEvent(topic)).toBe('sentinel');
    await Promise.all([subscriber.close(), publisher.close()]);
  });

  it('the WAMP-CRA permissions answer follows what is registered now, and lists no topic a static false closes', async () => {
    const before = (await (await server.connect()).authenticate()) as Record<string, Record<string, true>>;
    expect(before.rpc).not.toHaveProperty(`${RPC}late`);
    registry.addProcedure(`${RPC}late`, () => 'late');
    registry.addSubscribeRule(`${TENANT}c/*`, true);
    registry.addPublishRule(`${TENANT}c/*`, false);
    try {
      const after = (await (await server.connect()).authenticate()) as Record<string, Record<string, true>>;
      expect(after.rpc).toHaveProperty([`${RPC}late`], true);
      expect(after.subscribe).toHaveProperty([`${TENANT}c/*`], true);
      expect(after.publish).not.toHaveProperty([`${TENANT}c/*`]);
    } finally {
      registry.removeProcedure(`${RPC}late`);
      registry.removeSubscribeRule(`${TENANT}c/*`);
      registry.removePublishRule(`${TENANT}c/*`);
    }
  });

  it('hooks of an object added and removed while running', async () => {
    const opened: string[] = [];
    const listener = { onWampSessionOpen: (session: WampSession) => opened.push(session.id) };
    expect(registry.addHooks(listener)).toEqual(['onWampSessionOpen']);
    const first = await server.connect();
    expect(opened).toEqual([first.sessionId]);
    expect(registry.removeHooks(listener)).toBe(true);
    expect(registry.removeHooks(listener)).toBe(false);
    const second = await server.connect();
    expect(opened).toEqual([first.sessionId]);
    await Promise.all([first.close(), second.close()]);
  });
});
