// Pub/sub across the protocols on one endpoint: a WAMP v1 client (WampTestClient) and WAMP v2
// clients (Autobahn|JS 26) on the same topics, both ways, under names mapped by the `v2.uris`
// option and by a decorator's `v2`; exclude/eligible naming sessions of the other protocol (each
// protocol's own id form); WampBroker.publish reaching both; the hooks with the server's names.
//
// To show that an event did NOT arrive, a sentinel is published after it: events of one publisher
// reach a subscriber in order, so once the sentinel is in, anything else would be too.
import { Injectable } from '@nestjs/common';
import { type OnWampSubscribed, WampModule, WampPublish, WampSubscribe, type WampSession } from '../../src/index.js';
import { WampTestClient } from '../../src/testing/index.js';
import { openV2Session, type V2SessionHandle } from '../support/autobahn-v2.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { until } from '../support/until.js';

const EV = 'http://example.com/event#';
const CHAT = `${EV}chat`;
const DECORATED = `${EV}decorated`;
const REALM = 'bridge';
const SENTINEL = '--sentinel--';

const subscribedHooks: string[] = [];

/** A topic named for v2 by its decorators, not by the option. */
@Injectable()
class Decorated implements OnWampSubscribed {
  @WampSubscribe(DECORATED, { v2: 'bridge.decorated' })
  maySubscribe(): boolean {
    return true;
  }

  @WampPublish(DECORATED, { v2: 'bridge.decorated' })
  mayPublish(): boolean {
    return true;
  }

  onWampSubscribed(session: WampSession, topic: string): void {
    subscribedHooks.push(`${session.protocolVersion}:${topic}`);
  }
}

interface V2Event {
  readonly args: unknown[];
  readonly kwargs: Record<string, unknown>;
}

/** An Autobahn session subscribed to a topic, recording what it receives in order. */
async function v2Subscriber(handle: V2SessionHandle, topic: string, options?: Record<string, unknown>): Promise<V2Event[]> {
  const received: V2Event[] = [];
  await handle.session.subscribe(topic, (args, kwargs) => received.push({ args: args ?? [], kwargs: kwargs ?? {} }), options);
  return received;
}

/** The events received before the sentinel (which must come), the sentinel excluded. */
async function untilSentinel(received: V2Event[]): Promise<V2Event[]> {
  await until(() => received.some((event) => event.args[0] === SENTINEL), 'the sentinel');
  return received.slice(
    0,
    received.findIndex((event) => event.args[0] === SENTINEL),
  );
}

