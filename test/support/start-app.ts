import type { INestApplication, ModuleMetadata, NestApplicationOptions } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { startWampTestingApp, type WampTestingApp } from '../../src/testing/index.js';

export type TestServer = WampTestingApp<INestApplication>;

/**
 * A real Nest application on a free loopback port, built from `metadata` like a test module
 * (`startWampTestingApp`, as users of `nest-wamp/testing` do). Set WAMP_TEST_LOG=1 to see the
 * app's log; `appOptions` (a logger of the test's, say) go to `createNestApplication`.
 */
export async function startApp(metadata: ModuleMetadata, path = '/ws', appOptions: NestApplicationOptions = {}): Promise<TestServer> {
  const moduleRef = await Test.createTestingModule(metadata).compile();
  return startWampTestingApp<INestApplication>(moduleRef, {
    path,
    app: { logger: process.env.WAMP_TEST_LOG ? undefined : false, ...appOptions },
  });
}
