// The WAMP v2 broker over real sockets (raw wamp.2.json frames): SUBSCRIBE (exact, prefix, ids
// shared), UNSUBSCRIBE, PUBLISH (acknowledge, exclude_me, exclude/eligible by v2 id, payloads),
// refusals by the same rules as v1, the limits, the hooks, and nothing left once sessions close.
//
// To show that an event did NOT arrive, the same publisher then publishes a sentinel on a topic the
// subscriber has, the test waits for it, and looks at everything received before it: events of
// one publisher reach a subscriber in order.
import { Injectable } from '@nestjs/common';
import {
  type OnWampSubscribed,
  type OnWampUnsubscribed,
  WampDelivery,
  WampModule,
  WampPublish,
  type WampPublishDecision,
  WampSubscribe,
  WampTopic,
  WampEvent,
  type WampSession,
} from '../../src/index.js';
import { topicIndex } from '../support/engine-state.js';
import { RawV2PubSubPeer } from '../support/raw-v2-peer.js';
import type { Wamp2Frame } from '../support/raw-wamp2-socket.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { sleep, until } from '../support/until.js';
import { ERROR, EVENT, PUBLISH, PUBLISHED, SUBSCRIBE, UNSUBSCRIBE, UNSUBSCRIBED } from '../support/wamp2-codes.js';

const EV = 'http://example.com/event#';
const REALM = 'test';
const SENTINEL = '--sentinel--';

/** What the hooks saw, in order. */
const hookLog: string[] = [];

@Injectable()
class Topics implements OnWampSubscribed, OnWampUnsubscribed {
  /** Asked for `guarded/*` topics and for prefix subscriptions under it (then `uri` is the pattern). */
  @WampSubscribe(`${EV}guarded/*`)
  async mayWatch(@WampTopic() uri: string): Promise<boolean> {
    await sleep(1);
    return !uri.includes('deny');
  }

  /** `{ drop: true }` is dropped, `{ rewrite: x }` becomes x; anything else passes. */
  @WampPublish(`${EV}guarded/*`)
  publishGuarded(@WampEvent() event: unknown): WampPublishDecision {
    if (typeof event !== 'object' || event === null) return true;
    const spec = event as { drop?: boolean; rewrite?: unknown };
    if (spec.drop) return false;
    return 'rewrite' in spec ? new WampDelivery(spec.rewrite) : true;
  }

  /** Records what its publish handler saw as the event. */
  seen: unknown[] = [];

  @WampPublish(`${EV}seen`)
  publishSeen(@WampEvent() event: unknown): boolean {
    this.seen.push(event);
    return true;
  }

  @WampSubscribe(`${EV}seen`)
  maySee(): boolean {
    return true;
  }

  onWampSubscribed(session: WampSession, topic: string): void {
    if (session.protocolVersion === 2) hookLog.push(`+${topic}`);
  }

  onWampUnsubscribed(session: WampSession, topic: string): void {
    if (session.protocolVersion === 2) hookLog.push(`-${topic}`);
  }
}

/** A v2 session over raw frames: HELLO → WELCOME, then requests with sequential ids. */
class V2Peer extends RawV2PubSubPeer {
  static async open(url: string): Promise<V2Peer> {
    return new V2Peer(...(await RawV2PubSubPeer.welcome(url, REALM)));
  }

  /** A request that must be refused: the ERROR's URI. */
  async refused(type: number, ...rest: unknown[]): Promise<string> {
    const request = this.send(type, ...rest);
    const error = await this.socket.nextOfType(ERROR);
    expect(error.slice(1, 3)).toEqual([type, request]);
    return error[4] as string;
  }

  async unsubscribe(subscription: number): Promise<void> {
    const request = this.send(UNSUBSCRIBE, subscription);
    expect(await this.socket.nextOfType(UNSUBSCRIBED)).toEqual([UNSUBSCRIBED, request]);
  }

  /** PUBLISH with `acknowledge: true` (`payload`: Arguments, ArgumentsKw): the publication id of PUBLISHED. */
  async publish(topic: string, options: Record<string, unknown>, ...payload: [unknown[]?, Record<string, unknown>?]): Promise<number> {
    const request = this.send(PUBLISH, { ...options, acknowledge: true }, topic, ...payload);
    const published = await this.socket.nextOfType(PUBLISHED);
    expect(published[1]).toBe(request);
    return published[2] as number;
  }

