// WampBroker.cluster: the broker's operations on sessions connected to any instance, over the
// Redis backplane's request/response channels, against the machine's Redis (and a paused one of
// the test's own for the timeout).
import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { WampCallId, WampModule, WampRpc, WampSession, type WampSession as Session } from 'nest-wamp';
import { RedisBackplane } from 'nest-wamp/redis';
import type { WampTestClient } from 'nest-wamp/testing';
import { describeWithRedis, DisposableRedis, REDIS_URL } from '../support/redis.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { until, within } from '../support/until.js';

const EV = 'http://example.com/event#';

/** A call that waits for someone else to answer it, remembering where it waits. */
@Injectable()
class Parked {
  readonly calls: Array<{ sessionId: string; callId: string }> = [];

  @WampRpc('http://example.com/rpc#park')
  park(@WampSession() session: Session, @WampCallId() callId: string): Promise<never> {
    this.calls.push({ sessionId: session.id, callId });
    return new Promise(() => {});
  }
}

function instance(url: string, channelPrefix: string, requestTimeoutMs = 2000): Promise<TestServer> {
  const auth = {
    allowAnonymous: true,
    secret: (key: string) => (key === 'guest' ? 'secret-password' : undefined),
    permissions: () => ({ all: true }),
  };
  return startApp({
    imports: [
      WampModule.forRoot({ auth, topics: { [`${EV}*`]: true }, backplane: new RedisBackplane({ url, channelPrefix, requestTimeoutMs }) }),
    ],
    providers: [Parked],
  });
}

async function loggedIn(server: TestServer, authKey?: string): Promise<WampTestClient> {
  const client = await server.connect();
  await client.authenticate(authKey, authKey ? 'secret-password' : '');
  return client;
}

const describeRedis = await describeWithRedis();

describeRedis('WampBroker.cluster over two instances', () => {
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    const prefix = `cluster-${randomBytes(4).toString('hex')}`;
    [a, b] = await Promise.all([instance(REDIS_URL, prefix), instance(REDIS_URL, prefix)]);
  });
  afterAll(() => Promise.all([a?.close(), b?.close()]));

  it('lists the sessions and subscribers of both instances, from either', async () => {
    const onA = await loggedIn(a);
    const onB = await loggedIn(b, 'guest');
    onA.subscribe(`${EV}room`, () => {});
    onB.subscribe(`${EV}room`, () => {});
    await Promise.all([onA.call('http://example.com/rpc#none').catch(() => {}), onB.call('http://example.com/rpc#none').catch(() => {})]);

    for (const server of [a, b]) {
      const sessions = await server.broker.cluster.sessions();
      expect(sessions.find((session) => session.id === onA.sessionId)).toMatchObject({
        v2Id: a.broker.session(onA.sessionId)!.v2Id,
        authKey: null,
        subscriptions: [`${EV}room`],
      });
      expect(sessions.find((session) => session.id === onB.sessionId)).toMatchObject({
        v2Id: b.broker.session(onB.sessionId)!.v2Id,
        authKey: 'guest',
        subscriptions: [`${EV}room`],
      });
      expect(new Set(sessions.map((session) => session.instance)).size).toBe(2);
      expect((await server.broker.cluster.subscribers(`${EV}room`)).sort()).toEqual([onA.sessionId, onB.sessionId].sort());
    }
    await Promise.all([onA.close(), onB.close()]);
  });

  it('subscribes, unsubscribes and closes a session wherever it is connected', async () => {
    const onB = await loggedIn(b);
    expect(await a.broker.cluster.subscribe(onB.sessionId, `${EV}news`)).toBe(true);
    expect(b.broker.subscribers(`${EV}news`)).toEqual([onB.sessionId]);
    b.broker.publish(`${EV}news`, 'extra');
    expect(await onB.nextEvent(`${EV}news`)).toBe('extra');

    expect(await a.broker.cluster.unsubscribe(onB.sessionId, `${EV}news`)).toBe(true);
    expect(b.broker.subscribers(`${EV}news`)).toEqual([]);
    expect(await a.broker.cluster.unsubscribe(onB.sessionId, `${EV}news`)).toBe(false);

    const closed = onB.closed;
    expect(await a.broker.cluster.close(onB.sessionId, 4001, 'moved')).toBe(true);
    expect(await within(closed, 'the close')).toMatchObject({ code: 4001, reason: 'moved' });
    expect(await a.broker.cluster.close('no-such-session')).toBe(false);
  });

  it('answers a call pending on the other instance', async () => {
    const caller = await loggedIn(b);
    const parked = b.app.get(Parked);
    const first = caller.call('http://example.com/rpc#park');
    const second = caller.call('http://example.com/rpc#park');
    await until(() => parked.calls.length === 2, 'two parked calls');
    const [one, two] = parked.calls;

    expect(await a.broker.cluster.sendCallResult(one.sessionId, one.callId, { answered: 'elsewhere' })).toBe(true);
    expect(await first).toEqual({ answered: 'elsewhere' });
    expect(await a.broker.cluster.sendCallError(two.sessionId, two.callId, 'http://example.com/error#moved', 'moved', [1])).toBe(true);
    await expect(second).rejects.toMatchObject({ uri: 'http://example.com/error#moved', desc: 'moved', details: [1] });
    expect(await a.broker.cluster.sendCallResult(one.sessionId, one.callId, 'again')).toBe(false);
    await caller.close();
  });

  it('sends server-side messages to the other instances only', async () => {
    const gotOnA: unknown[] = [];
    const gotOnB: Array<[unknown, string]> = [];
    const stopA = a.broker.cluster.on('cache-flush', (payload) => gotOnA.push(payload));
    const stopB = b.broker.cluster.on('cache-flush', (payload, from) => gotOnB.push([payload, from]));

    expect(await a.broker.cluster.emit('cache-flush', { keys: ['x'] })).toBe(1);
    expect(gotOnB).toEqual([[{ keys: ['x'] }, expect.any(String)]]);
    expect(gotOnA).toEqual([]);
    expect(await a.broker.cluster.emit('nobody-listens')).toBe(0);

    stopB();
    expect(await a.broker.cluster.emit('cache-flush', 1)).toBe(0);
    stopA();
  });
});

