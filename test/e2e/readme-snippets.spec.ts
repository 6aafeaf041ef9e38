// The TypeScript examples of the README and docs/ cannot rot: each one is, line for line, in a file that
// `npm run typecheck` compiles (test/fixtures/readme/, or a spec), and the ones that make an app
// are run here (the Redis one in test/redis/readme-backplane.spec.ts).
import { type INestApplication, Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { readdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { WampBroker, WampModule } from 'nest-wamp';
import { startWampTestingApp, WampTestClient, type WampTestingApp } from 'nest-wamp/testing';
import { Echo } from '../fixtures/echo.js';
import { CapturingLogger } from '../support/capturing-logger.js';
import { until } from '../support/until.js';
import { openV2Session, type V2SessionHandle } from '../support/autobahn-v2.js';

const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const FIXTURES = 'test/fixtures/readme/';
/** Files that hold README examples besides the fixtures. */
const OTHER_HOLDERS = ['test/e2e/testing-helper.spec.ts'];
/** Fixtures that only support an example (imported by one), holding none themselves. */
const SUPPORT_FIXTURES = ['app.module.ts'];

/** The non-blank lines of a text, trimmed: examples are compared without their indentation. */
const lines = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');

/**
 * Whether `block` is in `file`: its lines in a row, where the first may end a longer line and the
 * last may begin one (so a file can write `export const x =` before an example or wrap it).
 */
export function holds(file: string[], block: string[]): boolean {
  for (let start = 0; start + block.length <= file.length; start++) {
    const matches = block.every((line, i) => {
      const candidate = file[start + i];
      if (block.length === 1) return candidate.includes(line);
      if (i === 0) return candidate.endsWith(line);
      if (i === block.length - 1) return candidate.startsWith(line);
      return candidate === line;
    });
    if (matches) return true;
  }
  return false;
}

const DOCUMENTS = ['README.md', ...readdirSync(root('docs')).map((name) => `docs/${name}`)].filter((path) => path.endsWith('.md'));
const readmeExamples = DOCUMENTS.flatMap((path) =>
  [...readFileSync(root(path), 'utf8').matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((match) => match[1]),
);
const fixtureNames = readdirSync(root(FIXTURES)).filter((name) => name.endsWith('.ts'));
const holders = new Map(
  [...fixtureNames.map((name) => FIXTURES + name), ...OTHER_HOLDERS].map((path) => [path, lines(readFileSync(root(path), 'utf8'))]),
);

describe('README examples', () => {
  it('every TypeScript example of the README and docs/ is in a compiled file', () => {
    expect(readmeExamples.length).toBeGreaterThanOrEqual(11);
    const orphans = readmeExamples.filter((example) => ![...holders.values()].some((file) => holds(file, lines(example))));
    expect(orphans).toEqual([]);
  });

  it('every fixture holds an example of the README (none is left behind when one is deleted)', () => {
    const unused = fixtureNames
      .filter((name) => !SUPPORT_FIXTURES.includes(name))
      .filter((name) => !readmeExamples.some((example) => holds(holders.get(FIXTURES + name)!, lines(example))));
    expect(unused).toEqual([]);
  });

  it('the matching rule: lines in a row, ends may be parts of longer lines', () => {
    const file = lines('const x = foo({\n  a: 1,\n}); // done\nother();');
    expect(holds(file, lines('foo({\n a: 1,\n});'))).toBe(true);
    expect(holds(file, lines('foo({\n a: 2,\n});'))).toBe(false);
    expect(holds(file, lines('foo({\n});'))).toBe(false);
  });
});

function urlOf(app: INestApplication, path = '/ws'): string {
  const { port } = app.getHttpServer().address() as AddressInfo;
  return `ws://127.0.0.1:${port}${path}`;
}

/** The examples that listen read `process.env.PORT`: a free port for the tests (and no startup log). */
async function importListening<T>(path: string): Promise<T> {
  Logger.overrideLogger(false);
  const before = process.env.PORT;
  process.env.PORT = '0';
  try {
    return (await import(path)) as T;
  } finally {
    if (before === undefined) delete process.env.PORT;
    else process.env.PORT = before;
  }
}

describe('the worked example', () => {
  type WorkedExample = typeof import('../fixtures/readme/worked-example.js');
  let example: WorkedExample;
  let url: string;
  const clients: WampTestClient[] = [];
  const connect = async () => {
    const client = await WampTestClient.connect(url);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    example = await importListening<WorkedExample>('../fixtures/readme/worked-example.js');
    url = urlOf(example.app);
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await example.app.close();
  });

  it('adds, and refuses what is not two numbers with its own error', async () => {
    const client = await connect();
    client.prefix('rpc', 'http://example.com/rpc#');
    expect(await client.call('rpc:add', 2, 3)).toBe(5);
    await expect(client.call('rpc:add', 2, '3')).rejects.toMatchObject({
      uri: 'http://example.com/error#invalid',
      desc: 'add takes two numbers',
    });
  });

  it('stamps chat messages with the sender, drops empty ones, and announces from the server', async () => {
    const alice = await connect();
    const bob = await connect();
    alice.subscribe('http://example.com/event#chat', () => {});
    bob.subscribe('http://example.com/event#chat', () => {});
    await Promise.all([alice.call('http://example.com/rpc#add', 0, 0), bob.call('http://example.com/rpc#add', 0, 0)]);

    alice.publish('http://example.com/event#chat', { message: '' });
    alice.publish('http://example.com/event#chat', { message: 'x'.repeat(200), extra: 'dropped' });
    expect(await bob.nextEvent('http://example.com/event#chat')).toEqual({ message: 'x'.repeat(140), from: alice.sessionId });

    example.app.get(example.ChatService).announce('maintenance at noon');
    await until(() => bob.eventsOn('http://example.com/event#chat').length === 2, 'the announcement');
    expect(bob.eventsOn('http://example.com/event#chat')).toEqual([
      { message: 'x'.repeat(140), from: alice.sessionId },
      { message: 'maintenance at noon', from: 'server' },
    ]);
  });

  it('serves news to subscribers and refuses publishing to it', async () => {
    const reader = await connect();
    reader.subscribe('http://example.com/event#news/today', () => {});
    reader.publish('http://example.com/event#news/today', { headline: 'from a client' });
    await reader.call('http://example.com/rpc#add', 0, 0);
    const broker = example.app.get(WampBroker);
    expect(broker.subscribers('http://example.com/event#news/today')).toEqual([reader.sessionId]);
    broker.publish('http://example.com/event#news/today', { headline: 'from the server' });
    expect(await reader.nextEvent('http://example.com/event#news/today')).toEqual({ headline: 'from the server' });
    expect(reader.eventsOn('http://example.com/event#news/today')).toEqual([{ headline: 'from the server' }]);
  });
});

describe('the WAMP v2 example', () => {
  let server: WampTestingApp;
  const sessions: V2SessionHandle[] = [];
  const v2 = async () => {
    const handle = await openV2Session(server.url, { realm: 'example' });
    sessions.push(handle);
    return handle.session;
  };

  beforeAll(async () => {
    const { AppModule } = await import('../fixtures/readme/wamp-v2.js');
    server = await startWampTestingApp(await Test.createTestingModule({ imports: [AppModule] }).compile());
  });
  afterAll(async () => {
    await Promise.all(sessions.map((handle) => handle.close()));
    await server.close();
  });

  it('serves add and greet to v2 clients by their v2 names, with the error renamed, and to v1 clients as before', async () => {
    const session = await v2();
    expect(await session.call('com.example.rpc.add', [2, 3])).toBe(5);
    await expect(session.call('com.example.rpc.add', [2, '3'])).rejects.toMatchObject({
      error: 'com.example.error.invalid_argument',
      args: ['add takes two numbers'],
    });
    expect(await session.call('com.example.hello', [], { name: 'Ada' })).toBe('hello, Ada');

    const v1 = await server.connect();
    expect(await v1.call('http://example.com/rpc#add', 2, 3)).toBe(5);
    expect(await v1.call('http://example.com/rpc#greet')).toBe('hello, stranger');
    await expect(v1.call('http://example.com/rpc#add', 2, '3')).rejects.toMatchObject({ uri: 'http://example.com/error#invalid-argument' });
  });

  it('shares the news topic between a v1 publisher and a v2 subscriber, and the reverse', async () => {
    const session = await v2();
    const received: unknown[] = [];
    await session.subscribe('com.example.event.news', (args: unknown[] | undefined) => received.push(args?.[0]));
    const v1 = await server.connect();
    v1.subscribe('http://example.com/event#news', () => {});
    await v1.call('http://example.com/rpc#add', 0, 0);

    v1.publish('http://example.com/event#news', { headline: 'from v1' });
    await until(() => received.length === 1, 'the v1 event at the v2 subscriber');
    expect(received).toEqual([{ headline: 'from v1' }]);

    await session.publish('com.example.event.news', [{ headline: 'from v2' }], {}, { acknowledge: true });
    const events = v1.eventsOn('http://example.com/event#news');
    await until(() => events.length === 2, 'the v2 event at the v1 subscriber');
    expect(events).toEqual([{ headline: 'from v1' }, { headline: 'from v2' }]);
  });
});

describe("the migration guide's module", () => {
  let server: WampTestingApp;

  beforeAll(async () => {
    const { AppModule } = await import('../fixtures/readme/migration-module.js');
    server = await startWampTestingApp(await Test.createTestingModule({ imports: [AppModule] }).compile());
  });
  afterAll(() => server.close());

  it('refuses other origins and a missing one; anonymous sessions may call, named ones do everything the rules allow', async () => {
    await expect(server.connect()).rejects.toMatchObject({ status: 403 });
    await expect(server.connect({ origin: 'https://elsewhere.example' })).rejects.toMatchObject({ status: 403 });
    const anonymous = await server.connect({ origin: 'https://myhost' });
    await anonymous.authenticate();
    expect(await anonymous.call('http://example.com/rpc#add', 2, 3)).toBe(5);
    anonymous.subscribe('http://example.com/event#chat', () => {});

    const guest = await server.connect({ origin: 'http://myhost' });
    await guest.authenticate('guest', 'secret-password');
    guest.subscribe('http://example.com/event#chat', () => {});
    guest.subscribe('http://example.com/event#news/today', () => {});
    await Promise.all([anonymous.call('http://example.com/rpc#add', 0, 0), guest.call('http://example.com/rpc#add', 0, 0)]);
    expect(server.broker.subscribers('http://example.com/event#chat')).toEqual([guest.sessionId]);
    expect(server.broker.subscribers('http://example.com/event#news/today')).toEqual([guest.sessionId]);
    guest.publish('http://example.com/event#chat', 'hello');
    expect(await guest.nextEvent('http://example.com/event#chat')).toBe('hello');
  });
});

describe('the authentication module', () => {
  let server: WampTestingApp;

  beforeAll(async () => {
    const { AppModule } = await import('../fixtures/readme/auth-module.js');
    server = await startWampTestingApp(await Test.createTestingModule({ imports: [AppModule] }).compile());
  });
  afterAll(() => server.close());

  it('lets an anonymous session call add only, and guest everything', async () => {
    const anonymous = await server.connect();
    await anonymous.authenticate();
    expect(await anonymous.call('http://example.com/rpc#add', 2, 3)).toBe(5);
    await expect(anonymous.call('http://example.com/rpc#mul', 2, 3)).rejects.toMatchObject({
      uri: 'http://api.wamp.ws/error#unauthorized',
    });

    const guest = await server.connect();
    await guest.authenticate('guest', 'secret-password');
    expect(await guest.call('http://example.com/rpc#mul', 2, 3)).toBe(6);

    const stranger = await server.connect();
    await expect(stranger.authenticate('nobody', 'x')).rejects.toMatchObject({ uri: 'http://api.wamp.ws/error#no-such-authkey' });
  });
});

describe('the HTTP errors filter', () => {
  let server: WampTestingApp;

  beforeAll(async () => {
    const { FilteredAppModule } = await import('../fixtures/readme/http-errors-filter.js');
    server = await startWampTestingApp(await Test.createTestingModule({ imports: [FilteredAppModule] }).compile());
  });
  afterAll(() => server.close());

  it('answers HTTP with its own body and leaves the CALLERROR to nest-wamp', async () => {
    const response = await fetch(`http://127.0.0.1:${server.port}/fail`);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: 'internal' });

    const client = await server.connect();
    await expect(client.call('http://example.com/rpc#fail')).rejects.toMatchObject({
      uri: 'http://api.wamp.ws/error#internal',
      desc: 'internal error',
    });
  });
});

