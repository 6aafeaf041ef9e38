import type { AddressInfo } from 'node:net';
import { WampBroker } from '../broker/wamp-broker.js';
import { WampTestClient, type WampTestClientOptions } from './wamp-test-client.js';

/** What `startWampTestingApp` needs of a Nest application (an `INestApplication`). */
export interface WampTestableApp {
  listen(port: number, hostname: string): Promise<unknown>;
  getHttpServer(): { address(): unknown };
  get<T>(token: abstract new (...args: never[]) => T): T;
  close(): Promise<void>;
}

/** A compiled testing module (`await Test.createTestingModule({...}).compile()`). */
export interface WampTestableModule<App extends WampTestableApp> {
  createNestApplication(options?: object): App;
}

/** A Nest application serving WAMP on a free loopback port, for tests. */
export interface WampTestingApp<App extends WampTestableApp = WampTestableApp> {
  readonly app: App;
  /** `ws://127.0.0.1:<port><path>`. */
  readonly url: string;
  readonly port: number;
  readonly broker: WampBroker;
  /** A client connected to `url` (closed by `close`). */
  connect(options?: WampTestClientOptions): Promise<WampTestClient>;
  /** Closes the clients `connect` opened, then the application. */
  close(): Promise<void>;
}

/**
 * Creates the application of a compiled testing module (your `WampModule.forRoot(...)` among
 * its imports, overrides as you like), listens on a free loopback port, and returns the WAMP URL
 * with a way to connect clients:
 *
 *     const moduleRef = await Test.createTestingModule({ imports: [WampModule.forRoot({})], providers: [Calculator] }).compile();
 *     const server = await startWampTestingApp(moduleRef);
 *     const client = await server.connect();
 *     expect(await client.call('http://example.com/rpc#add', 2, 3)).toBe(5);
 *     await server.close();
 */
export async function startWampTestingApp<App extends WampTestableApp>(
  moduleRef: WampTestableModule<App>,
  {
    path = '/ws',
    app: appOptions = { logger: false },
  }: {
    readonly path?: string;
    /** What `createNestApplication` gets (`NestApplicationOptions`). Default `{ logger: false }`. */
    readonly app?: object;
  } = {},
): Promise<WampTestingApp<App>> {
  const app = moduleRef.createNestApplication(appOptions);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const url = `ws://127.0.0.1:${port}${path}`;
  const clients: WampTestClient[] = [];
  return {
    app,
    url,
    port,
    broker: app.get(WampBroker),
    async connect(clientOptions) {
      const client = await WampTestClient.connect(url, clientOptions);
      clients.push(client);
      return client;
    },
    async close() {
      await Promise.all(clients.filter((client) => client.isOpen).map((client) => client.close()));
      await app.close();
    },
  };
}
