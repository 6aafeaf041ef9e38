import type { INestApplication, ModuleMetadata, NestApplicationOptions } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import { WampTestClient, type WampTestClientOptions } from '../../src/testing/index.js';

export interface TestServer {
  readonly app: INestApplication;
  /** The WAMP endpoint, `ws://127.0.0.1:<port>/ws`. */
  readonly url: string;
  readonly port: number;
  connect(options?: WampTestClientOptions): Promise<WampTestClient>;
  /** Closes every client opened through `connect`, then the app. */
  close(): Promise<void>;
}

/**
 * A real Nest application on a free loopback port, built from `metadata` like a test module.
 * Set WAMP_TEST_LOG=1 to see the app's log; `appOptions` (a logger of the test's, say) go to `createNestApplication`.
 */
export async function startApp(metadata: ModuleMetadata, path = '/ws', appOptions: NestApplicationOptions = {}): Promise<TestServer> {
  const moduleRef = await Test.createTestingModule(metadata).compile();
  const app = moduleRef.createNestApplication({ logger: process.env.WAMP_TEST_LOG ? undefined : false, ...appOptions });
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer().address() as AddressInfo).port;
  const url = `ws://127.0.0.1:${port}${path}`;
  const clients: WampTestClient[] = [];
  return {
    app,
    url,
    port,
    async connect(options) {
      const client = await WampTestClient.connect(url, options);
      clients.push(client);
      return client;
    },
    async close() {
      await Promise.all(clients.filter((client) => client.isOpen).map((client) => client.close()));
      await app.close();
    },
  };
}
