import { Injectable } from '@nestjs/common';
import {
  type OnWampUnsubscribed,
  WampBroker,
  WampErrorUri,
  WampModule,
  type WampModuleOptions,
  type WampPermissions,
  WampRpc,
  type WampSession,
} from '../../src/index.js';
import type { WampTestClient } from '../../src/testing/index.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { until } from '../support/until.js';

/**
 * Rights that change while a session is open (clj-wamp asks its permission callback on every
 * message), and the checks clj-wamp exposes as functions: authorized?, client-auth-requested?,
 * get-topic and add-topic-prefix.
 */
const RPC = 'http://x/rpc#';
const NEWS = 'http://x/news';
const SECRET = 'pw';
const READER: WampPermissions = { rpc: { [`${RPC}read`]: true }, subscribe: { [NEWS]: true } };
const NOTHING: WampPermissions = {};

@Injectable()
class Api implements OnWampUnsubscribed {
  readonly unsubscribed: Array<[string, string]> = [];

  @WampRpc(`${RPC}read`)
  read() {
    return 'read';
  }

  @WampRpc(`${RPC}write`)
  write() {
    return 'written';
  }

  onWampUnsubscribed(session: WampSession, topic: string) {
    this.unsubscribed.push([session.id, topic]);
  }
}

const denied: string[] = [];

function app(auth: Partial<NonNullable<WampModuleOptions['auth']>> = {}): Promise<TestServer> {
  return startApp({
    imports: [
      WampModule.forRoot({
        topics: { [NEWS]: true },
        auth: { secret: (key) => (key === 'reader' ? SECRET : null), permissions: () => READER, allowAnonymous: true, ...auth },
      }),
    ],
    providers: [Api],
  });
}

describe('runtime rights and the checks clj-wamp exposes', () => {
  let server: TestServer;
  let broker: WampBroker;
  let api: Api;

  beforeAll(async () => {
    server = await app({ authorize: (_session, kind, uri) => !(kind === 'call' && denied.includes(uri)) });
    broker = server.app.get(WampBroker);
    api = server.app.get(Api);
  });
  afterAll(() => server.close());
  afterEach(() => (denied.length = 0));

  async function reader(): Promise<WampTestClient> {
    const client = await server.connect();
    await client.authenticate('reader', SECRET);
    return client;
  }

  it('setPermissions takes effect for the next message, and a subscription it no longer allows ends with the unsubscribe hook', async () => {
    const client = await reader();
    client.subscribe(NEWS, () => undefined);
    await until(() => broker.subscribers(NEWS).includes(client.sessionId), 'the subscription');
    await expect(client.call(`${RPC}write`)).rejects.toMatchObject({ uri: WampErrorUri.unauthorized });

    expect(broker.setPermissions(client.sessionId, { rpc: true })).toBe(true);
    expect(await client.call(`${RPC}write`)).toBe('written');
    expect(broker.subscribers(NEWS)).not.toContain(client.sessionId);
    expect(api.unsubscribed).toContainEqual([client.sessionId, NEWS]);
    expect(broker.session(client.sessionId)?.identity).toMatchObject({ authKey: 'reader', method: 'wamp-cra', permissions: { rpc: true } });

    expect(broker.setPermissions(client.sessionId, NOTHING)).toBe(true);
    await expect(client.call(`${RPC}read`)).rejects.toMatchObject({ uri: WampErrorUri.unauthorized });
    await client.close();
  });

  it('setPermissions on a session that has not authenticated grants it rights (method "server") and ends its auth timeout', async () => {
    const client = await server.connect();
    expect(broker.authState(client.sessionId)).toBe('unauthenticated');
    broker.setPermissions(client.sessionId, READER);
    expect(broker.authState(client.sessionId)).toBe('authenticated');
    expect(broker.session(client.sessionId)?.identity).toMatchObject({ authKey: null, method: 'server' });
    expect(await client.call(`${RPC}read`)).toBe('read');
    await client.close();
  });

  it('setPermissions refuses what is not a permission map, and says false for an unknown session', async () => {
    const client = await reader();
    expect(() => broker.setPermissions(client.sessionId, { rpc: 'yes' } as unknown as WampPermissions)).toThrow(TypeError);
    expect(broker.setPermissions('no-such-session', READER)).toBe(false);
    expect(await client.call(`${RPC}read`)).toBe('read');
    await client.close();
  });

  it('auth.authorize is asked per message after the map allowed it: it can deny a granted call now and allow it again later', async () => {
    const client = await reader();
    expect(await client.call(`${RPC}read`)).toBe('read');
    denied.push(`${RPC}read`);
    await expect(client.call(`${RPC}read`)).rejects.toMatchObject({ uri: WampErrorUri.unauthorized });
    expect(broker.authorized(client.sessionId, 'call', `${RPC}read`)).toBe(false);
    denied.length = 0;
    expect(await client.call(`${RPC}read`)).toBe('read');
    await client.close();
  });

  it('authorized (clj-wamp authorized?) answers as the guard and router decide', async () => {
    const client = await reader();
    expect(broker.authorized(client.sessionId, 'call', `${RPC}read`)).toBe(true);
    expect(broker.authorized(client.sessionId, 'call', `${RPC}write`)).toBe(false);
    expect(broker.authorized(client.sessionId, 'subscribe', NEWS)).toBe(true);
    expect(broker.authorized(client.sessionId, 'publish', NEWS)).toBe(false);
    expect(broker.authorized('no-such-session', 'call', `${RPC}read`)).toBe(false);
    await client.close();
  });

  it('authState (clj-wamp client-auth-requested?): unauthenticated, requested after authreq, authenticated after auth', async () => {
    const client = await server.connect();
    expect(broker.authState(client.sessionId)).toBe('unauthenticated');
    await client.call('http://api.wamp.ws/procedure#authreq', 'reader');
    expect(broker.authState(client.sessionId)).toBe('requested');
    await client.close();
    expect(broker.authState(client.sessionId)).toBeUndefined();
    const authenticated = await reader();
    expect(broker.authState(authenticated.sessionId)).toBe('authenticated');
    await authenticated.close();
  });

  it('resolve and definePrefix (clj-wamp get-topic, add-topic-prefix) use the session’s own prefixes', async () => {
    const client = await reader();
    client.prefix('mine', 'http://x/mine#');
    await until(() => broker.resolve(client.sessionId, 'mine:a') === 'http://x/mine#a', "the client's prefix");
    expect(broker.definePrefix(client.sessionId, 'rpc', RPC)).toBe(true);
    expect(broker.resolve(client.sessionId, 'rpc:read')).toBe(`${RPC}read`);
    // The server-side prefix serves the client's CURIs too: the CALL goes out as `rpc:read`.
    expect(await client.call('rpc:read')).toBe('read');
    expect(broker.resolve(client.sessionId, 'http://x/full')).toBe('http://x/full');
    expect(broker.resolve('no-such-session', 'rpc:read')).toBeUndefined();
    expect(broker.definePrefix('no-such-session', 'a', 'http://a#')).toBe(false);
    await client.close();
  });
});

