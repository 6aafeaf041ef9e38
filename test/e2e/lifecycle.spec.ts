import { Injectable } from '@nestjs/common';
import {
  WampArg,
  WampBroker,
  WampCallId,
  WampErrorUri,
  WampModule,
  WampRpc,
  WampSession,
  type OnWampCallError,
  type OnWampCallResult,
  type OnWampPublished,
  type OnWampSessionClose,
  type OnWampSessionOpen,
  type OnWampSubscribed,
  type OnWampUnsubscribed,
  type WampCallErrorInfo,
  type WampCallInvocation,
  type WampCloseInfo,
  type WampPublication,
} from '../../src/index.js';
import { deferred, until } from '../support/until.js';
import { startApp, type TestServer } from '../support/start-app.js';

const API = 'http://example.com/api#';
const CHAT = 'http://example.com/event#chat';
const OTHER = 'http://example.com/event#other';

type HookCall = [string, string, ...unknown[]];

@Injectable()
class Hooks
  implements OnWampSessionOpen, OnWampSessionClose, OnWampSubscribed, OnWampUnsubscribed, OnWampPublished, OnWampCallResult, OnWampCallError
{
  readonly calls: HookCall[] = [];
  onWampSessionOpen(session: WampSession) {
    this.calls.push(['open', session.id]);
  }
  onWampSessionClose(session: WampSession, close: WampCloseInfo) {
    this.calls.push(['close', session.id, close.code]);
  }
  onWampSubscribed(session: WampSession, topic: string) {
    this.calls.push(['subscribed', session.id, topic]);
  }
  onWampUnsubscribed(session: WampSession, topic: string) {
    this.calls.push(['unsubscribed', session.id, topic]);
  }
  onWampPublished(session: WampSession, publication: WampPublication) {
    this.calls.push(['published', session.id, publication.topic, publication.event]);
  }
  onWampCallResult(call: WampCallInvocation, result: unknown) {
    this.calls.push(['result', call.session.id, call.uri, result]);
  }
  onWampCallError(call: WampCallInvocation, error: WampCallErrorInfo) {
    this.calls.push(['error', call.session.id, call.uri, error.uri]);
  }
  of(sessionId: string): unknown[][] {
    return this.calls.filter((call) => call[1] === sessionId).map(([name, , ...rest]) => [name, ...rest]);
  }
}

/** A hook that fails must not disturb anything. */
@Injectable()
class FailingHooks implements OnWampSessionOpen, OnWampCallResult {
  onWampSessionOpen() {
    throw new Error('open hook failed');
  }
  async onWampCallResult() {
    throw new Error('result hook failed');
  }
}

/** Calls whose completion the test controls. */
@Injectable()
class Controlled {
  readonly pending = new Map<string, ReturnType<typeof deferred<unknown>>>();

  readonly callIds = new Map<string, string>();

  @WampRpc(`${API}wait`)
  wait(@WampArg(0) key: string, @WampCallId() callId: string) {
    const gate = deferred<unknown>();
    this.pending.set(key, gate);
    this.callIds.set(key, callId);
    return gate.promise;
  }

  @WampRpc(`${API}echo`)
  echo(value: unknown) {
    return value;
  }

  @WampRpc(`${API}sleep`)
  sleep(ms: number, value: unknown) {
    return new Promise((resolve) => setTimeout(() => resolve(value), ms));
  }
}

