// clj-wamp 1.0.2's `test/clj_wamp/server_test.clj`, `http-kit-handler-test` (wamp-v1.md 5.1,
// cases 1–20), ported to nest-wamp over real sockets. The auth cases (21–33) belong to the
// WAMP-CRA work; 34–35 (origin, subprotocol) are handshake tests elsewhere; 36 (WELCOME ident =
// package version) is a unit test.
//
// clj-wamp → nest-wamp:
//   :on-call {uri fn}               → @WampRpc(uri) methods (positional args)
//   *call-sess-id*                  → @WampSession() session.id
//   {:error {...}}                  → throw new WampException(uri, desc, details)
//   :on-before                      → a guard (@UseGuards), not run for unknown procedures
//   :on-after-success / -error      → onWampCallResult / onWampCallError
//   :on-subscribe {uri fn|true}     → @WampSubscribe(uri) / topics: { uri: true }, :on-after → onWampSubscribed
//   :on-publish {uri fn|true}       → @WampPublish(uri) / topics: { uri: true }, :on-after → onWampPublished
//   :on-unsubscribe                 → onWampUnsubscribed
//   :on-open / :on-close            → onWampSessionOpen / onWampSessionClose
//   send-event! / get-topic-clients → WampBroker.publish / WampBroker.subscribers
//
// The scripted session is one client, as in clj-wamp; it sends the exact frames of the Clojure
// test (including its call ids) and every frame it receives is recorded raw. To show that an
// event did NOT arrive, the client publishes a sentinel on a topic it has and waits for it
// (events from one publisher arrive in order); that round trip also orders the pub/sub hooks.
import { type CanActivate, type ExecutionContext, Inject, Injectable, UseGuards } from '@nestjs/common';
import { WebSocket } from 'ws';
import {
  NEST_WAMP_VERSION,
  WampBroker,
  WampErrorDescription,
  WampErrorUri,
  WampException,
  WampModule,
  WampPublish,
  WampRpc,
  WampSession,
  WampSubscribe,
  getWampInvocation,
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
  type WampModuleOptions,
  type WampPublication,
} from '../../src/index.js';
import { WampCallError, WampTestClient, type WebSocketLike } from '../../src/testing/index.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { until } from '../support/until.js';

const API = 'http://example.com/api#';
const EVT = 'http://example.com/event#';
const api = (path: string): string => `${API}${path}`;
const evt = (path: string): string => `${EVT}${path}`;
/** A topic only the test's sentinels use. */
const SENTINEL_TOPIC = 'http://example.com/sentinel';

// ---------------------------------------------------------------------------------------------
// The app: what clj-wamp's `test-handler-callbacks` configures.
// ---------------------------------------------------------------------------------------------

interface Recorded {
  opened: Array<{ sid: string }>;
  closed: Array<{ sid: string; close: WampCloseInfo }>;
  beforeCall: Array<{ sid: string; uri: string; callId: string; args: unknown[] }>;
  callResult: Array<{ sid: string; uri: string; callId: string; result: unknown }>;
  callError: Array<{ sid: string; uri: string; callId: string; error: WampCallErrorInfo }>;
  subscribeHandler: Array<{ sid: string; topic: string }>;
  subscribed: Array<{ sid: string; topic: string }>;
  unsubscribed: Array<{ sid: string; topic: string }>;
  publishHandler: Array<{ sid: string; topic: string; event: unknown }>;
  published: Array<{ sid: string; publication: WampPublication }>;
}