describe('the WampRegistry example', () => {
  let server: WampTestingApp;
  let tenants: import('../fixtures/readme/tenants.js').Tenants;

  beforeAll(async () => {
    const { Tenants } = await import('../fixtures/readme/tenants.js');
    const auth = {
      secret: (key: string) => (key === 'acme' ? 'acme-secret' : undefined),
      allowAnonymous: true,
      permissions: () => ({ all: true }),
    };
    const moduleRef = await Test.createTestingModule({ imports: [WampModule.forRoot({ auth })], providers: [Tenants] }).compile();
    server = await startWampTestingApp(moduleRef);
    tenants = server.app.get(Tenants);
  });
  afterAll(() => server.close());

  it("opens a tenant's procedure and topics to its own sessions, and closes them again", async () => {
    const member = await server.connect();
    await member.authenticate('acme', 'acme-secret');
    const outsider = await server.connect();
    await outsider.authenticate();
    await expect(member.call('http://x/rpc#acme.sum', 1, 2, 3)).rejects.toMatchObject({ uri: 'http://api.wamp.ws/error#notfound' });

    tenants.open('acme');
    expect(await member.call('http://x/rpc#acme.sum', 1, 2, 3)).toBe(6);
    member.subscribe('http://x/acme/news', () => {});
    outsider.subscribe('http://x/acme/news', () => {});
    await Promise.all([member.call('http://x/rpc#acme.sum'), outsider.call('http://x/rpc#acme.sum')]);
    expect(server.broker.subscribers('http://x/acme/news')).toEqual([member.sessionId]);
    outsider.publish('http://x/acme/news', 'hello');
    expect(await member.nextEvent('http://x/acme/news')).toBe('hello');

    tenants.close('acme');
    await expect(member.call('http://x/rpc#acme.sum', 1)).rejects.toMatchObject({ uri: 'http://api.wamp.ws/error#notfound' });
  });
});

