import { Injectable } from '@nestjs/common';
import { WampModule, WampRpc } from '../../src/index.js';
import { startApp, type TestServer } from '../support/start-app.js';

@Injectable()
class MathService {
  @WampRpc('http://example.com/api#add')
  add(a: number, b: number): number {
    return a + b;
  }
}

describe('smoke', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startApp({ imports: [WampModule.forRoot({})], providers: [MathService] });
  });
  afterAll(() => server.close());

  it('calls', async () => {
    const client = await server.connect();
    expect(client.sessionId).toHaveLength(22);
    expect(await client.call('http://example.com/api#add', 2, 3)).toBe(5);
  });
});
