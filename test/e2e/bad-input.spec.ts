import { Injectable } from '@nestjs/common';
import { CloseCode, WampBroker, WampErrorDescription, WampErrorUri, WampModule, WampRpc } from '../../src/index.js';
import type { WampTestClient } from '../../src/testing/index.js';
import { BareWebSocketPeer, RawWampSocket } from '../support/raw-wamp-socket.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { Gate, until, within } from '../support/until.js';

/** Every frame after WELCOME that the server sent and no assertion took. */
const pendingOf = (socket: RawWampSocket): unknown[] => socket.pending();

const API = 'http://example.com/api#';
const ADD = `${API}add`;
const ECHO = `${API}echo`;
const HOLD = `${API}hold`;
const REPEAT = `${API}repeat`;
const TOUCH = `${API}touch`;
const TOPIC = 'http://example.com/topic/';
const INVALID_MESSAGE = WampErrorUri.invalidMessage;

@Injectable()
class ApiService {
  readonly gate = new Gate();

  @WampRpc(ADD)
  add(a: number, b: number): number {
    return a + b;
  }

  @WampRpc(ECHO)
  echo(value: unknown): unknown {
    return value;
  }

  @WampRpc(REPEAT)
  repeat(text: string, times: number): string {
    return text.repeat(times);
  }

  /** Remembers that it ran (a side effect the test can look for). */
  readonly touched: string[] = [];
  @WampRpc(TOUCH)
  touch(key: string): string {
    this.touched.push(key);
    return key;
  }

  /** Answers only when the test releases `key`: a call that stays pending as long as needed. */
  @WampRpc(HOLD)
  hold(key: string): Promise<unknown> {
    return this.gate.wait(key);
  }
}

