// The behavioural differences between clj-wamp 1.0.2 and nest-wamp that docs/migrating-from-clj-wamp.md
// lists, one `it` each, against real apps over real sockets. The guide cites these tests by name;
// what test/e2e/clj-wamp-conformance.spec.ts already pins is cited there instead of repeated here.
// (The difference of WampBroker.publish with a single exclude id is pinned by its own work.)
import {
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  Module,
  type NestInterceptor,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { map, type Observable } from 'rxjs';
import {
  WampBroker,
  WampErrorUri,
  WampException,
  WampModule,
  WampRpc,
  WampSession,
  getWampInvocation,
  isWampContext,
  type OnWampSessionClose,
  type OnWampSubscribed,
  type OnWampUnsubscribed,
  type WampCloseInfo,
  type WampModuleOptions,
} from '../../src/index.js';
import { WampCallError } from '../../src/testing/index.js';
import { CapturingLogger } from '../support/capturing-logger.js';
import { attemptHandshake, type RawConnectOptions } from '../support/raw-wamp-socket.js';
import { serverIdle } from '../support/server-idle.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { until, within } from '../support/until.js';

const RPC = 'http://example.com/rpc#';
const EVT = 'http://example.com/event#';
const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;

// ---------------------------------------------------------------------------------------------
// The app
// ---------------------------------------------------------------------------------------------

interface ClojureError {
  uri?: string;
  message?: string;
  description?: unknown;
  kill?: boolean;
}

/**
 * The interceptor of the guide: turns clj-wamp's `{result: v}` and `{error: {...}}` return maps
 * into a result or a CALLERROR, with clj-wamp's rules (a map with neither is sent as it is; an error
 * without uri or message gets generic ones; `kill` closes with clj-wamp's 1002).
 */
@Injectable()
class CljWampResultInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (!isWampContext(context) || getWampInvocation(context).kind !== 'call') return next.handle();
    return next.handle().pipe(
      map((value: unknown) => {
        if (value === null || typeof value !== 'object') return value;
        const { result, error } = value as { result?: unknown; error?: ClojureError };
        if (error != null) {
          throw new WampException(error.uri ?? WampErrorUri.generic, error.message ?? 'generic error', error.description ?? undefined, {
            kill: error.kill ? { code: 1002, reason: '' } : undefined,
          });
        }
        return result != null ? result : value;
      }),
    );
  }
}

/** A guard that denies everything: clj-wamp's `:on-before` returning nil. */
@Injectable()
class DenyAll implements CanActivate {
  canActivate(): boolean {
    return false;
  }
}

@Injectable()
class Procedures {
  @WampRpc(`${RPC}result-map`)
  resultMap(): unknown {
    return { result: 5 };
  }

  @WampRpc(`${RPC}error-map`)
  errorMap(): unknown {
    return { error: { uri: 'http://example.com/error#give-error', message: 'Test error', description: 'Test error description' } };
  }

  @WampRpc(`${RPC}error-thrown`)
  errorThrown(): never {
    throw new WampException('http://example.com/error#give-error', 'Test error', 'Test error description');
  }

  @WampRpc(`${RPC}legacy-result`)
  @UseInterceptors(CljWampResultInterceptor)
  legacyResult(): unknown {
    return { result: 5 };
  }

  @WampRpc(`${RPC}legacy-error`)
  @UseInterceptors(CljWampResultInterceptor)
  legacyError(): unknown {
    return { error: { uri: 'http://example.com/error#give-error', message: 'Test error', description: 'Test error description' } };
  }

  @WampRpc(`${RPC}kill`)
  kill(): never {
    throw new WampException('http://example.com/error#bye', 'bye', undefined, { kill: true });
  }

  @WampRpc(`${RPC}kill-1002`)
  kill1002(): never {
    throw new WampException('http://example.com/error#bye', 'bye', undefined, { kill: { code: 1002, reason: '' } });
  }

