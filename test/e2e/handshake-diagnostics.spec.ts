import { Test } from '@nestjs/testing';
import type { INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { WampBroker, WampModule } from '../../src/index.js';
import { WampHandshakeError, WampTestClient } from '../../src/testing/index.js';
import { CapturingLogger } from '../support/capturing-logger.js';

/** Every refused handshake is counted by reason, logged at debug, and the test client's error carries the HTTP status. */

describe('refused handshakes: counted, logged at debug, and told to the test client', () => {
  const logger = new CapturingLogger();
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        WampModule.forRoot({
          allowedOrigins: ['http://good.example'],
          auth: { permissions: () => ({ all: true }), handshake: (request) => (request.headers['x-banned'] ? false : undefined) },
        }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger });
    await app.listen(0, '127.0.0.1');
    base = `ws://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(() => app.close());

  async function refusal(path: string, options: Parameters<typeof WampTestClient.connect>[1]): Promise<WampHandshakeError> {
    const error = await WampTestClient.connect(`${base}${path}`, options).then(
      (client) => {
        void client.close();
        throw new Error('the handshake was accepted');
      },
      (refused: unknown) => refused,
    );
    expect(error).toBeInstanceOf(WampHandshakeError);
    return error as WampHandshakeError;
  }

  it.each([
    ['a foreign origin', 403, 'origin', '/ws', { origin: 'http://evil.example' }],
    ['no wamp subprotocol', 400, 'no-wamp-subprotocol', '/ws', { protocols: ['chat'] }],
    ['an unknown path', 404, 'wrong-path', '/nowhere', {}],
    ['auth.handshake saying no', 401, 'unauthorized', '/ws', { headers: { 'x-banned': '1' } }],
  ] as const)('%s: HTTP %i, counted as %s', async (_what, status, kind, path, options) => {
    const broker = app.get(WampBroker);
    const before = broker.stats().handshakesRefused[kind];
    const error = await refusal(path, options);
    expect(error.status).toBe(status);
    expect(error.message).toContain(`HTTP ${status}`);
    expect(broker.stats().handshakesRefused[kind]).toBe(before + 1);
    expect(logger.at('debug').some((line) => line.includes(`WebSocket handshake refused (${kind}, HTTP ${status})`))).toBe(true);
  });

  it('an accepted handshake counts nothing', async () => {
    const broker = app.get(WampBroker);
    const before = JSON.stringify(broker.stats().handshakesRefused);
    const client = await WampTestClient.connect(`${base}/ws`, { origin: 'http://good.example' });
    await client.close();
    expect(JSON.stringify(broker.stats().handshakesRefused)).toBe(before);
  });
});
