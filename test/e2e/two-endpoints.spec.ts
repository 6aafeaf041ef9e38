import { Injectable } from '@nestjs/common';
import { WampErrorUri, WampModule, WampRpc } from '../../src/index.js';
import { startApp, type TestServer } from '../support/start-app.js';

/**
 * Several WAMP endpoints with their own options and handlers (clj-wamp mounts handlers on any
 * number of routes): two Nest applications in one process, each with its WampModule, as the
 * README's "Several endpoints" says.
 */
@Injectable()
class PublicApi {
  @WampRpc('http://x/rpc#hello')
  hello() {
    return 'hello, public';
  }
}

@Injectable()
class AdminApi {
  @WampRpc('http://x/rpc#shutdown-tenant')
  shutdownTenant(tenant: string) {
    return `closing ${tenant}`;
  }
}

describe('two endpoints in one process: a public one and an operators one', () => {
  let publicApp: TestServer;
  let adminApp: TestServer;

  beforeAll(async () => {
    publicApp = await startApp({ imports: [WampModule.forRoot({ path: '/ws' })], providers: [PublicApi] }, '/ws');
    adminApp = await startApp({ imports: [WampModule.forRoot({ path: '/admin', maxPayload: 4096 })], providers: [AdminApi] }, '/admin');
  });
  afterAll(async () => {
    await publicApp?.close();
    await adminApp?.close();
  });

  it('each serves its own handlers on its own path, with its own options', async () => {
    const visitor = await publicApp.connect();
    const operator = await adminApp.connect();
    expect(await visitor.call('http://x/rpc#hello')).toBe('hello, public');
    await expect(visitor.call('http://x/rpc#shutdown-tenant', 'a')).rejects.toMatchObject({ uri: WampErrorUri.notFound });
    expect(await operator.call('http://x/rpc#shutdown-tenant', 'a')).toBe('closing a');
    await expect(operator.call('http://x/rpc#hello')).rejects.toMatchObject({ uri: WampErrorUri.notFound });
    // The operators' endpoint has its own maxPayload.
    await expect(operator.call('http://x/rpc#shutdown-tenant', 'x'.repeat(5000))).rejects.toThrow();
    expect((await operator.closed).code).toBe(1009);
  });
});

describe('WampModule imported twice in one application', () => {
  it('is refused at bootstrap, naming the way to a second endpoint', async () => {
    await expect(
      startApp({ imports: [WampModule.forRoot({ path: '/one' }), WampModule.forRoot({ path: '/two' })], providers: [PublicApi] }),
    ).rejects.toThrow(/imported more than once.*second Nest application/);
  });
});