describe('setPermissions without the auth option', () => {
  it('throws: without auth every session may do everything', async () => {
    const server = await startApp({ imports: [WampModule.forRoot({})], providers: [Api] });
    try {
      const client = await server.connect();
      expect(() => server.app.get(WampBroker).setPermissions(client.sessionId, {})).toThrow(/needs the "auth" option/);
    } finally {
      await server.close();
    }
  });
});

describe('WampBroker.publish recipients', () => {
  let server: TestServer;
  let broker: WampBroker;

  beforeAll(async () => {
    server = await startApp({ imports: [WampModule.forRoot({ topics: { [NEWS]: true } })] });
    broker = server.app.get(WampBroker);
  });
  afterAll(() => server.close());

  it('takes a single session id where clj-wamp did, for exclude and eligible, and refuses anything else with a TypeError', async () => {
    const [a, b] = await Promise.all([server.connect(), server.connect()]);
    for (const client of [a, b]) client.subscribe(NEWS, () => undefined);
    await until(() => broker.subscribers(NEWS).length === 2, 'both subscribed');
    expect(broker.publish(NEWS, 'not a', { exclude: a.sessionId })).toBe(1);
    expect(await b.nextEvent(NEWS)).toBe('not a');
    expect(broker.publish(NEWS, 'only a', { eligible: a.sessionId })).toBe(1);
    expect(await a.nextEvent(NEWS)).toBe('only a');
    // A number is a v2 session id (every session has one); anything else is refused.
    expect(() => broker.publish(NEWS, 'x', { exclude: true as unknown as string })).toThrow(TypeError);
    expect(() => broker.publish(NEWS, 'x', { exclude: 1.5 })).toThrow(TypeError);
    expect(a.eventsOn(NEWS)).toEqual(['only a']);
    await Promise.all([a.close(), b.close()]);
  });
});