/** Every callback clj-wamp's test observes, recorded in arrays (hooks and handlers append here). */
@Injectable()
class Recorder
  implements OnWampSessionOpen, OnWampSessionClose, OnWampSubscribed, OnWampUnsubscribed, OnWampPublished, OnWampCallResult, OnWampCallError
{
  readonly log: Recorded = {
    opened: [],
    closed: [],
    beforeCall: [],
    callResult: [],
    callError: [],
    subscribeHandler: [],
    subscribed: [],
    unsubscribed: [],
    publishHandler: [],
    published: [],
  };

  /** Returns and clears one record (clj-wamp's test utils reset their atom when read). */
  take<K extends keyof Recorded>(key: K): Recorded[K] {
    return this.log[key].splice(0) as Recorded[K];
  }

  onWampSessionOpen(session: WampSession): void {
    this.log.opened.push({ sid: session.id });
  }

  onWampSessionClose(session: WampSession, close: WampCloseInfo): void {
    this.log.closed.push({ sid: session.id, close });
  }

  onWampSubscribed(session: WampSession, topic: string): void {
    this.log.subscribed.push({ sid: session.id, topic });
  }

  onWampUnsubscribed(session: WampSession, topic: string): void {
    this.log.unsubscribed.push({ sid: session.id, topic });
  }

  onWampPublished(session: WampSession, publication: WampPublication): void {
    // The sentinels are the test's own traffic.
    if (publication.topic === SENTINEL_TOPIC) return;
    this.log.published.push({ sid: session.id, publication });
  }

  onWampCallResult(call: WampCallInvocation, result: unknown): void {
    this.log.callResult.push({ sid: call.session.id, uri: call.uri, callId: call.callId, result });
  }

  onWampCallError(call: WampCallInvocation, error: WampCallErrorInfo): void {
    this.log.callError.push({ sid: call.session.id, uri: call.uri, callId: call.callId, error });
  }
}

/** clj-wamp's `:on-before`: sees every call to an existing procedure, lets it through. */
@Injectable()
class BeforeCallGuard implements CanActivate {
  constructor(@Inject(Recorder) private readonly recorder: Recorder) {}

  canActivate(context: ExecutionContext): boolean {
    const invocation = getWampInvocation(context);
    if (invocation.kind === 'call') {
      this.recorder.log.beforeCall.push({
        sid: invocation.session.id,
        uri: invocation.uri,
        callId: invocation.callId,
        args: [...invocation.args],
      });
    }
    return true;
  }
}

/** clj-wamp's `:on-call` map. */
@Injectable()
@UseGuards(BeforeCallGuard)
class Api {
  /** `rpc-add`: `(apply + params)`; a string argument throws, as the JVM's cast does. */
  @WampRpc(api('add'))
  add(a: unknown, b: unknown): number {
    for (const value of [a, b]) {
      if (typeof value !== 'number') {
        throw new TypeError(`java.lang.${typeof value === 'string' ? 'String' : 'Object'} cannot be cast to java.lang.Number`);
      }
    }
    return (a as number) + (b as number);
  }

  /** `-`, a plain function whose value is returned as-is. */
  @WampRpc(api('subtract'))
  subtract(a: number, b: number): number {
    return a - b;
  }

  /** `rpc-sess-id`: returns `*call-sess-id*`. */
  @WampRpc(api('sess-id'))
  sessId(@WampSession() session: WampSession): string {
    return session.id;
  }

  /** `rpc-give-error`: `{:error {:uri … :message "Test error" :description "Test error description"}}`. */
  @WampRpc(api('give-error'))
  giveError(): never {
    throw new WampException('http://example.com/error#give-error', 'Test error', 'Test error description');
  }
}

/** clj-wamp's `:on-subscribe` and `:on-publish` handler fns (`on-sub?`, `on-pub`). */
@Injectable()
class Events {
  constructor(@Inject(Recorder) private readonly recorder: Recorder) {}

  @WampSubscribe(evt('prefix*'))
  @WampSubscribe(evt('chat'))
  onSub(topic: string, session: WampSession): boolean {
    this.recorder.log.subscribeHandler.push({ sid: session.id, topic });
    return true;
  }

  @WampPublish(evt('prefix*'))
  @WampPublish(evt('chat'))
  onPub(event: unknown, topic: string, session: WampSession): boolean {
    this.recorder.log.publishHandler.push({ sid: session.id, topic, event });
    return true;
  }
}

function appMetadata(options: WampModuleOptions) {
  return {
    imports: [
      WampModule.forRoot({
        ...options,
        topics: {
          [evt('no-handler')]: true, // `(evt-url "no-handler") true` in both maps
          [SENTINEL_TOPIC]: true,
        },
      }),
    ],
    providers: [Recorder, BeforeCallGuard, Api, Events],
  };
}

// ---------------------------------------------------------------------------------------------
// A client whose every incoming frame is recorded as it came on the wire.
// ---------------------------------------------------------------------------------------------

interface RecordingClient {
  readonly client: WampTestClient;
  /** Every frame received, WELCOME included, parsed. */
  readonly frames: unknown[][];
}