  @WampRpc(`${RPC}fail`)
  fail(): never {
    throw new Error('the database is down');
  }

  @WampRpc(`${RPC}denied`)
  @UseGuards(DenyAll)
  denied(): string {
    return 'never sent';
  }

  @WampRpc(`${RPC}session-id`)
  sessionId(@WampSession() session: WampSession): string {
    return session.id;
  }
}

type HookEntry =
  [hook: 'subscribed' | 'unsubscribed', sid: string, topic: string] | [hook: 'close', sid: string, stillSubscribed: string[]];

/** Records the hooks in the order they ran; at close, also which topics still list the session. */
@Injectable()
class HookOrder implements OnWampSubscribed, OnWampUnsubscribed, OnWampSessionClose {
  readonly log: HookEntry[] = [];

  constructor(@Inject(WampBroker) private readonly broker: WampBroker) {}

  onWampSubscribed(session: WampSession, topic: string): void {
    this.log.push(['subscribed', session.id, topic]);
  }

  onWampUnsubscribed(session: WampSession, topic: string): void {
    this.log.push(['unsubscribed', session.id, topic]);
  }

  onWampSessionClose(session: WampSession): void {
    const still = this.broker.topics().filter((topic) => this.broker.subscribers(topic).includes(session.id));
    this.log.push(['close', session.id, still]);
  }

  of(sid: string): HookEntry[] {
    return this.log.filter((entry) => entry[1] === sid);
  }
}

const TOPICS: WampModuleOptions['topics'] = {
  // clj-wamp's {:on-subscribe {uri true}} ported naively, and exactly.
  [`${EVT}naive`]: true,
  [`${EVT}exact`]: { subscribe: true },
  // clj-wamp's {"feed/*" true, "feed/secret" false} in both maps.
  [`${EVT}feed/*`]: true,
  [`${EVT}feed/secret`]: false,
};

/** An app of the guide's providers whose log the test keeps. */
function startLoggingApp(options: WampModuleOptions, logger: CapturingLogger): Promise<TestServer> {
  return startApp(
    { imports: [WampModule.forRoot(options)], providers: [Procedures, DenyAll, CljWampResultInterceptor, HookOrder] },
    '/ws',
    { logger },
  );
}

/** The handshake's HTTP status, or 101 when the server accepted it. */
async function handshakeStatus(url: string, options: RawConnectOptions = {}): Promise<number> {
  const result = await attemptHandshake(url, options);
  if (!result.accepted) return result.status;
  await result.socket.close();
  return 101;
}

// ---------------------------------------------------------------------------------------------

