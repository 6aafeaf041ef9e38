import { Injectable } from '@nestjs/common';
import fc from 'fast-check';
import { CraProcedure, WampBroker, WampModule, WampPublish, WampRpc, WampSubscribe } from '../../src/index.js';
import type { WampTestClient } from '../../src/testing/index.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { until } from '../support/until.js';
import { serverIdle } from '../support/server-idle.js';

// Property: whatever CALL, SUBSCRIBE, UNSUBSCRIBE, PUBLISH and PREFIX frames a session sends
// without completing WAMP-CRA, no user handler runs and no event is delivered to anyone.

const RPC = 'http://example.com/rpc#';
const EV = 'http://example.com/event#';
const SENTINEL = 'http://example.com/sentinel';
const OBSERVER = '<observer id>';

const handlerRuns: string[] = [];

@Injectable()
class Handlers {
  @WampRpc(`${RPC}add`)
  add(a: number, b: number) {
    handlerRuns.push('add');
    return a + b;
  }

  @WampRpc(`${RPC}admin`)
  admin() {
    handlerRuns.push('admin');
    return 'admin';
  }

  @WampSubscribe(`${EV}guarded/*`)
  subscribe() {
    handlerRuns.push('subscribe');
    return true;
  }

  @WampPublish(`${EV}guarded/*`)
  publish() {
    handlerRuns.push('publish');
    return true;
  }
}

const uri = fc.constantFrom(
  `${RPC}add`,
  `${RPC}admin`,
  `${RPC}missing`,
  'rpc:add',
  'rpc:admin',
  `${EV}static`,
  `${EV}guarded/a`,
  `${EV}guarded/b`,
  'ev:static',
  'ev:guarded/a',
  'x:y',
  '*',
  '__proto__',
  SENTINEL,
  CraProcedure.authreq,
  CraProcedure.auth,
  'cra:authreq',
  'cra:auth',
);
const prefix = fc.constantFrom('rpc', 'ev', 'cra', 'x', '__proto__', 'http');
const prefixUri = fc.constantFrom(RPC, EV, 'http://api.wamp.ws/procedure#', 'http://example.com/', '');
const sessionList = fc.array(fc.constantFrom(OBSERVER, 'someone-else'), { maxLength: 2 });
const json = fc.jsonValue({ maxDepth: 2 });

const frame = fc.oneof(
  fc.tuple(fc.constant(1), prefix, prefixUri),
  fc
    .tuple(fc.constant(2), fc.string({ maxLength: 8 }), uri)
    .chain((head) => fc.array(fc.oneof(json, fc.constantFrom('guest', null)), { maxLength: 3 }).map((args) => [...head, ...args])),
  fc.tuple(fc.constant(5), uri),
  fc.tuple(fc.constant(6), uri),
  fc.tuple(fc.constant(7), uri, json),
  fc.tuple(fc.constant(7), uri, json, fc.oneof(fc.boolean(), sessionList)),
  fc.tuple(fc.constant(7), uri, json, sessionList, sessionList),
);

describe('an unauthenticated session (property)', () => {
  let server: TestServer;
  let observer: WampTestClient;
  let broker: WampBroker;

  beforeAll(async () => {
    server = await startApp({
      imports: [
        WampModule.forRoot({
          topics: { [`${EV}static`]: true, [SENTINEL]: true },
          auth: {
            allowAnonymous: false,
            failureDelayMs: 0,
            maxAttempts: 1000,
            secret: (authKey) => (authKey === 'guest' ? 'secret-password' : null),
            permissions: () => ({ all: true }),
          },
        }),
      ],
      providers: [Handlers],
    });
    broker = server.app.get(WampBroker);
    observer = await server.connect();
    await observer.authenticate('guest', 'secret-password');
    for (const topic of [`${EV}static`, `${EV}guarded/a`, `${EV}guarded/b`, SENTINEL]) observer.subscribe(topic, () => undefined);
    await until(() => broker.subscribers(SENTINEL).includes(observer.sessionId));
    handlerRuns.length = 0;
  });
  afterAll(() => server.close());

  it('never runs a user handler and never gets an event delivered', async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 30 }), async (frames) => {
        handlerRuns.length = 0;
        observer.received.length = 0;
        const attacker = await server.connect();
        for (const sent of frames) {
          attacker.send(JSON.parse(JSON.stringify(sent).replaceAll(JSON.stringify(OBSERVER), JSON.stringify(observer.sessionId))));
        }
        await serverIdle(broker, attacker);
        const sentinel = `sentinel-${++round}`;
        broker.publish(SENTINEL, sentinel);
        await observer.nextEvent(SENTINEL, 2000, (event) => event === sentinel);
        expect(handlerRuns).toEqual([]);
        expect(observer.received.filter((received) => received.topic !== SENTINEL)).toEqual([]);
        expect(attacker.received).toEqual([]);
        expect(attacker.isOpen).toBe(true);
        await attacker.close();
      }),
      { numRuns: 40 },
    );
  });
});