  /** PUBLISH without acknowledge. */
  fire(topic: string, options: Record<string, unknown>, ...payload: [unknown[]?, Record<string, unknown>?]): void {
    this.send(PUBLISH, options, topic, ...payload);
  }

  event(): Promise<Wamp2Frame> {
    return this.socket.nextOfType(EVENT);
  }

  /** The events received up to the sentinel (published by `publisher` on `topic`, a topic this peer has), sentinel excluded. */
  async eventsUntilSentinel(publisher: V2Peer, topic: string): Promise<Wamp2Frame[]> {
    publisher.fire(topic, { exclude_me: false }, [SENTINEL]);
    const events: Wamp2Frame[] = [];
    for (;;) {
      const event = await this.event();
      if ((event[4] as unknown[] | undefined)?.[0] === SENTINEL) return events;
      events.push(event);
    }
  }

  close(): Promise<void> {
    return this.socket.close();
  }
}

describe('WAMP v2 broker', () => {
  let server: TestServer;
  let peers: V2Peer[];

  const open = async (): Promise<V2Peer> => {
    const peer = await V2Peer.open(server.url);
    peers.push(peer);
    return peer;
  };

  beforeAll(async () => {
    server = await startApp({
      imports: [
        WampModule.forRoot({
          v2: {
            realm: REALM,
            uris: [
              { v1: `${EV}open/*`, v2: 'test.open.*' },
              { v1: `${EV}open/`, v2: 'test.open' },
              { v1: `${EV}sub-only`, v2: 'test.sub_only' },
              { v1: `${EV}pub-only`, v2: 'test.pub_only' },
              { v1: `${EV}guarded/*`, v2: 'test.guarded.*' },
              { v1: `${EV}seen`, v2: 'test.seen' },
            ],
          },
          limits: { subscriptions: 4 },
          topics: {
            [`${EV}open/*`]: true,
            [`${EV}open/secret`]: false,
            [`${EV}sub-only`]: { subscribe: true, publish: false },
            [`${EV}pub-only`]: { subscribe: false, publish: true },
          },
        }),
      ],
      providers: [Topics],
    });
  });

  beforeEach(() => {
    peers = [];
    hookLog.length = 0;
    server.app.get(Topics).seen = [];
  });

  afterEach(async () => {
    await Promise.all(peers.map((peer) => peer.close()));
    await until(() => server.broker.sessions().length === 0, 'every session to be gone');
  });

  afterAll(async () => {
    await server.close();
  });

  it('gives every subscriber of a topic one subscription id, also when a session subscribes twice', async () => {
    const [a, b] = [await open(), await open()];
    const id = await a.subscribe('test.open.news');
    expect(await b.subscribe('test.open.news')).toBe(id);
    expect(await a.subscribe('test.open.news')).toBe(id);
    expect(await a.subscribe('test.open.other')).not.toBe(id);
    // The server's name: the v1 URI, which v1 sessions and the broker see.
    const v1Ids = server.broker
      .sessions()
      .filter((session) => session.v2Id === a.id || session.v2Id === b.id)
      .map((session) => session.id);
    expect(server.broker.subscribers(`${EV}open/news`).sort()).toEqual(v1Ids.sort());
  });

  it('acknowledges a publication with its id, which every EVENT carries; the publisher is excluded by default', async () => {
    const [publisher, subscriber] = [await open(), await open()];
    const id = await subscriber.subscribe('test.open.news');
    const mine = await publisher.subscribe('test.open.news');
    expect(mine).toBe(id);
    const publication = await publisher.publish('test.open.news', {}, ['hello']);
    expect(await subscriber.event()).toEqual([EVENT, id, publication, {}, ['hello']]);
    // exclude_me: false brings it back to the publisher.
    const second = await publisher.publish('test.open.news', { exclude_me: false }, ['again']);
    expect(await publisher.event()).toEqual([EVENT, id, second, {}, ['again']]);
    expect(await subscriber.event()).toEqual([EVENT, id, second, {}, ['again']]);
    expect(publisher.socket.pending()).toEqual([]);
  });

  it('carries several arguments and keyword arguments to v2 subscribers; the publish handler sees the first argument, or the kwargs', async () => {
    const [publisher, subscriber] = [await open(), await open()];
    const id = await subscriber.subscribe('test.seen');
    const first = await publisher.publish('test.seen', {}, [1, 2], { k: 'v' });
    expect(await subscriber.event()).toEqual([EVENT, id, first, {}, [1, 2], { k: 'v' }]);
    const second = await publisher.publish('test.seen', {}, [], { only: 'kw' });
    expect(await subscriber.event()).toEqual([EVENT, id, second, {}, [], { only: 'kw' }]);
    const third = await publisher.publish('test.seen', {});
    expect(await subscriber.event()).toEqual([EVENT, id, third, {}]);
    expect(server.app.get(Topics).seen).toEqual([1, { only: 'kw' }, null]);
  });

  it('acknowledges a publication its handler drops, and delivers a rewrite as Arguments [rewritten]', async () => {
    const [publisher, subscriber] = [await open(), await open()];
    const id = await subscriber.subscribe('test.guarded.room');
    const dropped = await publisher.publish('test.guarded.room', {}, [{ drop: true }]);
    expect(typeof dropped).toBe('number');
    const rewritten = await publisher.publish('test.guarded.room', {}, [{ rewrite: 'new' }], { ignored: true });
    expect(await subscriber.event()).toEqual([EVENT, id, rewritten, {}, ['new']]);
    expect(subscriber.socket.pending()).toEqual([]);
  });

  it('refuses what the rules and permissions refuse with wamp.error.not_authorized', async () => {
    const peer = await open();
    expect(await peer.refused(SUBSCRIBE, {}, 'test.pub_only')).toBe('wamp.error.not_authorized');
    expect(await peer.refused(SUBSCRIBE, {}, 'test.open.secret')).toBe('wamp.error.not_authorized');
    expect(await peer.refused(SUBSCRIBE, {}, 'test.nothing.here')).toBe('wamp.error.not_authorized');
    expect(await peer.refused(SUBSCRIBE, {}, 'test.guarded.deny')).toBe('wamp.error.not_authorized');
    expect(await peer.refused(SUBSCRIBE, { match: 'prefix' }, 'test.nothing')).toBe('wamp.error.not_authorized');
    expect(await peer.refused(PUBLISH, { acknowledge: true }, 'test.sub_only', ['x'])).toBe('wamp.error.not_authorized');
    expect(await peer.refused(PUBLISH, { acknowledge: true }, 'test.nothing.here', ['x'])).toBe('wamp.error.not_authorized');
    expect(await peer.refused(SUBSCRIBE, { match: 'wildcard' }, 'test..news')).toBe('wamp.error.option_not_allowed');
    expect(await peer.subscribe('test.guarded.allow')).toEqual(expect.any(Number));
    expect(topicIndex(server).topics()).toEqual([`${EV}guarded/allow`]);
  });

  it('delivers by prefix with the v2 topic in the details, only on topics the rule that allowed it governs', async () => {
    const [publisher, subscriber] = [await open(), await open()];
    const prefix = await subscriber.subscribe('test.open', { match: 'prefix' });
    const exact = await subscriber.subscribe('test.open.b');
    expect(prefix).not.toBe(exact);
    const first = await publisher.publish('test.open.a', {}, [1]);
    expect(await subscriber.event()).toEqual([EVENT, prefix, first, { topic: 'test.open.a' }, [1]]);
    // A topic with both subscriptions: one EVENT per subscription.
    const second = await publisher.publish('test.open.b', {}, [2]);
    const both = [await subscriber.event(), await subscriber.event()];
    expect(both).toContainEqual([EVENT, prefix, second, { topic: 'test.open.b' }, [2]]);
    expect(both).toContainEqual([EVENT, exact, second, {}, [2]]);
    // `open/secret` has its own rule (subscribe denied): the prefix does not carry it, even though anyone may publish there.
    server.broker.publish(`${EV}open/secret`, 'hidden');
    expect(await subscriber.eventsUntilSentinel(publisher, 'test.open.b')).toEqual([]);
    expect((await subscriber.event())[4]).toEqual([SENTINEL]); // its second EVENT (the other subscription)
    // A second session on the same prefix shares the id.
    const other = await open();
    expect(await other.subscribe('test.open', { match: 'prefix' })).toBe(prefix);
  });

  it('runs a prefix through the handler of its pattern (asked with the pattern), and refuses what it refuses', async () => {
    const [publisher, subscriber] = [await open(), await open()];
    const prefix = await subscriber.subscribe('test.guarded.', { match: 'prefix' });
    const publication = await publisher.publish('test.guarded.x', {}, ['x']);
    expect(await subscriber.event()).toEqual([EVENT, prefix, publication, { topic: 'test.guarded.x' }, ['x']]);
    expect(await subscriber.refused(SUBSCRIBE, { match: 'prefix' }, 'test.guarded.deny')).toBe('wamp.error.not_authorized');
  });

  it('honours exclude and eligible lists of v2 session ids', async () => {
    const [publisher, a, b] = [await open(), await open(), await open()];
    const id = await a.subscribe('test.open.list');
    await b.subscribe('test.open.list');
    const excluded = await publisher.publish('test.open.list', { exclude: [a.id] }, ['not for a']);
    expect(await b.event()).toEqual([EVENT, id, excluded, {}, ['not for a']]);
    const eligible = await publisher.publish('test.open.list', { eligible: [a.id] }, ['for a']);
    expect(await a.event()).toEqual([EVENT, id, eligible, {}, ['for a']]);
    await publisher.publish('test.open.list', { eligible: [] }, ['nobody']);
    expect(await a.eventsUntilSentinel(publisher, 'test.open.list')).toEqual([]);
    expect(await b.eventsUntilSentinel(publisher, 'test.open.list')).toEqual([]);
    // The other form names the same sessions: v1 ids work too (every session has both).
    const v1IdOfB = server.broker.sessions().find((session) => session.v2Id === b.id)!.id;
    server.broker.publish(`${EV}open/list`, 'broker', { exclude: [v1IdOfB], eligible: [a.id, b.id] });
    expect((await a.event())[4]).toEqual(['broker']);
    expect(await b.eventsUntilSentinel(publisher, 'test.open.list')).toEqual([]);
  });

  it('unsubscribes by id, refuses an unknown id, and runs the hooks with the server names', async () => {
    const [publisher, subscriber] = [await open(), await open()];
    const exact = await subscriber.subscribe('test.open.x');
    const prefix = await subscriber.subscribe('test.open', { match: 'prefix' });
    await subscriber.unsubscribe(exact);
    expect(await subscriber.refused(UNSUBSCRIBE, exact)).toBe('wamp.error.no_such_subscription');
    expect(await subscriber.refused(UNSUBSCRIBE, 123456)).toBe('wamp.error.no_such_subscription');
    // Another session's subscription is not this one's to end.
    const other = await open();
    const its = await other.subscribe('test.open.y');
    expect(await subscriber.refused(UNSUBSCRIBE, its)).toBe('wamp.error.no_such_subscription');
    await subscriber.unsubscribe(prefix);
    await publisher.publish('test.open.x', {}, ['gone']);
    expect(subscriber.socket.pending()).toEqual([]);
    expect(hookLog).toEqual([`+${EV}open/x`, `+${EV}open/*`, `-${EV}open/x`, `+${EV}open/y`, `-${EV}open/*`]);
  });

  it('refuses subscriptions past limits.subscriptions (exact and prefix counted together)', async () => {
    const peer = await open();
    for (const topic of ['test.open.1', 'test.open.2', 'test.open.3']) await peer.subscribe(topic);
    await peer.subscribe('test.open', { match: 'prefix' });
    expect(await peer.refused(SUBSCRIBE, {}, 'test.open.5')).toBe('wamp.error.not_authorized');
    // What it has already is still answered.
    expect(await peer.subscribe('test.open.1')).toEqual(expect.any(Number));
  });

  it('leaves nothing behind when sessions close: no topic, no subscription id, and the close hooks ran', async () => {
    const [a, b] = [await open(), await open()];
    await a.subscribe('test.open.x');
    await b.subscribe('test.open.x');
    await a.subscribe('test.open', { match: 'prefix' });
    await b.subscribe('test.guarded.', { match: 'prefix' });
    expect(topicIndex(server).v2.size).toBe(3);
    await a.close();
    await b.close();
    await until(() => server.broker.sessions().length === 0, 'both sessions to be gone');
    expect(topicIndex(server).topics()).toEqual([]);
    expect(topicIndex(server).v2.size).toBe(0);
    expect(topicIndex(server).v2.prefixes.size).toBe(0);
    expect(hookLog.filter((entry) => entry.startsWith('-')).sort()).toEqual(
      [`-${EV}open/x`, `-${EV}open/x`, `-${EV}open/*`, `-${EV}guarded/*`].sort(),
    );
    // Ids are reused only once free: a new subscription starts from the next one.
    const c = await open();
    expect(await c.subscribe('test.open.x')).toBeGreaterThan(0);
  });
});