async function connectRecording(url: string): Promise<RecordingClient> {
  const socket = new WebSocket(url, ['wamp']);
  const frames: unknown[][] = [];
  socket.on('message', (data) => frames.push(JSON.parse(String(data)) as unknown[]));
  const client = await WampTestClient.open(socket as unknown as WebSocketLike);
  return { client, frames };
}

/** Sends `[2, callId, uri, ...args]` and resolves with the CALLRESULT or CALLERROR frame for it. */
async function callFrame(recording: RecordingClient, callId: string, uri: string, ...args: unknown[]): Promise<unknown[]> {
  recording.client.send([2, callId, uri, ...args]);
  const isAnswer = (frame: unknown[]): boolean => (frame[0] === 3 || frame[0] === 4) && frame[1] === callId;
  await until(() => recording.frames.some(isAnswer), `the answer to ${callId}`, 2000);
  const answers = recording.frames.filter(isAnswer);
  expect(answers).toHaveLength(1);
  return answers[0];
}

/** A raw socket: frames received, and how it closed. */
function rawSocket(url: string): { socket: WebSocket; frames: unknown[][]; closed: Promise<WampCloseInfo> } {
  const socket = new WebSocket(url, ['wamp']);
  const frames: unknown[][] = [];
  socket.on('message', (data) => frames.push(JSON.parse(String(data)) as unknown[]));
  const closed = new Promise<WampCloseInfo>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the server did not close the connection within 2000 ms')), 2000);
    socket.once('close', (code, reason) => {
      clearTimeout(timer);
      resolve({ code, reason: reason.toString() });
    });
  });
  closed.catch(() => undefined);
  return { socket, frames, closed };
}

// ---------------------------------------------------------------------------------------------

