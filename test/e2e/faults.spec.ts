import { Injectable } from '@nestjs/common';
import { EMPTY, type Observable, throwError, timer, mergeMap } from 'rxjs';
import {
  CloseCode,
  CraProcedure,
  type OnWampCallError,
  type OnWampCallResult,
  type OnWampPublished,
  WampBroker,
  type WampCallInvocation,
  WampErrorDescription,
  WampErrorUri,
  type WampModuleOptions,
  WampModule,
  WampPublish,
  WampRpc,
  type WampSession,
  WampSubscribe,
} from '../../src/index.js';
import { CraAuthenticator } from '../../src/auth/cra-authenticator.js';
import { WampEngine } from '../../src/engine/wamp-engine.js';
import type { ServerSession } from '../../src/session/server-session.js';
import type { SessionSocket } from '../../src/session/session-socket.js';
import { signChallengeAsAutobahn, WampCallError, type WampTestClient } from '../../src/testing/index.js';
import { attemptHandshake, BareWebSocketPeer, RawWampSocket, tcpConnectError } from '../support/raw-wamp-socket.js';
import { recordProcessFaults } from '../support/process-faults.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { textOfFrame } from '../support/websocket-frames.js';
import { deferred, sleep, until, within } from '../support/until.js';

// Faults over real sockets: handlers that fail in every way a handler can, clients that vanish
// in the middle of a call, a publication or WAMP-CRA, thousands of sessions coming and going,
// and a shutdown with thousands of sessions open. Whatever happens, the process does not crash,
// other sessions do not notice, and the server forgets every session completely.

const API = 'http://example.com/faults#';
const EV = 'http://example.com/faults/event#';
const SECRET = 'churn-secret';

// --- handlers the test releases when it wants to

/** Promises handlers return and the test settles: a handler that is "pending" until told otherwise. */
class Gates {
  private readonly held = new Map<string, ReturnType<typeof deferred<unknown>>>();
  private readonly entered = new Set<string>();

  hold<T>(key: string): Promise<T> {
    const gate = deferred<unknown>();
    this.held.set(key, gate);
    this.entered.add(key);
    return gate.promise as Promise<T>;
  }

  /** Whether a handler is waiting on `key` (or has been). */
  started(key: string): boolean {
    return this.entered.has(key);
  }

  release(key: string, value: unknown): void {
    this.take(key).resolve(value);
  }

  fail(key: string, error: unknown): void {
    this.take(key).reject(error);
  }

  private take(key: string): ReturnType<typeof deferred<unknown>> {
    const gate = this.held.get(key);
    if (!gate) throw new Error(`no handler is waiting on ${key}`);
    this.held.delete(key);
    return gate;
  }
}

const gates = new Gates();

@Injectable()
class FaultyHandlers {
  @WampRpc(`${API}add`)
  add(a: number, b: number) {
    return a + b;
  }

  @WampRpc(`${API}throws`)
  throws(): never {
    throw new Error('thrown synchronously');
  }

  @WampRpc(`${API}throws-non-error`)
  throwsNonError(): never {
    throw 'a bare string';
  }

  @WampRpc(`${API}throws-undefined`)
  throwsUndefined(): never {
    throw undefined;
  }

  @WampRpc(`${API}rejects`)
  async rejects(): Promise<never> {
    await Promise.resolve();
    throw new Error('rejected');
  }

  @WampRpc(`${API}rejects-later`)
  async rejectsLater(): Promise<never> {
    await sleep(5);
    throw new TypeError('rejected after a timer');
  }

  @WampRpc(`${API}observable-error`)
  observableError(): Observable<never> {
    return throwError(() => new Error('observable failed at once'));
  }

  @WampRpc(`${API}observable-late-error`)
  observableLateError(): Observable<never> {
    return timer(5).pipe(mergeMap(() => throwError(() => new Error('observable failed later'))));
  }

  @WampRpc(`${API}observable-empty`)
  observableEmpty(): Observable<never> {
    return EMPTY;
  }

  @WampRpc(`${API}promise-of-failing-observable`)
  async promiseOfFailingObservable(): Promise<Observable<never>> {
    await Promise.resolve();
    return throwError(() => new Error('inner observable failed'));
  }

  @WampRpc(`${API}cyclic`)
  cyclic() {
    const value: Record<string, unknown> = {};
    value.self = value;
    return value;
  }