describe('the frame trace options', () => {
  it("'debug' writes every session's messages through the module's logger", async () => {
    const { traceEverything } = await import('../fixtures/readme/frame-trace.js');
    const logger = new CapturingLogger();
    const moduleRef = await Test.createTestingModule({ imports: [traceEverything] }).compile();
    const server = await startWampTestingApp(moduleRef, { app: { logger } });
    try {
      const client = await server.connect();
      await expect(client.call('urn:echo', 'hi')).rejects.toMatchObject({ uri: 'http://api.wamp.ws/error#notfound' });
      await until(() => logger.lines.some((line) => line.message.includes('[2,')), 'the traced CALL');
      const traced = logger.lines.filter((line) => line.level === 'debug' && line.message.includes(client.sessionId));
      expect(traced.some((line) => line.message.includes('in') && line.message.includes('"urn:echo","hi"'))).toBe(true);
      expect(traced.some((line) => line.message.includes('out') && line.message.includes('[4,'))).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('a sink gets the messages of the sessions that ask for it, with the masked procedures masked', async () => {
    const { traceOnRequest, myLog } = await import('../fixtures/readme/frame-trace.js');
    const server = await startWampTestingApp(await Test.createTestingModule({ imports: [traceOnRequest] }).compile());
    try {
      const quiet = await server.connect();
      const traced = await WampTestClient.connect(server.url, { headers: { 'x-debug': '1' } });
      await expect(quiet.call('http://example.com/rpc#login', 'secret')).rejects.toBeDefined();
      await expect(traced.call('http://example.com/rpc#login', 'secret')).rejects.toBeDefined();
      await until(() => myLog.entries.some((entry) => entry.direction === 'out' && entry.text.startsWith('[4,')), 'the traced CALLERROR');
      expect(new Set(myLog.entries.map((entry) => entry.sessionId))).toEqual(new Set([traced.sessionId]));
      const call = myLog.entries.find((entry) => entry.direction === 'in' && entry.text.startsWith('[2,'));
      expect(call?.text).not.toContain('secret');
      await traced.close();
    } finally {
      await server.close();
    }
  });
});

describe('the compression option', () => {
  it('agrees permessage-deflate with a compressing client, which then gets compressed answers', async () => {
    const { compressed } = await import('../fixtures/readme/compression.js');
    const server = await startWampTestingApp(await Test.createTestingModule({ imports: [compressed], providers: [Echo] }).compile());
    try {
      const socket = new WebSocket(server.url, 'wamp', { perMessageDeflate: true });
      const messages: unknown[][] = [];
      socket.on('message', (data) => messages.push(JSON.parse(data.toString()) as unknown[]));
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      expect(socket.extensions).toContain('permessage-deflate');
      const big = 'wamp '.repeat(1000);
      socket.send(JSON.stringify([2, 'c1', 'urn:echo', big]));
      await until(() => messages.length === 2, 'WELCOME and the CALLRESULT');
      expect(messages[1]).toEqual([3, 'c1', big]);
      socket.close();
    } finally {
      await server.close();
    }
  });
});

describe("the gateway app's main.ts", () => {
  it('serves a Nest ws gateway and WAMP on one port', async () => {
    const { app } = await importListening<typeof import('../fixtures/readme/gateway-main.js')>('../fixtures/readme/gateway-main.js');
    try {
      const client = await WampTestClient.connect(urlOf(app));
      expect(await client.call('http://example.com/api#ping')).toBe('pong');
      await client.close();

      const socket = new WebSocket(urlOf(app, '/gateway'));
      const answer = await new Promise<unknown>((resolve, reject) => {
        socket.once('open', () => socket.send(JSON.stringify({ event: 'echo', data: 42 })));
        socket.once('message', (message) => resolve(JSON.parse(message.toString())));
        socket.once('error', reject);
      });
      socket.close();
      expect(answer).toEqual({ event: 'echo', data: 42 });
    } finally {
      await app.close();
    }
  });
});