describe('clj-wamp server_test.clj, http-kit-handler-test (cases 1–20)', () => {
  let server: TestServer;
  let broker: WampBroker;
  let recorder: Recorder;
  let main: RecordingClient;
  let c: WampTestClient;
  let sid: string;
  let sentinels = 0;

  /**
   * Publishes a sentinel on a topic `c` has and waits for it: every PUBLISH, SUBSCRIBE and
   * UNSUBSCRIBE `c` sent before has been handled, its hooks have run, and its events arrived.
   */
  async function roundTrip(): Promise<void> {
    const marker = `sentinel-${++sentinels}`;
    c.send([7, SENTINEL_TOPIC, marker, false]);
    await c.nextEvent(SENTINEL_TOPIC, 2000, (event) => event === marker);
  }

  const eventFrames = (): unknown[][] => main.frames.filter((frame) => frame[0] === 8 && frame[1] !== SENTINEL_TOPIC);

  beforeAll(async () => {
    server = await startApp(appMetadata({ exposeInternalErrors: true }));
    broker = server.app.get(WampBroker);
    recorder = server.app.get(Recorder);
    main = await connectRecording(server.url);
    c = main.client;
    sid = c.sessionId;
    c.send([5, SENTINEL_TOPIC]);
    await until(() => broker.subscribers(SENTINEL_TOPIC).includes(sid), 'the sentinel subscription', 2000);
    recorder.take('subscribed');
  });
  afterAll(async () => {
    if (c.isOpen) await c.close();
    await server.close();
  });

  it('1. on open, the open hook gets the session id; WELCOME is [0, sid, 1, serverIdent]', async () => {
    await until(() => recorder.log.opened.length > 0, 'onWampSessionOpen', 2000);
    expect(recorder.take('opened')).toEqual([{ sid }]);
    expect(main.frames[0]).toEqual([0, sid, 1, `nest-wamp/${NEST_WAMP_VERSION}`]);
    expect(typeof sid).toBe('string');
    expect(sid.length).toBeGreaterThanOrEqual(16);
  });

  it('2. PREFIX event; SUBSCRIBE event:chat → the subscribe handler and onWampSubscribed get the resolved URI', async () => {
    c.send([1, 'event', EVT]);
    c.send([5, 'event:chat']);
    await roundTrip();
    expect(recorder.take('subscribeHandler')).toEqual([{ sid, topic: evt('chat') }]);
    expect(recorder.take('subscribed')).toEqual([{ sid, topic: evt('chat') }]);
    expect(broker.subscribers(evt('chat'))).toEqual([sid]);
  });

  it('3. PUBLISH event:chat "short-topic" → publish handler and onWampPublished run; the publisher gets [8, fullUri, "short-topic"]', async () => {
    c.send([7, 'event:chat', 'short-topic']);
    expect(await c.nextEvent(evt('chat'))).toBe('short-topic');
    await roundTrip();
    expect(recorder.take('publishHandler')).toEqual([{ sid, topic: evt('chat'), event: 'short-topic' }]);
    expect(recorder.take('published')).toEqual([
      { sid, publication: { topic: evt('chat'), event: 'short-topic', exclude: [], eligible: undefined } },
    ]);
    expect(eventFrames()).toEqual([[8, evt('chat'), 'short-topic']]);
  });

  it('4. PUBLISH with the full URI "full-topic" → same as 3', async () => {
    c.send([7, evt('chat'), 'full-topic']);
    expect(await c.nextEvent(evt('chat'))).toBe('full-topic');
    await roundTrip();
    expect(recorder.take('publishHandler')).toEqual([{ sid, topic: evt('chat'), event: 'full-topic' }]);
    expect(recorder.take('published')).toEqual([
      { sid, publication: { topic: evt('chat'), event: 'full-topic', exclude: [], eligible: undefined } },
    ]);
    expect(eventFrames().slice(1)).toEqual([[8, evt('chat'), 'full-topic']]);
  });

  it('5. PUBLISH "exclude-me" with excludeMe true → the handlers run; the publisher gets nothing', async () => {
    c.send([7, 'event:chat', 'exclude-me', true]);
    await roundTrip();
    expect(recorder.take('publishHandler')).toEqual([{ sid, topic: evt('chat'), event: 'exclude-me' }]);
    expect(recorder.take('published')).toEqual([
      { sid, publication: { topic: evt('chat'), event: 'exclude-me', exclude: [sid], eligible: undefined } },
    ]);
    expect(c.eventsOn(evt('chat'))).toEqual(['short-topic', 'full-topic']);
    expect(eventFrames()).toHaveLength(2);
  });

  it('6. PUBLISH [7, "event:chat", "includes", false, [sid]] → delivered to the eligible publisher', async () => {
    c.send([7, 'event:chat', 'includes', false, [sid]]);
    expect(await c.nextEvent(evt('chat'))).toBe('includes');
    await roundTrip();
    expect(recorder.take('publishHandler')).toEqual([{ sid, topic: evt('chat'), event: 'includes' }]);
    expect(recorder.take('published')).toEqual([
      { sid, publication: { topic: evt('chat'), event: 'includes', exclude: [], eligible: [sid] } },
    ]);
    expect(eventFrames().at(-1)).toEqual([8, evt('chat'), 'includes']);
  });

  it('7. send-event! (WampBroker.publish) reaches the subscriber; get-topic-clients (WampBroker.subscribers) is [sid]', async () => {
    expect(broker.publish(evt('chat'), 'send-all-test')).toBe(1);
    expect(await c.nextEvent(evt('chat'))).toBe('send-all-test');
    expect(eventFrames().at(-1)).toEqual([8, evt('chat'), 'send-all-test']);
    expect(broker.subscribers(evt('chat'))).toEqual([sid]);
    // Server-initiated: no client publication, so no publish handler or hook.
    await roundTrip();
    expect(recorder.take('publishHandler')).toEqual([]);
    expect(recorder.take('published')).toEqual([]);
  });

  it('8. UNSUBSCRIBE event:chat → onWampUnsubscribed; a later PUBLISH runs the handlers but delivers nothing', async () => {
    c.send([6, 'event:chat']);
    await roundTrip();
    expect(recorder.take('unsubscribed')).toEqual([{ sid, topic: evt('chat') }]);
    expect(broker.subscribers(evt('chat'))).toEqual([]);

    c.send([7, 'event:chat', 'unsubscribed']);
    await roundTrip();
    expect(recorder.take('publishHandler')).toEqual([{ sid, topic: evt('chat'), event: 'unsubscribed' }]);
    expect(recorder.take('published')).toEqual([
      { sid, publication: { topic: evt('chat'), event: 'unsubscribed', exclude: [], eligible: undefined } },
    ]);
    expect(c.eventsOn(evt('chat'))).toEqual(['short-topic', 'full-topic', 'includes', 'send-all-test']);
  });

  it('9. SUBSCRIBE event:prefix123 matches the prefix* handler; PUBLISH to it is delivered', async () => {
    c.send([5, 'event:prefix123']);
    await roundTrip();
    expect(recorder.take('subscribeHandler')).toEqual([{ sid, topic: evt('prefix123') }]);
    expect(recorder.take('subscribed')).toEqual([{ sid, topic: evt('prefix123') }]);

    c.send([7, 'event:prefix123', 'prefix-event']);
    expect(await c.nextEvent(evt('prefix123'))).toBe('prefix-event');
    await roundTrip();
    expect(recorder.take('publishHandler')).toEqual([{ sid, topic: evt('prefix123'), event: 'prefix-event' }]);
    expect(recorder.take('published')).toEqual([
      { sid, publication: { topic: evt('prefix123'), event: 'prefix-event', exclude: [], eligible: undefined } },
    ]);
    expect(eventFrames().at(-1)).toEqual([8, evt('prefix123'), 'prefix-event']);
  });

  it('10. a topic mapped to true: SUBSCRIBE runs no handler but onWampSubscribed fires; PUBLISH is delivered and onWampPublished fires', async () => {
    c.send([5, 'event:no-handler']);
    await roundTrip();
    expect(recorder.take('subscribeHandler')).toEqual([]);
    expect(recorder.take('subscribed')).toEqual([{ sid, topic: evt('no-handler') }]);

    c.send([7, 'event:no-handler', 'no-handler-event']);
    expect(await c.nextEvent(evt('no-handler'))).toBe('no-handler-event');
    await roundTrip();
    expect(recorder.take('publishHandler')).toEqual([]);
    expect(recorder.take('published')).toEqual([
      { sid, publication: { topic: evt('no-handler'), event: 'no-handler-event', exclude: [], eligible: undefined } },
    ]);
    expect(eventFrames().at(-1)).toEqual([8, evt('no-handler'), 'no-handler-event']);
  });

  it('11. an unregistered topic event:none: SUBSCRIBE and PUBLISH produce no callbacks and no delivery', async () => {
    c.send([5, 'event:none']);
    c.send([7, 'event:none', 'no-event']);
    await roundTrip();
    expect(recorder.take('subscribeHandler')).toEqual([]);
    expect(recorder.take('subscribed')).toEqual([]);
    expect(recorder.take('publishHandler')).toEqual([]);
    expect(recorder.take('published')).toEqual([]);
    expect(c.eventsOn(evt('none'))).toEqual([]);
    expect(c.eventsOn('event:none')).toEqual([]);
    expect(broker.subscribers(evt('none'))).toEqual([]);
    expect(c.isOpen).toBe(true);
  });

  it('12. PREFIX api; CALL "short-rpc" api:add 23 99 → guard (on-before) and onWampCallResult run → [3,"short-rpc",122]', async () => {
    c.send([1, 'api', API]);
    expect(await callFrame(main, 'short-rpc', 'api:add', 23, 99)).toEqual([3, 'short-rpc', 122]);
    await until(() => recorder.log.callResult.length > 0, 'onWampCallResult', 2000);
    expect(recorder.take('beforeCall')).toEqual([{ sid, uri: api('add'), callId: 'short-rpc', args: [23, 99] }]);
    expect(recorder.take('callResult')).toEqual([{ sid, uri: api('add'), callId: 'short-rpc', result: 122 }]);
    expect(recorder.take('callError')).toEqual([]);
  });

  it('13. CALL "full-rpc" with the full URI …#add 1 2 → [3,"full-rpc",3]', async () => {
    expect(await callFrame(main, 'full-rpc', 'http://example.com/api#add', 1, 2)).toEqual([3, 'full-rpc', 3]);
    await until(() => recorder.log.callResult.length > 0, 'onWampCallResult', 2000);
    expect(recorder.take('beforeCall')).toEqual([{ sid, uri: api('add'), callId: 'full-rpc', args: [1, 2] }]);
    expect(recorder.take('callResult')).toEqual([{ sid, uri: api('add'), callId: 'full-rpc', result: 3 }]);
  });

  it('14. CALL "as-is-rpc" api:subtract 13 7 (a fn whose value is returned as-is) → [3,"as-is-rpc",6]', async () => {
    expect(await callFrame(main, 'as-is-rpc', 'api:subtract', 13, 7)).toEqual([3, 'as-is-rpc', 6]);
    await until(() => recorder.log.callResult.length > 0, 'onWampCallResult', 2000);
    expect(recorder.take('beforeCall')).toEqual([{ sid, uri: api('subtract'), callId: 'as-is-rpc', args: [13, 7] }]);
    expect(recorder.take('callResult')).toEqual([{ sid, uri: api('subtract'), callId: 'as-is-rpc', result: 6 }]);
  });

  it('15. CALL "sess-id-rpc" api:sess-id (returns *call-sess-id*) → [3,"sess-id-rpc",sid]', async () => {
    expect(await callFrame(main, 'sess-id-rpc', 'api:sess-id')).toEqual([3, 'sess-id-rpc', sid]);
    await until(() => recorder.log.callResult.length > 0, 'onWampCallResult', 2000);
    expect(recorder.take('beforeCall')).toEqual([{ sid, uri: api('sess-id'), callId: 'sess-id-rpc', args: [] }]);
    expect(recorder.take('callResult')).toEqual([{ sid, uri: api('sess-id'), callId: 'sess-id-rpc', result: sid }]);
  });

  it('16. CALL "exception-rpc" api:add 23 "abc" (throws) → [4,id,"…#internal","internal error",message] (exposeInternalErrors); onWampCallError runs', async () => {
    expect(await callFrame(main, 'exception-rpc', 'api:add', 23, 'abc')).toEqual([
      4,
      'exception-rpc',
      'http://api.wamp.ws/error#internal',
      'internal error',
      'java.lang.String cannot be cast to java.lang.Number',
    ]);
    await until(() => recorder.log.callError.length > 0, 'onWampCallError', 2000);
    expect(recorder.take('beforeCall')).toEqual([{ sid, uri: api('add'), callId: 'exception-rpc', args: [23, 'abc'] }]);
    expect(recorder.take('callError')).toEqual([
      {
        sid,
        uri: api('add'),
        callId: 'exception-rpc',
        error: {
          uri: WampErrorUri.internal,
          desc: WampErrorDescription.internal,
          details: 'java.lang.String cannot be cast to java.lang.Number',
        },
      },
    ]);
    expect(recorder.take('callResult')).toEqual([]);
  });

  it('17. CALL "error-rpc" api:give-error 1 2 (WampException) → [4,id,"http://example.com/error#give-error","Test error","Test error description"]', async () => {
    expect(await callFrame(main, 'error-rpc', 'api:give-error', 1, 2)).toEqual([
      4,
      'error-rpc',
      'http://example.com/error#give-error',
      'Test error',
      'Test error description',
    ]);
    await until(() => recorder.log.callError.length > 0, 'onWampCallError', 2000);
    expect(recorder.take('beforeCall')).toEqual([{ sid, uri: api('give-error'), callId: 'error-rpc', args: [1, 2] }]);
    expect(recorder.take('callError')).toEqual([
      {
        sid,
        uri: api('give-error'),
        callId: 'error-rpc',
        error: { uri: 'http://example.com/error#give-error', desc: 'Test error', details: 'Test error description' },
      },
    ]);
  });

  it('18. CALL "not-found-rpc" api:not-found → [4,id,"…#notfound","not found error"]; the guard is not run, onWampCallError is', async () => {
    expect(await callFrame(main, 'not-found-rpc', 'api:not-found', 1, 2)).toEqual([
      4,
      'not-found-rpc',
      'http://api.wamp.ws/error#notfound',
      'not found error',
    ]);
    await until(() => recorder.log.callError.length > 0, 'onWampCallError', 2000);
    expect(recorder.take('beforeCall')).toEqual([]);
    expect(recorder.take('callError')).toEqual([
      {
        sid,
        uri: api('not-found'),
        callId: 'not-found-rpc',
        error: { uri: WampErrorUri.notFound, desc: WampErrorDescription.notFound, details: undefined },
      },
    ]);
  });

  // clj-wamp logs invalid input and keeps the session. nest-wamp sends no reply either, but closes
  // the session (1007 for invalid JSON, 1002 for an unknown type; decode.ts), so each piece of
  // garbage gets a connection of its own here and the scripted session goes on.
  it.each([
    { label: 'invalid JSON', text: '{asdadas}}asadasdasda{{{aasdas', code: 1007 },
    { label: '[-1, "invalid type"]', text: JSON.stringify([-1, 'invalid type']), code: 1002 },
  ])('19. $label gets no WAMP reply; the session is closed with $code', async ({ text, code }) => {
    const raw = rawSocket(server.url);
    await until(() => raw.frames.length > 0, 'WELCOME', 2000);
    const rawSid = raw.frames[0][1] as string;
    raw.socket.send(text);
    const closed = await raw.closed;
    expect(closed.code).toBe(code);
    expect(raw.frames).toEqual([[0, rawSid, 1, `nest-wamp/${NEST_WAMP_VERSION}`]]);
    await until(() => recorder.log.closed.some((entry) => entry.sid === rawSid), 'onWampSessionClose', 2000);
    expect(broker.session(rawSid)).toBeUndefined();
    expect(recorder.log.callError.filter((entry) => entry.sid === rawSid)).toEqual([]);
  });

  it('19. the scripted session is unaffected by the garbage on other connections', async () => {
    expect(c.isOpen).toBe(true);
    expect(await callFrame(main, 'after-garbage', 'api:add', 1, 1)).toEqual([3, 'after-garbage', 2]);
    await until(() => recorder.log.callResult.length > 0, 'onWampCallResult', 2000);
    recorder.take('beforeCall');
    recorder.take('callResult');
  });

  it('20. close → onWampSessionClose(session, {code, reason}); the session and all its subscriptions are removed', async () => {
    const topics = [SENTINEL_TOPIC, evt('prefix123'), evt('no-handler')];
    expect(broker.session(sid)).toBeDefined();
    expect([...broker.topics()].sort()).toEqual([...topics].sort());
    recorder.take('unsubscribed');

    expect(await c.close(4000, 'close-status')).toEqual({ code: 4000, reason: 'close-status' });
    await until(() => recorder.log.closed.some((entry) => entry.sid === sid), 'onWampSessionClose', 2000);

    expect(recorder.log.closed.filter((entry) => entry.sid === sid)).toEqual([{ sid, close: { code: 4000, reason: 'close-status' } }]);
    // clj-wamp calls :on-unsubscribe for each topic the session had.
    expect(
      recorder
        .take('unsubscribed')
        .map((entry) => [entry.sid, entry.topic])
        .sort(),
    ).toEqual(topics.map((topic) => [sid, topic]).sort());
    expect(broker.session(sid)).toBeUndefined();
    expect(broker.sessions().map((session) => session.id)).not.toContain(sid);
    for (const topic of [...topics, evt('chat')]) expect(broker.subscribers(topic)).toEqual([]);
    expect(broker.topics()).toEqual([]);
    // The broker can no longer reach it.
    expect(broker.publish(evt('prefix123'), 'too late')).toBe(0);
  });
});