describe('migrating from clj-wamp: behavioural differences', () => {
  let server: TestServer;
  let broker: WampBroker;
  let hooks: HookOrder;
  const logger = new CapturingLogger();

  beforeAll(async () => {
    server = await startLoggingApp({ topics: TOPICS }, logger);
    broker = server.app.get(WampBroker);
    hooks = server.app.get(HookOrder);
  });
  afterAll(() => server.close());

  it('on-subscribe true: a topics entry true also opens PUBLISH; { subscribe: true } opens SUBSCRIBE only', async () => {
    const subscriber = await server.connect();
    const publisher = await server.connect();
    subscriber.subscribe(`${EVT}naive`, () => undefined);
    subscriber.subscribe(`${EVT}exact`, () => undefined);
    await serverIdle(broker, subscriber);
    expect(broker.subscribers(`${EVT}naive`)).toEqual([subscriber.sessionId]);
    expect(broker.subscribers(`${EVT}exact`)).toEqual([subscriber.sessionId]);

    // Events of one publisher arrive in order: once the second has come, the first would have too.
    publisher.publish(`${EVT}exact`, 'dropped: { subscribe: true } has no publish rule');
    publisher.publish(`${EVT}naive`, 'delivered: true opens both');
    expect(await subscriber.nextEvent(`${EVT}naive`)).toBe('delivered: true opens both');
    await serverIdle(broker, publisher);
    expect(subscriber.received).toEqual([{ topic: `${EVT}naive`, event: 'delivered: true opens both' }]);
  });

  it('result maps: {result} and {error} maps returned by a procedure are sent as plain results, with no warning; a thrown WampException is the CALLERROR', async () => {
    const client = await server.connect();
    const linesBefore = logger.lines.length;
    expect(await client.call(`${RPC}result-map`)).toEqual({ result: 5 });
    expect(await client.call(`${RPC}error-map`)).toEqual({
      error: { uri: 'http://example.com/error#give-error', message: 'Test error', description: 'Test error description' },
    });
    expect(logger.lines.slice(linesBefore).filter((line) => line.level !== 'log')).toEqual([]);

    await expect(client.call(`${RPC}error-thrown`)).rejects.toMatchObject({
      uri: 'http://example.com/error#give-error',
      desc: 'Test error',
      details: 'Test error description',
    });
  });

  it("result maps: the guide's CljWampResultInterceptor answers clj-wamp's maps as clj-wamp did", async () => {
    const client = await server.connect();
    expect(await client.call(`${RPC}legacy-result`)).toBe(5);
    const error = await client.call(`${RPC}legacy-error`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WampCallError);
    expect(error).toMatchObject({ uri: 'http://example.com/error#give-error', desc: 'Test error', details: 'Test error description' });
  });

  it("kill: a WampException with { kill: true } closes with 3000 after the CALLERROR; { kill: { code: 1002 } } gives clj-wamp's 1002", async () => {
    const killed = await server.connect();
    await expect(killed.call(`${RPC}kill`)).rejects.toMatchObject({ uri: 'http://example.com/error#bye', desc: 'bye' });
    expect(await within(killed.closed, 'the killed session to close')).toEqual({ code: 3000, reason: 'killed by the application' });

    const killed1002 = await server.connect();
    await expect(killed1002.call(`${RPC}kill-1002`)).rejects.toMatchObject({ uri: 'http://example.com/error#bye' });
    expect((await within(killed1002.closed, 'the killed session to close')).code).toBe(1002);
  });

  it('unhandled errors: the CALLERROR is internal error without the message (exposeInternalErrors: false, the default)', async () => {
    const client = await server.connect();
    const error = await client.call(`${RPC}fail`).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ uri: WampErrorUri.internal, desc: 'internal error', details: undefined });
    // The message stays in the server's log (which also shows the logger above is the one in use).
    await until(
      () => logger.lines.some((line) => line.level === 'error' && line.message.includes('the database is down')),
      'the error log line',
    );
  });

  it("topic-subscribe: broker.subscribe takes (sessionId, topic); clj-wamp's order (topic, sessionId) subscribes nobody", async () => {
    const client = await server.connect();
    const topic = `${EVT}server-side`; // no rule at all: the broker asks none
    const sid = client.sessionId;

    expect(broker.subscribe(topic, sid)).toBe(false);
    expect(broker.subscribers(topic)).toEqual([]);
    expect(broker.subscribers(sid)).toEqual([]);

    expect(broker.subscribe(sid, topic)).toBe(true);
    expect(broker.subscribers(topic)).toEqual([sid]);
    // Unlike clj-wamp's topic-subscribe, the subscribed hook runs.
    expect(hooks.of(sid)).toEqual([['subscribed', sid, topic]]);
    expect(broker.publish(topic, 'pushed')).toBe(1);
    expect(await client.nextEvent(topic)).toBe('pushed');
  });

  it("close-channel: broker.close(id) closes with 1000; broker.close(id, 1002) gives clj-wamp's default", async () => {
    const first = await server.connect();
    const second = await server.connect();
    expect(broker.close(first.sessionId)).toBe(true);
    expect((await within(first.closed, 'the first session to close')).code).toBe(1000);
    expect(broker.close(second.sessionId, 1002)).toBe(true);
    expect((await within(second.closed, 'the second session to close')).code).toBe(1002);
    expect(broker.close('1373213421234-1')).toBe(false);
  });

  it('on-close order: onWampSessionClose runs after the unsubscribe hooks, when the session is in no topic any more', async () => {
    const client = await server.connect();
    const sid = client.sessionId;
    client.subscribe(`${EVT}naive`, () => undefined);
    client.subscribe(`${EVT}feed/1`, () => undefined);
    await serverIdle(broker, client);
    await client.close();
    await until(() => hooks.of(sid).some((entry) => entry[0] === 'close'), 'onWampSessionClose');

    const entries = hooks.of(sid);
    expect(entries.slice(0, 2)).toEqual([
      ['subscribed', sid, `${EVT}naive`],
      ['subscribed', sid, `${EVT}feed/1`],
    ]);
    expect(
      entries
        .slice(2, 4)
        .map((entry) => entry.join(' '))
        .sort(),
    ).toEqual([`unsubscribed ${sid} ${EVT}feed/1`, `unsubscribed ${sid} ${EVT}naive`]);
    expect(entries.slice(4)).toEqual([['close', sid, []]]);
  });

  it('session ids: 22 random base64url characters, not clj-wamp\'s "<millis>-<n>"', async () => {
    const first = await server.connect();
    const second = await server.connect();
    for (const client of [first, second]) {
      expect(client.sessionId).toMatch(SESSION_ID);
      expect(client.sessionId).not.toMatch(/^\d+-\d+$/);
      expect(await client.call(`${RPC}session-id`)).toBe(client.sessionId);
    }
    expect(first.sessionId).not.toBe(second.sessionId);
  });

  it("denying guard: a guard returning false answers CALLERROR unauthorized, where clj-wamp's :on-before nil sends nothing", async () => {
    const client = await server.connect();
    await expect(client.call(`${RPC}denied`)).rejects.toMatchObject({
      uri: WampErrorUri.unauthorized,
      desc: 'unauthorized',
      details: undefined,
    });
    expect(client.isOpen).toBe(true);
  });

  it('topic rules: the most specific rule wins, so an exact false is not overridden by a prefix true', async () => {
    const client = await server.connect();
    client.subscribe(`${EVT}feed/secret`, () => undefined);
    client.subscribe(`${EVT}feed/open`, () => undefined);
    await serverIdle(broker, client);
    expect(broker.subscribers(`${EVT}feed/open`)).toEqual([client.sessionId]);
    expect(broker.subscribers(`${EVT}feed/secret`)).toEqual([]);
  });
});