  @WampRpc(`${API}never`)
  never(): Promise<never> {
    return new Promise(() => undefined);
  }

  @WampRpc(`${API}held`)
  held(key: string): Promise<unknown> {
    return gates.hold(key);
  }

  @WampRpc(`${API}slow`)
  async slow(ms: number): Promise<number> {
    await sleep(Number(ms) || 0);
    return ms;
  }

  @WampSubscribe(`${EV}sub-throws/*`)
  subscribeThrows(): never {
    throw new Error('subscribe handler threw');
  }

  @WampSubscribe(`${EV}sub-rejects/*`)
  async subscribeRejects(): Promise<never> {
    await Promise.resolve();
    throw new Error('subscribe handler rejected');
  }

  @WampSubscribe(`${EV}sub-observable-error/*`)
  subscribeObservableError(): Observable<never> {
    return throwError(() => new Error('subscribe observable failed'));
  }

  @WampSubscribe(`${EV}sub-held/*`)
  subscribeHeld(topic: string): Promise<unknown> {
    return gates.hold(topic);
  }

  @WampPublish(`${EV}pub-throws/*`)
  publishThrows(): never {
    throw new Error('publish handler threw');
  }

  @WampPublish(`${EV}pub-rejects/*`)
  async publishRejects(): Promise<never> {
    await Promise.resolve();
    throw new Error('publish handler rejected');
  }

  @WampPublish(`${EV}pub-observable-error/*`)
  publishObservableError(): Observable<never> {
    return throwError(() => new Error('publish observable failed'));
  }

  @WampPublish(`${EV}pub-held/*`)
  publishHeld(event: { key: string }): Promise<boolean> {
    return gates.hold(event.key);
  }
}

/** Which sessions got a CALLRESULT, a CALLERROR or a delivered publication, by session id. */
@Injectable()
class HookLog implements OnWampCallResult, OnWampCallError, OnWampPublished {
  readonly answered: string[] = [];
  readonly published: Array<{ session: string; topic: string }> = [];

  onWampCallResult(call: WampCallInvocation): void {
    this.answered.push(call.session.id);
  }

  onWampCallError(call: WampCallInvocation): void {
    this.answered.push(call.session.id);
  }

  onWampPublished(session: WampSession, publication: { topic: string }): void {
    this.published.push({ session: session.id, topic: publication.topic });
  }
}

const TOPICS: WampModuleOptions['topics'] = {
  [`${EV}open/*`]: true,
  [`${EV}pub-throws/*`]: { subscribe: true },
  [`${EV}pub-rejects/*`]: { subscribe: true },
  [`${EV}pub-observable-error/*`]: { subscribe: true },
  [`${EV}pub-held/*`]: { subscribe: true },
  [`${EV}sub-held/*`]: { publish: true },
};

function appWith(options: WampModuleOptions = {}): Promise<TestServer> {
  return startApp({ imports: [WampModule.forRoot({ topics: TOPICS, ...options })], providers: [FaultyHandlers, HookLog] });
}

// --- helpers

interface ErrorAnswer {
  readonly uri: string;
  readonly desc: string;
  readonly details?: unknown;
}

const INTERNAL: ErrorAnswer = { uri: WampErrorUri.internal, desc: WampErrorDescription.internal };

async function callError(client: WampTestClient, uri: string, ...args: unknown[]): Promise<ErrorAnswer> {
  let result: unknown;
  try {
    result = await within(client.call(uri, ...args), `the answer to ${uri}`);
  } catch (error) {
    if (!(error instanceof WampCallError)) throw error;
    return error.details === undefined
      ? { uri: error.uri, desc: error.desc }
      : { uri: error.uri, desc: error.desc, details: error.details };
  }
  throw new Error(`${uri} answered ${JSON.stringify(result)} instead of failing`);
}

/** Records every frame the server hands to a session's socket from now on. */
function recordSends(session: ServerSession): string[] {
  const socket = (session as unknown as { socket: SessionSocket }).socket;
  const sent: string[] = [];
  const send = socket.send.bind(socket);
  (socket as { send: SessionSocket['send'] }).send = (message) => {
    sent.push(typeof message === 'string' ? message : textOfFrame(message));
    send(message);
  };
  return sent;
}