describe('clj-wamp case 16 without exposeInternalErrors', () => {
  let server: TestServer;
  let recorder: Recorder;

  beforeAll(async () => {
    server = await startApp(appMetadata({}));
    recorder = server.app.get(Recorder);
  });
  afterAll(() => server.close());

  it('a handler exception → [4,id,"…#internal","internal error"] with no 5th element; the message stays on the server', async () => {
    const main = await connectRecording(server.url);
    try {
      expect(await callFrame(main, 'exception-rpc', api('add'), 23, 'abc')).toEqual([
        4,
        'exception-rpc',
        'http://api.wamp.ws/error#internal',
        'internal error',
      ]);
      await until(() => recorder.log.callError.length > 0, 'onWampCallError', 2000);
      expect(recorder.take('callError')).toEqual([
        {
          sid: main.client.sessionId,
          uri: api('add'),
          callId: 'exception-rpc',
          error: { uri: WampErrorUri.internal, desc: WampErrorDescription.internal, details: undefined },
        },
      ]);

      // Through the client API: AutobahnJS's {uri, desc} without a detail.
      const error = await main.client.call(api('add'), 23, 'abc').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(WampCallError);
      expect(error).toMatchObject({ uri: WampErrorUri.internal, desc: 'internal error', details: undefined });
    } finally {
      await main.client.close();
    }
  });

  it('a WampException keeps its details either way', async () => {
    const main = await connectRecording(server.url);
    try {
      expect(await callFrame(main, 'error-rpc', api('give-error'))).toEqual([
        4,
        'error-rpc',
        'http://example.com/error#give-error',
        'Test error',
        'Test error description',
      ]);
    } finally {
      await main.client.close();
    }
  });
});