describe('migrating from clj-wamp: authentication', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startApp({
      imports: [
        WampModule.forRoot({
          auth: {
            allowAnonymous: false,
            timeoutMs: 200,
            secret: (authKey) => (authKey === 'username' ? 'secret' : null),
            permissions: () => ({ all: true }),
          },
        }),
      ],
      providers: [Procedures, DenyAll, CljWampResultInterceptor],
    });
  });
  afterAll(() => server.close());

  it('auth timeout: a session not authenticated in time is closed with 1008 "authentication timeout" (clj-wamp 1002)', async () => {
    const client = await server.connect();
    const closed: WampCloseInfo = await within(client.closed, 'the authentication timeout', 3000);
    expect(closed).toEqual({ code: 1008, reason: 'authentication timeout' });
  });

  it("authorization: after authreq and before a valid auth the session has no permissions (clj-wamp grants the key's)", async () => {
    const client = await server.connect();
    const challenge = await client.call('http://api.wamp.ws/procedure#authreq', 'username');
    expect(typeof challenge).toBe('string');
    await expect(client.call(`${RPC}session-id`)).rejects.toMatchObject({ uri: WampErrorUri.unauthorized });
    await client.close();
  });
});

describe('migrating from clj-wamp: the handshake', () => {
  let regexApp: TestServer;
  let strictApp: TestServer;
  beforeAll(async () => {
    // clj-wamp: (with-channel-validation request channel #"https?://myhost" ...)
    regexApp = await startApp({
      imports: [WampModule.forRoot({ allowedOrigins: [/https?:\/\/myhost/] })],
      providers: [Procedures, DenyAll],
    });
    strictApp = await startApp({
      imports: [WampModule.forRoot({ allowedOrigins: [/https?:\/\/myhost/], allowMissingOrigin: false })],
      providers: [Procedures, DenyAll],
    });
  });
  afterAll(async () => {
    await regexApp.close();
    await strictApp.close();
  });

  it("origin RegExp: matched against the whole origin, as clj-wamp's re-matches (not as RegExp.test)", async () => {
    expect(await handshakeStatus(regexApp.url, { origin: 'https://myhost' })).toBe(101);
    expect(await handshakeStatus(regexApp.url, { origin: 'http://myhost' })).toBe(101);
    expect(await handshakeStatus(regexApp.url, { origin: 'https://myhost.evil.example' })).toBe(403);
  });

  it('refused origin: HTTP 403 (clj-wamp 400); no "wamp" subprotocol: 400 as in clj-wamp', async () => {
    expect(await handshakeStatus(regexApp.url, { origin: 'https://evil.example' })).toBe(403);
    expect(await handshakeStatus(regexApp.url, { origin: 'https://myhost', protocols: ['foo'] })).toBe(400);
  });

  it('no Origin: allowed by default (clj-wamp refuses with 400); allowMissingOrigin: false refuses with 403', async () => {
    expect(await handshakeStatus(regexApp.url)).toBe(101);
    expect(await handshakeStatus(strictApp.url)).toBe(403);
    expect(await handshakeStatus(strictApp.url, { origin: 'https://myhost' })).toBe(101);
  });
});