/** Released by the test: the slow subscribe handler waits for it. */
let releaseSlow: () => void = () => undefined;

@Injectable()
class SlowTopic {
  @WampSubscribe(`${EV}slow`)
  async maySubscribe(): Promise<boolean> {
    await new Promise<void>((resolve) => (releaseSlow = resolve));
    return true;
  }
}

describe('WAMP v2 broker with permissions (auth option)', () => {
  let server: TestServer;
  let peers: V2Peer[];

  const PERMISSIONS = {
    subscribe: { [`${EV}open/*`]: true, [`${EV}open/private`]: false, [`${EV}slow`]: true },
    publish: { [`${EV}open/*`]: true, [`${EV}open/readonly`]: false },
  };

  const open = async (): Promise<V2Peer> => {
    const peer = await V2Peer.open(server.url);
    peers.push(peer);
    return peer;
  };

  beforeAll(async () => {
    server = await startApp({
      imports: [
        WampModule.forRoot({
          v2: {
            realm: REALM,
            uris: [
              { v1: `${EV}open/*`, v2: 'test.open.*' },
              { v1: `${EV}slow`, v2: 'test.slow' },
            ],
          },
          limits: { queuedPubSub: 2 },
          topics: { [`${EV}open/*`]: true },
          auth: { allowAnonymous: true, permissions: () => PERMISSIONS },
        }),
      ],
      providers: [SlowTopic],
    });
  });

  beforeEach(() => {
    peers = [];
  });

  afterEach(async () => {
    releaseSlow();
    await Promise.all(peers.map((peer) => peer.close()));
    await until(() => server.broker.sessions().length === 0, 'every session to be gone');
  });

  afterAll(async () => {
    await server.close();
  });

  it('refuses what the permission map denies, for SUBSCRIBE and acknowledged PUBLISH', async () => {
    const peer = await open();
    expect(await peer.refused(SUBSCRIBE, {}, 'test.open.private')).toBe('wamp.error.not_authorized');
    expect(await peer.refused(PUBLISH, { acknowledge: true }, 'test.open.readonly', ['x'])).toBe('wamp.error.not_authorized');
    expect(await peer.subscribe('test.open.public')).toEqual(expect.any(Number));
  });

  it('a prefix subscription never carries an event on a topic its member may not subscribe to', async () => {
    const [publisher, subscriber] = [await open(), await open()];
    const prefix = await subscriber.subscribe('test.open.', { match: 'prefix' });
    // The same static rule governs open/private (anyone may publish there), but the map denies subscribing to it.
    await publisher.publish('test.open.private', {}, ['secret']);
    const shown = await publisher.publish('test.open.public', {}, ['shown']);
    expect(await subscriber.event()).toEqual([EVENT, prefix, shown, { topic: 'test.open.public' }, ['shown']]);
    expect(subscriber.socket.pending()).toEqual([]);
  });

  it('ends a v2 subscription the new permissions no longer allow (WampBroker.setPermissions), silently and completely', async () => {
    const [publisher, subscriber] = [await open(), await open()];
    const id = await subscriber.subscribe('test.open.news');
    const v1Id = server.broker.sessions().find((session) => session.v2Id === subscriber.id)!.id;
    expect(server.broker.setPermissions(v1Id, { subscribe: false, publish: false })).toBe(true);
    expect(topicIndex(server).topics()).toEqual([]);
    expect(topicIndex(server).v2.size).toBe(0);
    await publisher.publish('test.open.news', {}, ['after']);
    expect(await subscriber.refused(UNSUBSCRIBE, id)).toBe('wamp.error.no_such_subscription');
    expect(subscriber.socket.pending()).toEqual([]);
  });

  it('ends a session whose pub/sub requests pile up past limits.queuedPubSub (GOODBYE wamp.close.killed, 1008)', async () => {
    const peer = await open();
    for (let i = 0; i < 3; i++) peer.send(SUBSCRIBE, {}, 'test.slow');
    const goodbye = await peer.socket.nextOfType(6);
    expect(goodbye[2]).toBe('wamp.close.killed');
    peer.socket.send([6, {}, 'wamp.close.goodbye_and_out']);
    expect((await peer.socket.closed()).code).toBe(1008);
    await until(() => server.broker.sessions().length === 0, 'the session to be gone');
    releaseSlow();
    await sleep(10);
    expect(topicIndex(server).topics()).toEqual([]);
  });
});