describe('pub/sub between WAMP v1 and v2 clients', () => {
  let server: TestServer;
  let handles: V2SessionHandle[];
  let v1Clients: WampTestClient[];

  const openV2 = async (): Promise<V2SessionHandle> => {
    const handle = await openV2Session(server.url, { realm: REALM });
    handles.push(handle);
    return handle;
  };

  /** A v1 client subscribed to `topic` (confirmed: the broker lists it). */
  const v1Subscriber = async (topic: string): Promise<WampTestClient> => {
    const client = await WampTestClient.connect(server.url);
    v1Clients.push(client);
    client.subscribe(topic, () => undefined);
    await until(() => server.broker.subscribers(topic).includes(client.sessionId), 'the v1 subscription');
    return client;
  };

  /** Both ids of a session, whichever protocol it speaks. */
  const idsOf = (match: (session: WampSession) => boolean): { v1: string; v2: number } => {
    const session = server.broker.sessions().find(match)!;
    return { v1: session.id, v2: session.v2Id };
  };

  beforeAll(async () => {
    server = await startApp({
      imports: [
        WampModule.forRoot({
          v2: { realm: REALM, uris: [{ v1: CHAT, v2: 'bridge.chat' }] },
          topics: { [CHAT]: true },
        }),
      ],
      providers: [Decorated],
    });
  });

  beforeEach(() => {
    handles = [];
    v1Clients = [];
    subscribedHooks.length = 0;
  });

  afterEach(async () => {
    await Promise.all([...handles.map((handle) => handle.close()), ...v1Clients.filter((c) => c.isOpen).map((c) => c.close())]);
    await until(() => server.broker.sessions().length === 0, 'every session to be gone');
  });

  afterAll(async () => {
    await server.close();
  });

  it('a v1 publication reaches v2 subscribers as Arguments [event], and v1 subscribers as before', async () => {
    const v2 = await openV2();
    const received = await v2Subscriber(v2, 'bridge.chat');
    const v1 = await v1Subscriber(CHAT);
    v1.publish(CHAT, { text: 'hi' });
    expect(await v1.nextEvent(CHAT)).toEqual({ text: 'hi' });
    await until(() => received.length === 1, 'the v2 event');
    expect(received).toEqual([{ args: [{ text: 'hi' }], kwargs: {} }]);
  });

  it('a v2 publication reaches v1 subscribers as its first argument (or its kwargs), v2 subscribers as sent', async () => {
    const [publisher, subscriber] = [await openV2(), await openV2()];
    const received = await v2Subscriber(subscriber, 'bridge.chat');
    const v1 = await v1Subscriber(CHAT);
    const publication = await publisher.session.publish('bridge.chat', ['first', 2], { k: 'v' }, { acknowledge: true });
    expect(publication?.id).toEqual(expect.any(Number));
    expect(await v1.nextEvent(CHAT)).toBe('first');
    await publisher.session.publish('bridge.chat', [], { only: 'kwargs' }, { acknowledge: true });
    expect(await v1.nextEvent(CHAT)).toEqual({ only: 'kwargs' });
    await until(() => received.length === 2, 'both v2 events');
    expect(received).toEqual([
      { args: ['first', 2], kwargs: { k: 'v' } },
      { args: [], kwargs: { only: 'kwargs' } },
    ]);
  });

  it('a v2 publisher names v1 sessions by their v2 ids, a v1 publisher names v2 sessions by their v1 ids', async () => {
    const [publisher, subscriber] = [await openV2(), await openV2()];
    const received = await v2Subscriber(subscriber, 'bridge.chat');
    const v1 = await v1Subscriber(CHAT);
    const v1Ids = idsOf((session) => session.id === v1.sessionId);
    const v2Ids = idsOf((session) => session.v2Id === subscriber.session.id);

    // v2 → exclude the v1 session by its v2 id; then eligible: only the v1 session.
    await publisher.session.publish('bridge.chat', ['not for v1'], {}, { acknowledge: true, exclude: [v1Ids.v2] });
    await publisher.session.publish('bridge.chat', ['only v1'], {}, { acknowledge: true, eligible: [v1Ids.v2] });
    await publisher.session.publish('bridge.chat', [SENTINEL], {}, { acknowledge: true });
    expect(await v1.nextEvent(CHAT)).toBe('only v1');
    expect(await v1.nextEvent(CHAT)).toBe(SENTINEL);
    expect(await untilSentinel(received)).toEqual([{ args: ['not for v1'], kwargs: {} }]);
    received.length = 0;

    // v1 → exclude the v2 session by its v1 id; then eligible: only the v2 session (and not the v1 publisher itself).
    v1.publish(CHAT, 'not for v2', [v2Ids.v1]);
    v1.publish(CHAT, 'only v2', [], [v2Ids.v1]);
    v1.publish(CHAT, SENTINEL, []);
    expect(await untilSentinel(received)).toEqual([{ args: ['only v2'], kwargs: {} }]);
    expect(await v1.nextEvent(CHAT, 2000, (event) => event === SENTINEL)).toBe(SENTINEL);
    expect(v1.eventsOn(CHAT)).toEqual(['only v1', SENTINEL, 'not for v2', SENTINEL]);
  });

  it('serves a topic under the v2 name of its decorators, and runs the subscribe hook with the server name for both', async () => {
    const v2 = await openV2();
    const received = await v2Subscriber(v2, 'bridge.decorated');
    const v1 = await v1Subscriber(DECORATED);
    v1.publish(DECORATED, 'from v1');
    await until(() => received.length === 1, 'the v2 event');
    expect(received[0]!.args).toEqual(['from v1']);
    await v2.session.publish('bridge.decorated', ['from v2'], {}, { acknowledge: true });
    expect(await v1.nextEvent(DECORATED, 2000, (event) => event === 'from v2')).toBe('from v2');
    expect(subscribedHooks.sort()).toEqual([`1:${DECORATED}`, `2:${DECORATED}`]);
  });

  it('WampBroker.publish reaches both, its recipients named by either id form', async () => {
    const v2 = await openV2();
    const received = await v2Subscriber(v2, 'bridge.chat');
    const v1 = await v1Subscriber(CHAT);
    const v2Ids = idsOf((session) => session.v2Id === v2.session.id);
    expect(server.broker.publish(CHAT, 'all')).toBe(2);
    expect(server.broker.publish(CHAT, 'v2 by number', { eligible: v2Ids.v2 })).toBe(1);
    expect(server.broker.publish(CHAT, 'v2 by decimal', { eligible: [String(v2Ids.v2)] })).toBe(1);
    expect(server.broker.publish(CHAT, 'not v2', { exclude: [v2Ids.v1] })).toBe(1);
    expect(() => server.broker.publish(CHAT, 'bad', { exclude: [1.5] })).toThrow(TypeError);
    await until(() => received.length === 3, 'the v2 events');
    expect(received.map((event) => event.args[0])).toEqual(['all', 'v2 by number', 'v2 by decimal']);
    expect(await v1.nextEvent(CHAT)).toBe('all');
    expect(await v1.nextEvent(CHAT)).toBe('not v2');
    // Its subscribers lists v2 sessions too (by v1 id); a server-side subscribe of a v2 session is refused.
    expect(server.broker.subscribers(CHAT).sort()).toEqual([v1.sessionId, v2Ids.v1].sort());
    expect(server.broker.subscribe(v2Ids.v1, DECORATED)).toBe(false);
  });
});