// clj-wamp mounts http-kit-handler on as many routes as it likes, each with its own callbacks.
@Injectable()
class ChatProcedures {
  @WampRpc(`${RPC}who`)
  who(): string {
    return 'chat';
  }
}

@Injectable()
class AdminProcedures {
  @WampRpc(`${RPC}who`)
  who(): string {
    return 'admin';
  }

  @WampRpc(`${RPC}admin-only`)
  adminOnly(): boolean {
    return true;
  }
}

@Module({ imports: [WampModule.forRoot({ path: '/chat' })], providers: [ChatProcedures] })
class ChatAppModule {}

@Module({ imports: [WampModule.forRoot({ path: '/admin' })], providers: [AdminProcedures] })
class AdminAppModule {}

describe('migrating from clj-wamp: endpoints', () => {
  it('one endpoint per application: a second Nest application in the same process is a second endpoint with its own handlers', async () => {
    const chat = await startApp({ imports: [ChatAppModule] }, '/chat');
    const admin = await startApp({ imports: [AdminAppModule] }, '/admin');
    try {
      const chatClient = await chat.connect();
      const adminClient = await admin.connect();
      expect(await chatClient.call(`${RPC}who`)).toBe('chat');
      expect(await adminClient.call(`${RPC}who`)).toBe('admin');
      expect(await adminClient.call(`${RPC}admin-only`)).toBe(true);
      await expect(chatClient.call(`${RPC}admin-only`)).rejects.toMatchObject({ uri: WampErrorUri.notFound });
      // Each application has its own broker, sessions and topics.
      expect(
        chat.app
          .get(WampBroker)
          .sessions()
          .map((session) => session.id),
      ).toEqual([chatClient.sessionId]);
      expect(
        admin.app
          .get(WampBroker)
          .sessions()
          .map((session) => session.id),
      ).toEqual([adminClient.sessionId]);
    } finally {
      await chat.close();
      await admin.close();
    }
  });
});