describe('bad input (real sockets)', () => {
  let server: TestServer;
  /** Opened before every violation below; it must keep working through all of them. */
  let bystander: WampTestClient;
  const opened: RawWampSocket[] = [];

  async function raw(): Promise<RawWampSocket> {
    const socket = await RawWampSocket.connect(server.url);
    opened.push(socket);
    expect((socket.first as unknown[])[0]).toBe(0);
    return socket;
  }

  /** The bystander session answers, and a brand-new session can be opened and answers too. */
  async function expectServerHealthy(): Promise<void> {
    expect(bystander.isOpen).toBe(true);
    expect(await within(bystander.call(ADD, 2, 3), 'the bystander call')).toBe(5);
    const fresh = await raw();
    fresh.send([2, 'fresh', ADD, 20, 22]);
    expect(await fresh.answerTo('fresh')).toEqual([3, 'fresh', 42]);
    await fresh.close();
  }

  /** Opens a session, lets `act` misbehave on it, and expects the server to close it with `code`. */
  async function expectClose(act: (socket: RawWampSocket) => void, code: number): Promise<void> {
    const socket = await raw();
    act(socket);
    expect(await socket.closeCode()).toBe(code);
    // Nothing (no CALLRESULT/CALLERROR/EVENT) was sent before the close.
    expect(pendingOf(socket)).toEqual([]);
    await expectServerHealthy();
  }

  beforeAll(async () => {
    server = await startApp({
      imports: [WampModule.forRoot({ topics: { [`${TOPIC}*`]: true, '*': true } })],
      providers: [ApiService],
    });
    bystander = await server.connect();
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((socket) => socket.close()));
  });

  afterAll(() => server?.close());

  it('a well-formed session works (baseline)', async () => {
    const socket = await raw();
    socket.send([2, 'c1', ADD, 1, 2]);
    expect(await socket.answerTo('c1')).toEqual([3, 'c1', 3]);
    await expectServerHealthy();
  });

  describe('invalid JSON text → close 1007', () => {
    it.each([
      ['a lone brace', '{'],
      ['a truncated array', '[2, "c1", '],
      ['plain words', 'not json'],
      ['an empty text frame', ''],
      ['a trailing comma', '[1, "p", "http://x/",]'],
      ['single quotes', "[2, 'c1', 'http://example.com/api#add']"],
      ['NaN', 'NaN'],
      ['two JSON values', '[5, "a"] [5, "b"]'],
    ])('%s: %p', async (_name, text) => {
      await expectClose((socket) => socket.sendText(text), CloseCode.invalidPayload);
    });

    it('invalid UTF-8 in a text frame', async () => {
      await expectClose((socket) => socket.sendTextBytes(Buffer.from([0x5b, 0x35, 0x2c, 0x22, 0xff, 0xfe, 0x22, 0x5d])), 1007);
    });
  });

  describe('binary frames → close 1003', () => {
    it.each([
      ['a valid CALL, as binary', Buffer.from(JSON.stringify([2, 'c1', ADD, 1, 2]))],
      ['arbitrary bytes', Buffer.from([0x00, 0xff, 0x10, 0x80])],
      ['an empty binary frame', Buffer.alloc(0)],
    ])('%s', async (_name, data) => {
      await expectClose((socket) => socket.sendBinary(data), CloseCode.unsupportedData);
    });
  });

  describe('valid JSON that is not a non-empty array → close 1002', () => {
    it.each(['{}', '{"0":2,"1":"c1","2":"http://example.com/api#add"}', '2', '0', '"2"', '"wamp"', 'true', 'false', 'null', '[]'])(
      '%s',
      async (text) => {
        await expectClose((socket) => socket.sendText(text), CloseCode.protocolError);
      },
    );
  });

  describe('unknown or server-only message types → close 1002', () => {
    it.each([
      ['-1', [-1, 'x']],
      ['9', [9, 'x']],
      ['99', [99]],
      ['"2" (a string)', ['2', 'c1', ADD, 1, 2]],
      ['2.5', [2.5, 'c1', ADD]],
      ['null', [null, 'c1', ADD]],
      ['an array', [[2], 'c1', ADD]],
      ['true', [true]],
    ])('type %s', async (_name, frame) => {
      await expectClose((socket) => socket.send(frame), CloseCode.protocolError);
    });

    it.each([
      ['WELCOME (0)', [0, 'abc', 1, 'evil/1']],
      ['CALLRESULT (3)', [3, 'c1', 5]],
      ['CALLERROR (4)', [4, 'c1', 'http://x/err', 'desc']],
      ['EVENT (8)', [8, `${TOPIC}a`, 'payload']],
      ['a bare 0', [0]],
    ])('server-only %s', async (_name, frame) => {
      await expectClose((socket) => socket.send(frame), CloseCode.protocolError);
    });
  });

  describe('PREFIX with the wrong arity or non-string fields → close 1002', () => {
    it.each([
      [[1]],
      [[1, 'api']],
      [[1, 'api', API, 'extra']],
      [[1, 5, API]],
      [[1, null, API]],
      [[1, 'api', null]],
      [[1, 'api', 42]],
      [[1, 'api', [API]]],
      [[1, { p: 'api' }, API]],
    ])('%j', async (frame) => {
      await expectClose((socket) => socket.send(frame), CloseCode.protocolError);
    });
  });

  describe('CALL without a string call id → close 1002', () => {
    it.each([[[2]], [[2, 5, ADD]], [[2, null, ADD]], [[2, ['c1'], ADD, 1, 2]], [[2, { id: 'c1' }, ADD]], [[2, true, ADD]]])(
      '%j',
      async (frame) => {
        await expectClose((socket) => socket.send(frame), CloseCode.protocolError);
      },
    );
  });

  describe('CALL with a string call id but no string procedure URI → CALLERROR invalid-message, session goes on', () => {
    it.each([[[2, 'c1', 42]], [[2, 'c1']], [[2, 'c1', null]], [[2, 'c1', { uri: ADD }, 1, 2]], [[2, 'c1', [ADD]]]])('%j', async (frame) => {
      const socket = await raw();
      socket.send(frame);
      const answer = (await socket.answerTo('c1')) as unknown[];
      expect(answer).toEqual([4, 'c1', INVALID_MESSAGE, expect.any(String)]);
      expect((answer[3] as string).length).toBeGreaterThan(0);
      // Same session, same call id (no longer pending): works normally.
      socket.send([2, 'c1', ADD, 1, 2]);
      expect(await socket.answerTo('c1')).toEqual([3, 'c1', 3]);
      expect(socket.isOpen).toBe(true);
      await expectServerHealthy();
    });
  });

  describe('call ids still pending', () => {
    it('a second CALL with the pending id gets CALLERROR "call id already in use"; the first keeps its own answer', async () => {
      const socket = await raw();
      socket.send([2, 'dup', HOLD, 'dup-1']);
      socket.send([2, 'dup', ADD, 1, 2]);
      expect(await socket.answerTo('dup')).toEqual([4, 'dup', INVALID_MESSAGE, 'call id already in use']);
      // The duplicate was not run: nothing else is answered until the first call is released.
      server.app.get(ApiService).gate.release('dup-1', 'first answer');
      expect(await socket.answerTo('dup')).toEqual([3, 'dup', 'first answer']);
      expect(pendingOf(socket)).toEqual([]);
      // Once answered, the id is free again.
      socket.send([2, 'dup', ADD, 2, 2]);
      expect(await socket.answerTo('dup')).toEqual([3, 'dup', 4]);
      await expectServerHealthy();
    });

    it('a duplicate id for an unknown procedure is refused the same way (not answered "not found")', async () => {
      const socket = await raw();
      socket.send([2, 'dup2', HOLD, 'dup2-1']);
      socket.send([2, 'dup2', `${API}nope`]);
      expect(await socket.answerTo('dup2')).toEqual([4, 'dup2', INVALID_MESSAGE, 'call id already in use']);
      server.app.get(ApiService).gate.release('dup2-1', 7);
      expect(await socket.answerTo('dup2')).toEqual([3, 'dup2', 7]);
    });

    it('a malformed CALL (non-string URI) reusing a pending id is answered too, and the first call keeps its own answer', async () => {
      const socket = await raw();
      socket.send([2, 'dup3', HOLD, 'dup3-1']);
      socket.send([2, 'dup3', 42]);
      expect(await socket.answerTo('dup3')).toEqual([4, 'dup3', INVALID_MESSAGE, expect.any(String)]);
      server.app.get(ApiService).gate.release('dup3-1', 'first');
      expect(await socket.answerTo('dup3')).toEqual([3, 'dup3', 'first']);
    });

    it('the same call id on two different sessions is not a conflict', async () => {
      const a = await raw();
      const b = await raw();
      a.send([2, 'same', HOLD, 'same-a']);
      b.send([2, 'same', ADD, 5, 5]);
      expect(await b.answerTo('same')).toEqual([3, 'same', 10]);
      server.app.get(ApiService).gate.release('same-a', 'a');
      expect(await a.answerTo('same')).toEqual([3, 'same', 'a']);
    });

    it('a session closed for a violation while a call is pending is forgotten; the late answer goes nowhere', async () => {
      const broker = server.app.get(WampBroker);
      const socket = await raw();
      const id = socket.sessionId;
      socket.send([5, `${TOPIC}left-behind`]);
      socket.send([2, 'late', HOLD, 'late-1']);
      // The subscription is in place once the session sees its own publication.
      socket.send([7, `${TOPIC}left-behind`, 'probe']);
      expect(await socket.eventOn(`${TOPIC}left-behind`)).toBe('probe');
      socket.sendText('{');
      expect(await socket.closeCode()).toBe(CloseCode.invalidPayload);
      await until(() => broker.session(id) === undefined, 'the session to be forgotten');
      expect(broker.subscribers(`${TOPIC}left-behind`)).not.toContain(id);
      server.app.get(ApiService).gate.release('late-1', 'too late');
      expect(broker.sendCallResult(id, 'late', 'x')).toBe(false);
      await expectServerHealthy();
    });
  });

  describe('SUBSCRIBE / UNSUBSCRIBE with the wrong arity or a non-string topic → close 1002', () => {
    it.each([
      [[5]],
      [[5, `${TOPIC}a`, 'extra']],
      [[5, 5]],
      [[5, null]],
      [[5, [`${TOPIC}a`]]],
      [[5, { topic: `${TOPIC}a` }]],
      [[6]],
      [[6, `${TOPIC}a`, 'extra']],
      [[6, 6]],
      [[6, null]],
      [[6, true]],
    ])('%j', async (frame) => {
      await expectClose((socket) => socket.send(frame), CloseCode.protocolError);
    });
  });

  describe('PUBLISH with the wrong arity or a non-string topic → close 1002', () => {
    it.each([
      [[7]],
      [[7, `${TOPIC}a`]],
      [[7, `${TOPIC}a`, 'e', false, [], 'sixth']],
      [[7, `${TOPIC}a`, 'e', null, null, null]],
      [[7, 7, 'e']],
      [[7, null, 'e']],
      [[7, [`${TOPIC}a`], 'e']],
      [[7, { t: 1 }, 'e', true]],
    ])('%j', async (frame) => {
      await expectClose((socket) => socket.send(frame), CloseCode.protocolError);
    });
  });

  describe('PUBLISH with odd 4th/5th elements is accepted with defaults', () => {
    /** Subscribes `socket` and waits until the subscription is in place (it sees its own probe). */
    async function subscribed(socket: RawWampSocket, topic: string): Promise<void> {
      socket.send([5, topic]);
      socket.send([7, topic, { probe: socket.sessionId }]);
      await socket.eventOn(topic, (event) => (event as { probe?: string })?.probe === socket.sessionId);
    }

    // [name, extra elements, whether the publisher itself receives the event]
    it.each([
      ['excludeMe null', [null], true],
      ['excludeMe "yes" (a string)', ['yes'], true],
      ['excludeMe 1 (a number)', [1], true],
      ['excludeMe an object', [{ me: true }], true],
      ['exclude null, eligible null', [null, null], true],
      ['exclude "x", eligible 5', ['x', 5], true],
      ['exclude [], eligible "all"', [[], 'all'], true],
      ['excludeMe true, eligible a string', [true, 'nobody'], false],
      ['exclude [] with non-string entries', [[1, null, {}]], true],
    ])('%s', async (name, extra, publisherReceives) => {
      const topic = `${TOPIC}odd/${encodeURIComponent(name)}`;
      const publisher = await raw();
      const observer = await raw();
      await subscribed(publisher, topic);
      await subscribed(observer, topic);
      const payload = { case: name };
      publisher.send([7, topic, payload, ...extra]);
      expect(await observer.eventOn(topic, (event) => (event as { case?: string })?.case === name)).toEqual(payload);
      if (publisherReceives) {
        expect(await publisher.eventOn(topic, (event) => (event as { case?: string })?.case === name)).toEqual(payload);
      } else {
        // Anything sent after the publication arrives after it: a round trip proves it did not come.
        publisher.send([2, 'after', ADD, 0, 0]);
        expect(await publisher.answerTo('after')).toEqual([3, 'after', 0]);
        const own = pendingOf(publisher).filter((message) => ((message as unknown[])[2] as { case?: string })?.case === name);
        expect(own).toEqual([]);
      }
      expect(publisher.isOpen).toBe(true);
      await expectServerHealthy();
    });
  });

  describe('hostile strings are ordinary strings', () => {
    const HOSTILE = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];

    it.each(HOSTILE)('PREFIX %s, then CALL <prefix>:add resolves', async (name) => {
      const socket = await raw();
      socket.send([1, name, API]);
      socket.send([2, 'c1', `${name}:add`, 2, 3]);
      expect(await socket.answerTo('c1')).toEqual([3, 'c1', 5]);
      await expectServerHealthy();
    });

    it.each(HOSTILE)('without a PREFIX, CALL <name>:add (%s) is a literal (unknown) URI → not found', async (name) => {
      const socket = await raw();
      socket.send([2, 'c1', `${name}:add`, 2, 3]);
      expect(await socket.answerTo('c1')).toEqual([4, 'c1', WampErrorUri.notFound, WampErrorDescription.notFound]);
    });

    it.each(HOSTILE)('call id %s is echoed in the CALLRESULT and the CALLERROR', async (name) => {
      const socket = await raw();
      socket.send([2, name, ADD, 1, 1]);
      expect(await socket.answerTo(name)).toEqual([3, name, 2]);
      socket.send([2, name, `${API}missing`]);
      expect(await socket.answerTo(name)).toEqual([4, name, WampErrorUri.notFound, WampErrorDescription.notFound]);
      socket.send([2, name, 42]);
      expect(await socket.answerTo(name)).toEqual([4, name, INVALID_MESSAGE, expect.any(String)]);
    });

    it.each(HOSTILE)('a procedure named %s is just an unknown procedure', async (name) => {
      const socket = await raw();
      socket.send([2, 'c1', name]);
      expect(await socket.answerTo('c1')).toEqual([4, 'c1', WampErrorUri.notFound, WampErrorDescription.notFound]);
      await expectServerHealthy();
    });

    it.each(HOSTILE)('topic %s: subscribe, publish, receive, unsubscribe', async (name) => {
      const a = await raw();
      const b = await raw();
      a.send([5, name]);
      a.send([7, name, 'probe-a']);
      expect(await a.eventOn(name)).toBe('probe-a');
      b.send([5, name]);
      b.send([7, name, 'from-b']);
      expect(await b.eventOn(name)).toBe('from-b');
      expect(await a.eventOn(name)).toBe('from-b');
      b.send([6, name]);
      a.send([7, name, 'after-unsubscribe']);
      expect(await a.eventOn(name)).toBe('after-unsubscribe');
      // b unsubscribed before a published (b's UNSUBSCRIBE was processed before its own CALL below).
      b.send([2, 'sync', ADD, 0, 0]);
      expect(await b.answerTo('sync')).toEqual([3, 'sync', 0]);
      expect(pendingOf(b)).toEqual([]);
      expect(server.app.get(WampBroker).subscribers(name)).toEqual([a.sessionId]);
    });

    it.each(HOSTILE)('PREFIX %s used for topics: the event carries the full URI', async (name) => {
      const socket = await raw();
      socket.send([1, name, TOPIC]);
      socket.send([5, `${name}:news`]);
      socket.send([7, `${name}:news`, 'hello']);
      expect(await socket.eventOn(`${TOPIC}news`)).toBe('hello');
    });

    it('hostile strings inside arguments, results and events are plain data', async () => {
      const socket = await raw();
      const value = JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}, "toString": 5}');
      socket.send([2, 'c1', ECHO, value]);
      const answer = (await socket.answerTo('c1')) as unknown[];
      expect(answer[0]).toBe(3);
      expect(JSON.stringify(answer[2])).toBe(JSON.stringify(value));
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      await expectServerHealthy();
    });
  });

  it('a burst of violations from many sessions at once leaves the server serving', async () => {
    const frames: Array<[(socket: RawWampSocket) => void, number]> = [
      [(socket) => socket.sendText('{'), 1007],
      [(socket) => socket.sendBinary(Buffer.from('x')), 1003],
      [(socket) => socket.send({}), 1002],
      [(socket) => socket.send([9]), 1002],
      [(socket) => socket.send([1, 'p']), 1002],
      [(socket) => socket.send([2]), 1002],
      [(socket) => socket.send([5, 5]), 1002],
      [(socket) => socket.send([7, 'x']), 1002],
    ];
    const sockets = await Promise.all(frames.map(() => raw()));
    sockets.forEach((socket, index) => frames[index][0](socket));
    const codes = await Promise.all(sockets.map((socket) => socket.closeCode()));
    expect(codes).toEqual(frames.map(([, code]) => code));
    await expectServerHealthy();
  });

  describe('after a violation the session is over: frames that follow it do nothing', () => {
    /**
     * Waits until the server has dropped the session. Its transport reports the end only after
     * the last byte from the client, so every frame the client sent has been handled by then.
     */
    async function forgotten(sessionId: string): Promise<void> {
      const broker = server.app.get(WampBroker);
      await until(() => broker.session(sessionId) === undefined, `session ${sessionId} to be forgotten`);
    }

    /** A session subscribed to `topic`, with the subscription known to be in place. */
    async function observerOf(topic: string): Promise<RawWampSocket> {
      const observer = await raw();
      observer.send([5, topic]);
      observer.send([7, topic, 'probe-1']);
      expect(await observer.eventOn(topic)).toBe('probe-1');
      return observer;
    }

    /** Fails if `observer` got anything on `topic` besides its own probes (a round trip first, so nothing is in flight). */
    async function expectNothingElseOn(observer: RawWampSocket, topic: string): Promise<void> {
      observer.send([7, topic, 'probe-2']);
      expect(await observer.eventOn(topic, (event) => event === 'probe-2')).toBe('probe-2');
      expect(observer.pending()).toEqual([]);
    }

    it('a CALL right behind the violation is not run', async () => {
      const service = server.app.get(ApiService);
      const socket = await raw();
      socket.sendText('not json');
      socket.send([2, 'after', TOUCH, 'after-violation-call']);
      expect(await socket.closeCode()).toBe(CloseCode.invalidPayload);
      await forgotten(socket.sessionId);
      await expectServerHealthy();
      expect(service.touched).not.toContain('after-violation-call');
    });

    it('a PUBLISH right behind the violation reaches nobody', async () => {
      const topic = `${TOPIC}after-violation`;
      const observer = await observerOf(topic);
      const socket = await raw();
      socket.send([9]);
      socket.send([7, topic, 'after-violation']);
      expect(await socket.closeCode()).toBe(CloseCode.protocolError);
      await forgotten(socket.sessionId);
      await expectNothingElseOn(observer, topic);
    });

    it('a peer that ignores the close frame cannot keep calling or publishing', async () => {
      const service = server.app.get(ApiService);
      const topic = `${TOPIC}ignored-close`;
      const observer = await observerOf(topic);
      const peer = await BareWebSocketPeer.connect(server.port);
      try {
        const sessionId = (peer.messages()[0] as unknown[])[1] as string;
        peer.sendText('{');
        expect(await peer.closeFrameCode()).toBe(CloseCode.invalidPayload);
        // The server has said the session is over; the peer does not answer the close frame and goes on.
        peer.send([2, 'after-close', TOUCH, 'after-close-frame']);
        peer.send([7, topic, 'after-close-frame']);
        peer.socket.end();
        await forgotten(sessionId);
        await expectServerHealthy();
        await expectNothingElseOn(observer, topic);
        expect(service.touched).not.toContain('after-close-frame');
      } finally {
        peer.destroy();
      }
    });
  });
});