describe('lifecycle, broker, concurrency and cleanup', () => {
  let server: TestServer;
  let hooks: Hooks;
  let controlled: Controlled;
  let broker: WampBroker;

  beforeAll(async () => {
    server = await startApp({
      imports: [WampModule.forRoot({ topics: { [CHAT]: true, [OTHER]: true } })],
      providers: [Hooks, FailingHooks, Controlled],
    });
    hooks = server.app.get(Hooks);
    controlled = server.app.get(Controlled);
    broker = server.app.get(WampBroker);
  });
  afterAll(() => server.close());

  it('runs every lifecycle hook with what happened, in order, despite a failing hook', async () => {
    const client = await server.connect();
    const id = client.sessionId;
    client.subscribe(CHAT, () => undefined);
    client.publish(CHAT, 'hello');
    await client.nextEvent(CHAT);
    expect(await client.call(`${API}echo`, 5)).toBe(5);
    await expect(client.call(`${API}missing`)).rejects.toMatchObject({ uri: WampErrorUri.notFound });
    client.unsubscribe(CHAT);
    client.subscribe(OTHER, () => undefined);
    await client.call(`${API}echo`, 'sync');
    await client.close();
    await until(() => hooks.of(id).some(([name]) => name === 'close'));
    expect(hooks.of(id)).toEqual([
      ['open'],
      ['subscribed', CHAT],
      ['published', CHAT, 'hello'],
      ['result', `${API}echo`, 5],
      ['error', `${API}missing`, WampErrorUri.notFound],
      ['unsubscribed', CHAT],
      ['subscribed', OTHER],
      ['result', `${API}echo`, 'sync'],
      ['unsubscribed', OTHER],
      ['close', 1000],
    ]);
  });

  describe('calls', () => {
    it('run concurrently: a slow call does not hold up a fast one, and answers come back out of order', async () => {
      const client = await server.connect();
      const slow = client.call(`${API}wait`, 'slow-1');
      await until(() => controlled.pending.has('slow-1'));
      expect(await client.call(`${API}echo`, 'fast')).toBe('fast');
      controlled.pending.get('slow-1')!.resolve('slow');
      expect(await slow).toBe('slow');
    });

    it('each of many sessions gets its own answers, with many calls in flight', async () => {
      const clients = await Promise.all(Array.from({ length: 20 }, () => server.connect()));
      const results = await Promise.all(
        clients.flatMap((client, c) => Array.from({ length: 10 }, (_, i) => client.call(`${API}sleep`, (i * 7 + c) % 5, `${c}-${i}`))),
      );
      expect(results).toEqual(clients.flatMap((_, c) => Array.from({ length: 10 }, (__, i) => `${c}-${i}`)));
      await Promise.all(clients.map((client) => client.close()));
    });

    it('a result that arrives after the session closed is dropped, not thrown', async () => {
      const client = await server.connect();
      const id = client.sessionId;
      const call = client.call(`${API}wait`, 'orphan').catch((error: Error) => error.message);
      await until(() => controlled.pending.has('orphan'));
      await client.close();
      await until(() => broker.session(id) === undefined);
      controlled.pending.get('orphan')!.resolve('too late');
      expect(await call).toMatch(/connection closed/);
      // The process is fine and the next session works.
      const next = await server.connect();
      expect(await next.call(`${API}echo`, 1)).toBe(1);
    });
  });

  describe('WampBroker', () => {
    it('publishes to all, to all but some, and to only some subscribers', async () => {
      const [a, b, c] = await Promise.all([server.connect(), server.connect(), server.connect()]);
      for (const client of [a, b, c]) client.subscribe(CHAT, () => undefined);
      await until(() => broker.subscribers(CHAT).length >= 3);
      expect(broker.subscribers(CHAT)).toEqual(expect.arrayContaining([a.sessionId, b.sessionId, c.sessionId]));
      expect(broker.publish(CHAT, 'all')).toBeGreaterThanOrEqual(3);
      broker.publish(CHAT, 'not-a', { exclude: [a.sessionId] });
      broker.publish(CHAT, 'only-c', { eligible: [c.sessionId] });
      broker.publish(CHAT, 'end');
      for (const client of [a, b, c]) await client.nextEvent(CHAT, 2000, (event) => event === 'end');
      expect(a.eventsOn(CHAT)).toEqual(['all', 'end']);
      expect(b.eventsOn(CHAT)).toEqual(['all', 'not-a', 'end']);
      expect(c.eventsOn(CHAT)).toEqual(['all', 'not-a', 'only-c', 'end']);
      await Promise.all([a, b, c].map((client) => client.close()));
    });

    it('subscribes and unsubscribes a session server-side, lists and closes sessions', async () => {
      const client = await server.connect();
      const id = client.sessionId;
      expect(broker.session(id)?.id).toBe(id);
      expect(broker.sessions().map((session) => session.id)).toContain(id);
      const topic = 'http://example.com/event#server-side';
      expect(broker.subscribe(id, topic)).toBe(true);
      expect(broker.subscribe(id, topic)).toBe(false);
      expect(broker.subscribe('no-such-session', topic)).toBe(false);
      expect(broker.topics()).toContain(topic);
      broker.publish(topic, 'pushed');
      expect(await client.nextEvent(topic)).toBe('pushed');
      expect(broker.unsubscribe(id, topic)).toBe(true);
      expect(broker.unsubscribe(id, topic)).toBe(false);
      expect(broker.topics()).not.toContain(topic);
      expect(broker.close(id, 4000, 'bye')).toBe(true);
      expect(await client.closed).toEqual({ code: 4000, reason: 'bye' });
      await until(() => broker.session(id) === undefined);
      expect(broker.close(id)).toBe(false);
    });

    it('answers a pending call once (clj-wamp send-call-result! / send-call-error!)', async () => {
      const client = await server.connect();
      const id = client.sessionId;
      const first = client.call(`${API}wait`, 'answered-by-broker');
      await until(() => controlled.pending.has('answered-by-broker'));
      const callId = controlled.callIds.get('answered-by-broker')!;
      expect(broker.sendCallResult(id, callId, 'from broker')).toBe(true);
      expect(await first).toBe('from broker');
      controlled.pending.get('answered-by-broker')!.resolve('from handler');
      expect(broker.sendCallResult(id, callId, 'again')).toBe(false);

      const second = client.call(`${API}wait`, 'failed-by-broker');
      await until(() => controlled.pending.has('failed-by-broker'));
      const secondId = controlled.callIds.get('failed-by-broker')!;
      expect(broker.sendCallError(id, secondId, 'http://example.com/error#nope', 'nope', [1])).toBe(true);
      await expect(second).rejects.toMatchObject({ uri: 'http://example.com/error#nope', desc: 'nope', details: [1] });
      controlled.pending.get('failed-by-broker')!.resolve('ignored');
      expect(await client.call(`${API}echo`, 'still fine')).toBe('still fine');
    });
  });

  describe('cleanup', () => {
    it('leaves no session, subscription or pending call behind once every client is gone', async () => {
      const own = await startApp({
        imports: [WampModule.forRoot({ topics: { 'http://example.com/event#*': true } })],
        providers: [Controlled],
      });
      try {
        const ownBroker = own.app.get(WampBroker);
        const clients = await Promise.all(Array.from({ length: 10 }, () => own.connect()));
        for (const client of clients) {
          client.subscribe(CHAT, () => undefined);
          client.subscribe(`http://example.com/event#own-${client.sessionId}`, () => undefined);
          void client.call(`${API}wait`, `never-${client.sessionId}`).catch(() => undefined);
        }
        await until(() => ownBroker.topics().length === 11);
        // Half close cleanly, half vanish without a closing handshake.
        await Promise.all(clients.slice(0, 5).map((client) => client.close()));
        for (const client of clients.slice(5)) (client as unknown as { socket: { terminate(): void } }).socket.terminate();
        await until(() => ownBroker.sessions().length === 0, 'all sessions gone');
        expect(ownBroker.topics()).toEqual([]);
        expect(ownBroker.subscribers(CHAT)).toEqual([]);
      } finally {
        await own.close();
      }
    });
  });
});