function serverSession(broker: WampBroker, id: string): ServerSession {
  const session = broker.session(id);
  if (!session) throw new Error(`no session ${id} on the server`);
  return session as ServerSession;
}

/** Cuts a raw client off (terminate: no closing handshake; close: a clean one) and waits until the server forgot its session. */
async function cutOff(broker: WampBroker, socket: RawWampSocket, how: 'terminate' | 'close' = 'terminate'): Promise<void> {
  if (how === 'terminate') socket.ws.terminate();
  else socket.ws.close(1000);
  await within(socket.closed, 'the client socket to close');
  await until(() => broker.session(socket.sessionId) === undefined, `session ${socket.sessionId} to be gone`);
}

/** Lets the promise chains behind a released handler run to their end (several macrotask turns). */
async function drain(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  await sleep(20);
}

/** Runs `task(0..count-1)` with at most `concurrency` at a time. */
async function inPool(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

/** A small seeded PRNG (mulberry32): the same mix of cycles on every run (their interleaving still varies). */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NO_PENDING_AUTH = { exchanges: 0, failures: 0, timers: 0 };

describe('faults over real sockets', () => {
  recordProcessFaults(); // none may happen in any test

  describe('failing handlers (no auth)', () => {
    let server: TestServer;
    let broker: WampBroker;
    let hooks: HookLog;
    let bystander: WampTestClient;
    let round = 0;

    /** The bystander's call and pub/sub round trip both still work. */
    async function bystanderWorks(): Promise<void> {
      const n = ++round;
      expect(await within(bystander.call(`${API}add`, n, 1), 'the bystander call')).toBe(n + 1);
      bystander.publish(`${EV}open/bystander`, { n });
      expect(await bystander.nextEvent(`${EV}open/bystander`, 3000, (event) => (event as { n: number }).n === n)).toEqual({ n });
    }

    beforeAll(async () => {
      server = await appWith();
      broker = server.app.get(WampBroker);
      hooks = server.app.get(HookLog);
      bystander = await server.connect();
      bystander.subscribe(`${EV}open/bystander`, () => undefined);
      await until(() => broker.subscribers(`${EV}open/bystander`).includes(bystander.sessionId));
      await bystanderWorks();
    });
    afterAll(() => server.close());

    it('answers a handler that throws, rejects or whose Observable fails with CALLERROR internal, while another session goes on', async () => {
      const caller = await server.connect();
      const failing = [
        'throws',
        'throws-non-error',
        'throws-undefined',
        'rejects',
        'rejects-later',
        'observable-error',
        'observable-late-error',
        'observable-empty',
        'promise-of-failing-observable',
        'cyclic',
      ].map((name) => `${API}${name}`);
      for (let repeat = 0; repeat < 5; repeat++) {
        const answers = await Promise.all([
          ...failing.map((uri) => callError(caller, uri)),
          bystanderWorks().then(() => INTERNAL),
          ...failing.map((uri) => callError(caller, uri)),
        ]);
        expect(answers).toEqual(new Array(failing.length * 2 + 1).fill(INTERNAL));
      }
      // The failing session itself is unharmed too.
      expect(caller.isOpen).toBe(true);
      expect(await caller.call(`${API}add`, 2, 3)).toBe(5);
      await bystanderWorks();
      await caller.close();
    });

    it('exposes the message as details with exposeInternalErrors, even for a bare string or undefined', async () => {
      const exposing = await appWith({ exposeInternalErrors: true });
      try {
        const client = await exposing.connect();
        expect(await callError(client, `${API}throws`)).toEqual({ ...INTERNAL, details: 'thrown synchronously' });
        expect(await callError(client, `${API}throws-non-error`)).toEqual({ ...INTERNAL, details: 'a bare string' });
        expect(await callError(client, `${API}throws-undefined`)).toEqual({ ...INTERNAL, details: 'undefined' });
        expect(await callError(client, `${API}observable-late-error`)).toEqual({ ...INTERNAL, details: 'observable failed later' });
        expect((await callError(client, `${API}cyclic`)).uri).toBe(WampErrorUri.internal);
      } finally {
        await exposing.close();
      }
    });

    it('a handler that never settles holds only its own call: the same session and others keep working', async () => {
      const caller = await server.connect();
      const forever = Array.from({ length: 20 }, () =>
        caller.call(`${API}never`).then(
          () => 'settled',
          (error: Error) => error.message,
        ),
      );
      await until(() => serverSession(broker, caller.sessionId).pendingCallCount === 20);
      expect(await caller.call(`${API}add`, 20, 22)).toBe(42);
      expect(await callError(caller, `${API}throws`)).toEqual(INTERNAL);
      await bystanderWorks();
      await caller.close();
      // The client gives up on its calls when the connection ends; the server just forgets them.
      expect(new Set(await Promise.all(forever))).toEqual(new Set(['connection closed (1000)']));
      await until(() => broker.session(caller.sessionId) === undefined);
      await bystanderWorks();
    });

    it('a subscribe handler that throws, rejects or fails its Observable denies quietly; nothing else changes', async () => {
      const caller = await server.connect();
      const denied = [`${EV}sub-throws/a`, `${EV}sub-rejects/a`, `${EV}sub-observable-error/a`];
      for (const topic of denied) caller.subscribe(topic, () => undefined);
      caller.subscribe(`${EV}open/after-denied`, () => undefined);
      // The session's pub/sub queue is ordered: once the last SUBSCRIBE took effect, the others were decided.
      await until(() => broker.subscribers(`${EV}open/after-denied`).includes(caller.sessionId));
      for (const topic of denied) expect(broker.subscribers(topic)).toEqual([]);
      expect(caller.isOpen).toBe(true);
      expect(await caller.call(`${API}add`, 1, 1)).toBe(2);
      await bystanderWorks();
      await caller.close();
      await until(() => broker.topics().every((topic) => topic === `${EV}open/bystander`));
    });

    it('a publish handler that throws, rejects or fails its Observable drops the event; the publisher and subscribers go on', async () => {
      const dropped = [`${EV}pub-throws/x`, `${EV}pub-rejects/x`, `${EV}pub-observable-error/x`];
      for (const topic of dropped) bystander.subscribe(topic, () => undefined);
      await until(() => dropped.every((topic) => broker.subscribers(topic).includes(bystander.sessionId)));
      const publisher = await server.connect();
      for (let i = 0; i < 10; i++) for (const topic of dropped) publisher.publish(topic, { i });
      publisher.publish(`${EV}open/bystander`, { n: 'marker' });
      // One queue per publisher: the marker comes after every failing publication was decided.
      await bystander.nextEvent(`${EV}open/bystander`, 3000, (event) => (event as { n: unknown }).n === 'marker');
      for (const topic of dropped) expect(bystander.eventsOn(topic)).toEqual([]);
      expect(hooks.published.filter((entry) => dropped.includes(entry.topic))).toEqual([]);
      expect(publisher.isOpen).toBe(true);
      expect(await publisher.call(`${API}add`, 3, 4)).toBe(7);
      await bystanderWorks();
      await publisher.close();
      for (const topic of dropped) bystander.unsubscribe(topic);
      await until(() => dropped.every((topic) => broker.subscribers(topic).length === 0));
    });

    describe('a client that vanishes mid-call', () => {
      for (const how of ['terminate', 'close'] as const) {
        for (const outcome of ['resolves', 'rejects'] as const) {
          it(`(${how}) the handler that ${outcome} afterwards throws nothing and sends nothing`, async () => {
            const socket = await RawWampSocket.connect(server.url);
            const key = `mid-call-${how}-${outcome}`;
            socket.send([2, 'c1', `${API}held`, key]);
            socket.send([2, 'c2', `${API}never`]);
            await until(() => gates.started(key));
            const id = socket.sessionId;
            const sent = recordSends(serverSession(broker, id));
            await cutOff(broker, socket, how);
            if (outcome === 'resolves') gates.release(key, { late: true });
            else gates.fail(key, new Error('failed after the client left'));
            await drain();
            expect(sent).toEqual([]);
            expect(hooks.answered).not.toContain(id);
            await bystanderWorks();
          });
        }
      }

      it('many calls pending on a session that is cut off: all settle later without a trace', async () => {
        const socket = await RawWampSocket.connect(server.url);
        const keys = Array.from({ length: 50 }, (_, i) => `many-${i}`);
        keys.forEach((key, i) => socket.send([2, `c${i}`, `${API}held`, key]));
        await until(() => keys.every((key) => gates.started(key)));
        const id = socket.sessionId;
        const sent = recordSends(serverSession(broker, id));
        await cutOff(broker, socket);
        keys.forEach((key, i) => (i % 2 ? gates.release(key, i) : gates.fail(key, new Error(`late ${i}`))));
        await drain();
        expect(sent).toEqual([]);
        expect(hooks.answered).not.toContain(id);
        await bystanderWorks();
      });
    });

    describe('a client that vanishes mid-publish or mid-subscribe', () => {
      it('a publish handler still pending when its publisher is cut off: no throw, nothing sent to it, and SUBSCRIBEs queued behind it take no effect', async () => {
        bystander.subscribe(`${EV}pub-held/t`, () => undefined);
        await until(() => broker.subscribers(`${EV}pub-held/t`).includes(bystander.sessionId));
        const socket = await RawWampSocket.connect(server.url);
        const key = 'mid-publish';
        socket.send([5, `${EV}pub-held/t`]); // subscribed to its own publication before it is held
        socket.send([7, `${EV}pub-held/t`, { key }]);
        socket.send([5, `${EV}open/queued-behind-publish`]); // waits in the queue behind the held publication
        socket.send([7, `${EV}open/bystander`, { n: 'queued publish' }]);
        await until(() => gates.started(key));
        const id = socket.sessionId;
        expect(broker.subscribers(`${EV}pub-held/t`)).toContain(id);
        const sent = recordSends(serverSession(broker, id));
        await cutOff(broker, socket);
        expect(broker.subscribers(`${EV}pub-held/t`)).toEqual([bystander.sessionId]);
        gates.release(key, true);
        await drain();
        // Not asserted either way: the held publication and the PUBLISH queued behind it are still
        // delivered to the bystander after their publisher is gone (publish() does not check isOpen,
        // unlike subscribe()).
        expect(sent).toEqual([]);
        expect(broker.subscribers(`${EV}open/queued-behind-publish`)).toEqual([]);
        expect(broker.topics()).not.toContain(`${EV}open/queued-behind-publish`);
        await bystanderWorks();
        bystander.unsubscribe(`${EV}pub-held/t`);
        await until(() => broker.subscribers(`${EV}pub-held/t`).length === 0);
      });

      it('a publish handler that rejects after its publisher is gone: no throw', async () => {
        const socket = await RawWampSocket.connect(server.url);
        const key = 'mid-publish-rejects';
        socket.send([7, `${EV}pub-held/u`, { key }]);
        await until(() => gates.started(key));
        await cutOff(broker, socket, 'close');
        gates.fail(key, new Error('publish handler failed after the publisher left'));
        await drain();
        await bystanderWorks();
      });

      it('a subscribe handler that allows after its session is gone does not subscribe the dead session', async () => {
        const socket = await RawWampSocket.connect(server.url);
        const topic = `${EV}sub-held/late`;
        socket.send([5, topic]);
        await until(() => gates.started(topic));
        const id = socket.sessionId;
        const sent = recordSends(serverSession(broker, id));
        await cutOff(broker, socket);
        gates.release(topic, true);
        await drain();
        expect(sent).toEqual([]);
        expect(broker.subscribers(topic)).toEqual([]);
        expect(broker.topics()).not.toContain(topic);
        await bystanderWorks();
      });
    });
  });

  describe('with auth (async secret): mid-auth disconnects and churn', () => {
    let server: TestServer;
    let broker: WampBroker;
    let authenticator: CraAuthenticator;

    const AUTHREQ = CraProcedure.authreq;
    const AUTH = CraProcedure.auth;

    beforeAll(async () => {
      server = await appWith({
        auth: {
          allowAnonymous: true,
          failureDelayMs: 50,
          maxAttempts: 3,
          timeoutMs: 10_000,
          secret: async (authKey) => {
            if (authKey.startsWith('held:')) return gates.hold<string>(authKey);
            if (authKey.startsWith('slow:')) {
              await sleep(Number(authKey.slice('slow:'.length)));
              return SECRET;
            }
            return authKey === 'user' || authKey.startsWith('perm:') ? SECRET : null;
          },
          permissions: (authKey) => (authKey?.startsWith('perm:') ? gates.hold(authKey).then(() => ({ all: true })) : { all: true }),
        },
      });
      broker = server.app.get(WampBroker);
      authenticator = server.app.get(WampEngine).authenticator as CraAuthenticator;
    });
    afterAll(() => server.close());

    async function signedAuth(socket: RawWampSocket, authKey: string, callId: string): Promise<void> {
      socket.send([2, `${callId}-req`, AUTHREQ, authKey]);
      const [, , challenge] = (await socket.answerTo(`${callId}-req`)) as [number, string, string];
      socket.send([2, callId, AUTH, await signChallengeAsAutobahn(challenge, SECRET)]);
    }

    for (const how of ['terminate', 'close'] as const) {
      for (const outcome of ['resolves', 'rejects', 'returns nothing'] as const) {
        it(`(${how}) after authreq, before the secret ${outcome}: nothing kept, nothing sent`, async () => {
          const socket = await RawWampSocket.connect(server.url);
          const key = `held:${how}-${outcome}`;
          socket.send([2, 'a1', AUTHREQ, key, { extra: 1 }]);
          await until(() => gates.started(key));
          expect(authenticator.pendingState).toEqual({ exchanges: 1, failures: 0, timers: 1 });
          const id = socket.sessionId;
          const sent = recordSends(serverSession(broker, id));
          await cutOff(broker, socket, how);
          expect(authenticator.pendingState).toEqual(NO_PENDING_AUTH);
          if (outcome === 'resolves') gates.release(key, SECRET);
          else if (outcome === 'rejects') gates.fail(key, new Error('secret store down'));
          else gates.release(key, null);
          await drain();
          expect(sent).toEqual([]);
          expect(authenticator.pendingState).toEqual(NO_PENDING_AUTH);
        });
      }
    }

    it('between authreq and auth: the challenge is forgotten', async () => {
      const socket = await RawWampSocket.connect(server.url);
      socket.send([2, 'a1', AUTHREQ, 'user']);
      const answer = (await socket.answerTo('a1')) as unknown[];
      expect(answer[0]).toBe(3);
      expect(authenticator.pendingState).toEqual({ exchanges: 1, failures: 0, timers: 1 });
      await cutOff(broker, socket);
      expect(authenticator.pendingState).toEqual(NO_PENDING_AUTH);
    });

    it('while auth waits for async permissions: nothing kept, nothing sent, the session never authenticates', async () => {
      const socket = await RawWampSocket.connect(server.url);
      const key = 'perm:mid-permissions';
      await signedAuth(socket, key, 'a2');
      await until(() => gates.started(key));
      const session = serverSession(broker, socket.sessionId);
      const sent = recordSends(session);
      await cutOff(broker, socket);
      expect(authenticator.pendingState).toEqual(NO_PENDING_AUTH);
      gates.release(key, undefined);
      await drain();
      expect(sent).toEqual([]);
      expect(session.identity).toBeUndefined();
      expect(authenticator.pendingState).toEqual(NO_PENDING_AUTH);
    });

    it('during the delay after a wrong signature: the failure count goes with the session', async () => {
      const socket = await RawWampSocket.connect(server.url);
      socket.send([2, 'r', AUTHREQ, 'user']);
      await socket.answerTo('r');
      socket.send([2, 'w', AUTH, 'not-the-signature']);
      await until(() => authenticator.pendingState.failures === 1);
      const sent = recordSends(serverSession(broker, socket.sessionId));
      await cutOff(broker, socket);
      expect(authenticator.pendingState).toEqual(NO_PENDING_AUTH);
      await sleep(80); // past failureDelayMs
      expect(sent).toEqual([]);
      expect(authenticator.pendingState).toEqual(NO_PENDING_AUTH);
    });

    it('2000 connect/disconnect cycles, mixed, 64 at a time: afterwards nothing is left', async () => {
      const CYCLES = 2000;
      const random = prng(20240601);
      const kinds = new Map<string, number>();
      const before = broker.stats();

      const cycle = async (index: number): Promise<void> => {
        const socket = await RawWampSocket.connect(server.url);
        const roll = random();
        let kind: string;
        if (roll < 0.15) {
          kind = 'idle';
        } else if (roll < 0.3) {
          kind = 'anonymous + subscriptions';
          socket.send([2, 'q', AUTHREQ, null]);
          socket.send([2, 'a', AUTH, null]);
          socket.send([1, 'ev', `${EV}open/`]);
          socket.send([5, `${EV}open/churn-${index % 13}`]);
          socket.send([5, 'ev:shared']);
          socket.send([5, `${EV}pub-throws/churn`]);
          if (random() < 0.5) await socket.answerTo('a');
          if (random() < 0.3) socket.send([7, 'ev:shared', { index }]);
        } else if (roll < 0.45) {
          kind = 'anonymous + pending call';
          socket.send([2, 'q', AUTHREQ, null]);
          socket.send([2, 'a', AUTH, null]);
          socket.send([2, 'c', random() < 0.5 ? `${API}never` : `${API}slow`, Math.floor(random() * 30)]);
          socket.send([5, `${EV}sub-rejects/churn`]);
          if (random() < 0.5) await socket.answerTo('a');
        } else if (roll < 0.6) {
          kind = 'mid-authreq (async secret)';
          socket.send([2, 'q', AUTHREQ, `slow:${Math.floor(random() * 20)}`]);
          if (random() < 0.5) await sleep(Math.floor(random() * 10));
        } else if (roll < 0.7) {
          kind = 'between authreq and auth';
          socket.send([2, 'q', AUTHREQ, 'user']);
          await socket.answerTo('q');
        } else if (roll < 0.8) {
          kind = 'authenticated with a key + subscription';
          await signedAuth(socket, 'user', 'a');
          socket.send([5, `${EV}open/keyed`]);
          if (random() < 0.5) await socket.answerTo('a');
        } else if (roll < 0.88) {
          kind = 'wrong signature';
          socket.send([2, 'q', AUTHREQ, 'user']);
          await socket.answerTo('q');
          socket.send([2, 'w', AUTH, 'wrong']);
        } else {
          kind = 'unauthenticated traffic';
          socket.send([5, `${EV}open/denied`]);
          socket.send([7, `${EV}open/denied`, 'x']);
          socket.send([2, 'c', `${API}add`, 1, 2]);
          if (random() < 0.5) await socket.answerTo('c');
        }
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
        if (random() < 0.5) {
          await socket.close();
        } else {
          socket.ws.terminate();
          await within(socket.closed, 'a terminated client to close');
        }
      };

      await inPool(CYCLES, 64, cycle);
      expect([...kinds.values()].reduce((a, b) => a + b, 0)).toBe(CYCLES);
      expect(kinds.size).toBe(8);

      await until(() => broker.sessions().length === 0, 'every churned session to be gone', 10_000);
      const check = (): void => {
        expect(broker.sessions()).toEqual([]);
        expect(broker.topics()).toEqual([]);
        const stats = broker.stats();
        expect(stats.sessions).toBe(0);
        expect(stats.topics).toBe(0);
        expect(stats.sessionsOpened).toBe(stats.sessionsClosed);
        expect(stats.sessionsOpened - before.sessionsOpened).toBe(CYCLES);
        expect(authenticator.pendingState).toEqual(NO_PENDING_AUTH);
      };
      check();
      // Secrets, slow calls and failure delays still running must not put anything back.
      await sleep(120);
      check();
    }, 60_000);
  });

  describe('graceful shutdown with 2000 sessions open', () => {
    it('app.close() resolves promptly, every client gets 1001 (the one that never answers is cut off), and new connections are refused', async () => {
      const SESSIONS = 2000;
      const GRACE_MS = 500;
      const server = await appWith({ shutdownGraceMs: GRACE_MS });
      const broker = server.app.get(WampBroker);
      const sockets: RawWampSocket[] = [];
      let stuck: BareWebSocketPeer | undefined;
      let closing: Promise<void> | undefined;
      try {
        await inPool(SESSIONS, 100, async (index) => {
          const socket = await RawWampSocket.connect(server.url);
          sockets.push(socket);
          if (index % 10 === 0) socket.send([5, `${EV}open/shutdown-${(index / 10) % 30}`]);
          if (index % 25 === 0) socket.send([2, 'pending', `${API}never`]);
        });
        stuck = await BareWebSocketPeer.connect(server.port);
        await until(() => broker.sessions().length === SESSIONS + 1, 'every session to be registered', 5000);
        await until(() => broker.topics().length === 30, 'the subscriptions to take effect', 5000);

        const started = performance.now();
        closing = server.app.close();
        // Once the close frames are out, the server takes no new session, though its port still listens.
        await stuck.frame(0x8, 'the close frame to the stuck peer');
        const during = await attemptHandshake(server.url).catch((error: Error) => error);
        await within(closing, 'app.close()', 10_000);
        const elapsed = performance.now() - started;

        expect(elapsed).toBeLessThan(GRACE_MS + 4500);
        expect(elapsed).toBeGreaterThanOrEqual(GRACE_MS - 50); // the stuck peer held it up until the grace ran out
        const codes = new Map<number, number>();
        for (const { code } of await Promise.all(sockets.map((socket) => within(socket.closed, 'a client to close')))) {
          codes.set(code, (codes.get(code) ?? 0) + 1);
        }
        expect(Object.fromEntries(codes)).toEqual({ [CloseCode.goingAway]: SESSIONS });
        expect(await stuck.closeFrameCode()).toBe(CloseCode.goingAway);
        await within(stuck.ended, 'the stuck peer to be cut off');
        // Refused: the upgrade listener is gone, so the app's HTTP server answers it as a plain GET (404).
        expect(during instanceof Error ? during.message : during).toMatchObject({ accepted: false });
        expect(broker.stats().sessions).toBe(0);
        expect(broker.stats().sessionsOpened).toBe(broker.stats().sessionsClosed);
        expect(await tcpConnectError(server.port)).toBe('ECONNREFUSED');
      } finally {
        for (const socket of sockets) socket.ws.terminate();
        stuck?.destroy();
        await (closing ?? server.app.close()).catch(() => undefined);
      }
    }, 60_000);

    // A handshake whose asynchronous origin (or auth.handshake) check answers once shutdown has
    // begun must be refused: otherwise it would open a session after stop() sent its 1001s, and
    // could hold app.close() for good.
    const lateOrigin = 'http://late.example';
    async function appWithSlowOrigin(graceMs: number): Promise<{ server: TestServer; release(): void; entered(): boolean }> {
      const gate = deferred<boolean>();
      let entered = false;
      const server = await appWith({
        shutdownGraceMs: graceMs,
        allowedOrigins: (origin) => {
          if (origin !== lateOrigin) return true;
          entered = true;
          return gate.promise;
        },
      });
      return { server, release: () => gate.resolve(true), entered: () => entered };
    }

    it('a handshake whose async origin check answers during shutdown is refused, or closed with 1001', async () => {
      const GRACE_MS = 1000;
      const { server, release, entered } = await appWithSlowOrigin(GRACE_MS);
      const polite = await RawWampSocket.connect(server.url);
      const late = attemptHandshake(server.url, { origin: lateOrigin }).catch((error: Error) => error);
      let closing: Promise<void> | undefined;
      try {
        await until(entered);
        const started = performance.now();
        closing = server.app.close();
        expect(await polite.closeCode()).toBe(CloseCode.goingAway);
        release();
        const result = await late;
        const lateCode = result instanceof Error || !result.accepted ? 'refused' : await result.socket.closeCode(GRACE_MS + 2000);
        await within(closing, 'app.close()', GRACE_MS + 2000);
        expect(['refused', CloseCode.goingAway]).toContain(lateCode);
        // Every client answered its close frame at once: nothing should have waited for the grace.
        expect(performance.now() - started).toBeLessThan(GRACE_MS / 2);
      } finally {
        const result = await late;
        if (!(result instanceof Error) && result.accepted) result.socket.ws.terminate();
        await (closing ?? server.app.close()).catch(() => undefined);
      }
    });

    it('app.close() resolves even when a late handshake opens a session just as the grace ends', async () => {
      const GRACE_MS = 300;
      const { server, release, entered } = await appWithSlowOrigin(GRACE_MS);
      // The origin check answers right after the grace timer fires: after stop() cut the stuck
      // peer off and began waiting for the registry to empty, before that peer's close event.
      const engine = server.app.get(WampEngine);
      const stop = engine.stop.bind(engine);
      engine.stop = () => {
        const stopping = stop();
        setTimeout(release, GRACE_MS);
        return stopping;
      };
      const stuck = await BareWebSocketPeer.connect(server.port);
      const late = attemptHandshake(server.url, { origin: lateOrigin }).catch((error: Error) => error);
      let closing: Promise<void> | undefined;
      try {
        await until(entered);
        closing = server.app.close();
        await late;
        await within(closing, 'app.close()', GRACE_MS + 2000);
      } finally {
        const result = await late;
        if (!(result instanceof Error) && result.accepted) result.socket.ws.terminate();
        stuck.destroy();
        await (closing ?? server.app.close()).catch(() => undefined);
      }
    });
  });
});