describe('frame size limit (maxPayload: 1024)', () => {
  const LIMIT = 1024;
  let server: TestServer;
  let bystander: WampTestClient;
  const opened: RawWampSocket[] = [];

  /** A CALL to echo whose JSON text is exactly `bytes` bytes long (ASCII padding). */
  function echoFrameOfSize(bytes: number, callId = 'big'): { text: string; padding: string } {
    const empty = JSON.stringify([2, callId, ECHO, '']);
    const padding = 'x'.repeat(bytes - empty.length);
    const text = JSON.stringify([2, callId, ECHO, padding]);
    expect(Buffer.byteLength(text)).toBe(bytes);
    return { text, padding };
  }

  async function raw(): Promise<RawWampSocket> {
    const socket = await RawWampSocket.connect(server.url);
    opened.push(socket);
    return socket;
  }

  async function expectServerHealthy(): Promise<void> {
    expect(await within(bystander.call(ADD, 2, 3), 'the bystander call')).toBe(5);
    const fresh = await raw();
    fresh.send([2, 'fresh', ADD, 1, 1]);
    expect(await fresh.answerTo('fresh')).toEqual([3, 'fresh', 2]);
  }

  beforeAll(async () => {
    server = await startApp({ imports: [WampModule.forRoot({ maxPayload: LIMIT })], providers: [ApiService] });
    bystander = await server.connect();
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((socket) => socket.close()));
  });

  afterAll(() => server?.close());

  it.each([LIMIT - 100, LIMIT - 1, LIMIT])('a %i-byte frame is accepted', async (bytes) => {
    const socket = await raw();
    const { text, padding } = echoFrameOfSize(bytes);
    socket.sendText(text);
    expect(await socket.answerTo('big')).toEqual([3, 'big', padding]);
    expect(socket.isOpen).toBe(true);
  });

  it.each([LIMIT + 1, LIMIT * 4, LIMIT * 1024])('a %i-byte frame closes the session with 1009', async (bytes) => {
    const socket = await raw();
    socket.sendText(echoFrameOfSize(bytes).text);
    expect(await socket.closeCode()).toBe(CloseCode.messageTooBig);
    expect(socket.pending()).toEqual([]);
    await expectServerHealthy();
  });

  it('the limit counts bytes, not characters', async () => {
    const socket = await raw();
    const text = JSON.stringify([2, 'big', ECHO, 'é'.repeat(600)]);
    expect(text.length).toBeLessThan(LIMIT);
    expect(Buffer.byteLength(text)).toBeGreaterThan(LIMIT);
    socket.sendText(text);
    expect(await socket.closeCode()).toBe(CloseCode.messageTooBig);
    await expectServerHealthy();
  });

  it('an oversized binary frame is refused too', async () => {
    const socket = await raw();
    socket.sendBinary(Buffer.alloc(LIMIT + 1));
    expect(await socket.closeCode()).toBe(CloseCode.messageTooBig);
    await expectServerHealthy();
  });

  it('the limit is on what clients send: an answer larger than maxPayload is delivered', async () => {
    const socket = await raw();
    socket.send([2, 'c1', REPEAT, 'y', LIMIT * 8]);
    expect(await socket.answerTo('c1')).toEqual([3, 'c1', 'y'.repeat(LIMIT * 8)]);
  });
});