describeRedis('WampBroker.cluster when an instance does not answer', () => {
  it('resolves with what this instance has once the timeout passed, and with nothing pending after', async () => {
    const redis = await DisposableRedis.create();
    await redis.start();
    const prefix = `cluster-${randomBytes(4).toString('hex')}`;
    const [a, b] = await Promise.all([instance(redis.url, prefix, 300), instance(redis.url, prefix, 300)]);
    try {
      const onA = await loggedIn(a);
      await until(async () => (await a.broker.cluster.sessions()).length === 1, 'both instances on Redis');
      redis.pause();
      const sessions = await within(a.broker.cluster.sessions(), 'sessions() with Redis paused');
      expect(sessions.map((session) => session.id)).toEqual([onA.sessionId]);
      expect(await within(a.broker.cluster.close('elsewhere'), 'close() with Redis paused')).toBe(false);
    } finally {
      redis.resume();
      await Promise.all([a.close(), b.close()]);
      await redis.stop();
    }
  });
});

describe('WampBroker.cluster without a backplane', () => {
  it('acts on this instance only', async () => {
    const server = await startApp({ imports: [WampModule.forRoot({ topics: { [`${EV}*`]: true } })] });
    try {
      const client = await server.connect();
      client.subscribe(`${EV}solo`, () => {});
      await client.call('http://example.com/rpc#none').catch(() => {});
      expect(await server.broker.cluster.sessions()).toEqual([
        {
          id: client.sessionId,
          v2Id: server.broker.session(client.sessionId)!.v2Id,
          instance: expect.any(String),
          subscriptions: [`${EV}solo`],
        },
      ]);
      expect(await server.broker.cluster.subscribers(`${EV}solo`)).toEqual([client.sessionId]);
      expect(await server.broker.cluster.emit('anything')).toBe(0);
      expect(await server.broker.cluster.close('unknown')).toBe(false);
    } finally {
      await server.close();
    }
  });
});
