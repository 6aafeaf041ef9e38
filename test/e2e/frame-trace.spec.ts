import { jest } from '@jest/globals';
import { Injectable, type INestApplication, type LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import {
  CraProcedure,
  WampBroker,
  WampModule,
  WampRpc,
  type WampAuthOptions,
  type WampModuleOptions,
  type WampTraceEntry,
} from '../../src/index.js';
import { FrameTrace, MASKED, isSessionTraced, traceSession } from '../../src/transport/frame-trace.js';
import { authSign, WampTestClient } from '../../src/testing/index.js';
import { CapturingLogger } from '../support/capturing-logger.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { serverIdle } from '../support/server-idle.js';
import { until } from '../support/until.js';

const TOPIC = 'urn:trace/news';
const SECRET = 'secret-password';

@Injectable()
class Echo {
  @WampRpc('urn:echo')
  echo(value: unknown) {
    return value;
  }

  @WampRpc('urn:login')
  login(_user: string, _password: string) {
    return 'welcome';
  }
}

const authOptions: WampAuthOptions = {
  allowAnonymous: true,
  failureDelayMs: 0,
  secret: (authKey) => (authKey === 'guest' ? SECRET : null),
  permissions: () => ({ all: true }),
};

/** What a trace sink saw, by session. */
class Recorder {
  readonly entries: WampTraceEntry[] = [];
  readonly sink = (entry: WampTraceEntry): void => void this.entries.push(entry);
  of(sessionId: string): Array<[string, unknown[]]> {
    return this.entries.filter((entry) => entry.sessionId === sessionId).map((entry) => [entry.direction, JSON.parse(entry.text)]);
  }
}

function appWith(options: WampModuleOptions): Promise<TestServer> {
  return startApp({ imports: [WampModule.forRoot({ topics: { [TOPIC]: true }, ...options })], providers: [Echo] });
}

describe('the frame trace to a function', () => {
  const recorder = new Recorder();
  let server: TestServer;
  beforeAll(async () => {
    server = await appWith({ auth: authOptions, trace: { sink: recorder.sink, maskCalls: ['urn:login'] } });
  });
  afterAll(() => server.close());

  it('sees WELCOME, a CALL as received and its CALLRESULT, with the session id and the direction', async () => {
    const client = await server.connect();
    await client.authenticate();
    client.sendRaw('[2, "c1", "urn:echo", {"a": [1, 2]}]');
    await until(() => recorder.of(client.sessionId).some(([, message]) => message[0] === 3 && message[1] === 'c1'), 'the CALLRESULT');
    const entries = recorder.entries.filter((entry) => entry.sessionId === client.sessionId);
    expect(entries[0]).toEqual({ sessionId: client.sessionId, direction: 'out', text: expect.stringMatching(/^\[0,/) });
    expect(JSON.parse(entries[0].text)).toEqual([0, client.sessionId, 1, expect.stringMatching(/^nest-wamp\//)]);
    expect(entries).toContainEqual({ sessionId: client.sessionId, direction: 'in', text: '[2, "c1", "urn:echo", {"a": [1, 2]}]' });
    expect(entries).toContainEqual({ sessionId: client.sessionId, direction: 'out', text: '[3,"c1",{"a":[1,2]}]' });
    // Each message once.
    expect(entries.filter((entry) => entry.direction === 'in' && entry.text.includes('"c1"'))).toHaveLength(1);
  });

  it('sees the EVENTs of a fan-out (one frame for every subscriber) on each traced session', async () => {
    const [a, b] = [await server.connect(), await server.connect()];
    for (const client of [a, b]) {
      await client.authenticate();
      client.subscribe(TOPIC, () => undefined);
      await serverIdle(server.app.get(WampBroker), client);
    }
    a.publish(TOPIC, { n: 1 });
    await Promise.all([a.nextEvent(TOPIC), b.nextEvent(TOPIC)]);
    expect(recorder.of(a.sessionId)).toContainEqual(['in', [7, TOPIC, { n: 1 }]]);
    for (const client of [a, b]) expect(recorder.of(client.sessionId)).toContainEqual(['out', [8, TOPIC, { n: 1 }]]);
    server.app.get(WampBroker).publish(TOPIC, 'x'.repeat(70_000)); // a frame with a 64-bit length
    await b.nextEvent(TOPIC);
    expect(recorder.of(b.sessionId)).toContainEqual(['out', [8, TOPIC, 'x'.repeat(70_000)]]);
  });

  it('masks the signature of a WAMP-CRA auth call, also when called by a CURI, and the arguments of maskCalls', async () => {
    const client = await server.connect();
    const challenge = await client.call<string>(CraProcedure.authreq, 'guest', { client: 'trace' });
    const signature = await authSign(challenge, SECRET);
    client.prefix('cra', 'http://api.wamp.ws/procedure#');
    await client.call('cra:auth', signature);
    await client.call('urn:login', 'alice', 'hunter2');
    const texts = recorder.entries.filter((entry) => entry.sessionId === client.sessionId).map((entry) => entry.text);
    expect(texts.join('\n')).not.toContain(signature);
    expect(texts.join('\n')).not.toContain('hunter2');
    const calls = recorder.of(client.sessionId).filter(([direction, message]) => direction === 'in' && message[0] === 2);
    expect(calls.map(([, message]) => message.slice(2))).toEqual([
      [CraProcedure.authreq, 'guest', { client: 'trace' }], // the auth key and the extra are no secret
      ['cra:auth', MASKED],
      ['urn:login', MASKED, MASKED],
    ]);
    // The challenge is no secret either.
    expect(texts.some((text) => text.includes(JSON.stringify(challenge)))).toBe(true);
  });
});

describe('choosing the sessions', () => {
  const recorder = new Recorder();
  let server: TestServer;
  beforeAll(async () => {
    server = await appWith({ trace: { sink: recorder.sink, sessions: (session) => session.handshake.headers['x-trace'] === 'on' } });
  });
  afterAll(() => server.close());

  it('traces only the sessions the predicate picks, WELCOME included', async () => {
    const traced = await server.connect({ headers: { 'x-trace': 'on' } });
    const other = await server.connect();
    await Promise.all([traced.call('urn:echo', 1), other.call('urn:echo', 2)]);
    expect(recorder.of(traced.sessionId).map(([direction, message]) => [direction, message[0]])).toEqual([
      ['out', 0],
      ['in', 2],
      ['out', 3],
    ]);
    expect(recorder.entries.filter((entry) => entry.sessionId === other.sessionId)).toEqual([]);
    expect(recorder.entries.some((entry) => entry.text.includes(other.sessionId))).toBe(false);
  });

  it('turns the trace of one open session on and off at runtime', async () => {
    const client = await server.connect();
    const session = server.app
      .get(WampBroker)
      .sessions()
      .find((candidate) => candidate.id === client.sessionId)!;
    expect(isSessionTraced(session)).toBe(false);
    await client.call('urn:echo', 'before');
    expect(traceSession(session, true)).toBe(true);
    expect(isSessionTraced(session)).toBe(true);
    await client.call('urn:echo', 'during');
    expect(traceSession(session, false)).toBe(true);
    await client.call('urn:echo', 'after');
    expect(recorder.of(client.sessionId).map(([direction, message]) => [direction, message[0], message.at(-1)])).toEqual([
      ['in', 2, 'during'],
      ['out', 3, 'during'],
    ]);
    await client.close();
    await until(() => !session.isOpen, 'the session closed');
    expect(traceSession(session, true)).toBe(false);
  });

  it('WampBroker.trace turns one session on and off by its id', async () => {
    const broker = server.app.get(WampBroker);
    const client = await server.connect();
    expect(broker.trace(client.sessionId)).toBe(true);
    await client.call('urn:echo', 'traced');
    expect(broker.trace(client.sessionId, false)).toBe(true);
    await client.call('urn:echo', 'quiet');
    expect(recorder.of(client.sessionId).map(([direction, message]) => [direction, message.at(-1)])).toEqual([
      ['in', 'traced'],
      ['out', 'traced'],
    ]);
    expect(broker.trace('no-such-session')).toBe(false);
    await client.close();
  });

  it('a predicate that throws leaves the session untraced and working', async () => {
    const failing = await appWith({
      trace: {
        sink: recorder.sink,
        sessions: () => {
          throw new Error('predicate down');
        },
      },
    });
    try {
      const client = await failing.connect();
      expect(await client.call('urn:echo', 'fine')).toBe('fine');
      expect(recorder.entries.filter((entry) => entry.sessionId === client.sessionId)).toEqual([]);
    } finally {
      await failing.close();
    }
  });
});

describe('a trace function that throws', () => {
  it('breaks no session and is logged once', async () => {
    const logger = new CapturingLogger();
    const { app, url } = await nestApp({ trace: thrower }, logger);
    try {
      const client = await WampTestClient.connect(url);
      for (let i = 0; i < 5; i++) expect(await client.call('urn:echo', i)).toBe(i);
      await client.close();
      expect(logger.at('error').filter((line) => line.includes('trace sink threw'))).toHaveLength(1);
    } finally {
      await app.close();
    }
  });
});

describe('the frame trace off', () => {
  afterEach(() => jest.restoreAllMocks());

  it('without the option, the trace is never entered', async () => {
    const spies = (['opening', 'opened', 'received', 'sent'] as const).map((method) => jest.spyOn(FrameTrace.prototype, method));
    const server = await appWith({});
    try {
      const [a, b] = [await server.connect(), await server.connect()];
      b.subscribe(TOPIC, () => undefined);
      await serverIdle(server.app.get(WampBroker), b);
      expect(await a.call('urn:echo', 'x')).toBe('x');
      a.publish(TOPIC, 'news');
      await b.nextEvent(TOPIC);
      const session = server.app.get(WampBroker).sessions()[0];
      expect(traceSession(session, true)).toBe(false); // nowhere to trace to
      expect(await a.call('urn:echo', 'y')).toBe('y');
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      await server.close();
    }
  });

  it('a session not traced costs no trace call, in or out', async () => {
    const sink = jest.fn<(entry: WampTraceEntry) => void>();
    const received = jest.spyOn(FrameTrace.prototype, 'received');
    const sent = jest.spyOn(FrameTrace.prototype, 'sent');
    const server = await appWith({ trace: { sink, sessions: false } });
    try {
      const client = await server.connect();
      client.subscribe(TOPIC, () => undefined);
      await serverIdle(server.app.get(WampBroker), client);
      expect(await client.call('urn:echo', 'x')).toBe('x');
      client.publish(TOPIC, 'news');
      await client.nextEvent(TOPIC);
      expect(received).not.toHaveBeenCalled();
      expect(sent).not.toHaveBeenCalled();
      expect(sink).not.toHaveBeenCalled();
    } finally {
      await server.close();
    }
  });
});

describe('the frame trace at a logger level', () => {
  it.each(['log', 'verbose'] as const)('writes one line per message at %s through the module logger', async (level) => {
    const logger = new CapturingLogger();
    const { app, url } = await nestApp({ trace: level }, logger);
    try {
      const client = await WampTestClient.connect(url);
      await client.call('urn:echo', 'hello');
      const lines = logger.at(level).filter((line) => line.startsWith(`session ${client.sessionId} `));
      expect(lines).toEqual([
        expect.stringMatching(new RegExp(`^session ${client.sessionId} out \\[0,"${client.sessionId}",1,`)),
        expect.stringMatching(new RegExp(`^session ${client.sessionId} in  \\[2,"[^"]+","urn:echo","hello"\\]$`)),
        expect.stringMatching(new RegExp(`^session ${client.sessionId} out \\[3,"[^"]+","hello"\\]$`)),
      ]);
      expect(logger.contexts).toContain('WampModule');
      await client.close();
    } finally {
      await app.close();
    }
  });
});

function thrower(_entry: WampTraceEntry): never {
  throw new Error('sink down');
}

/** An app logging to `logger` (start-app's apps log nowhere). */
async function nestApp(options: WampModuleOptions, logger: LoggerService): Promise<{ app: INestApplication; url: string }> {
  const moduleRef = await Test.createTestingModule({ imports: [WampModule.forRoot(options)], providers: [Echo] }).compile();
  const app = moduleRef.createNestApplication({ logger });
  await app.listen(0, '127.0.0.1');
  return { app, url: `ws://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}/ws` };
}
