// The README's "Testing your app" example, run as it is written there.
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { WampModule, WampRpc } from 'nest-wamp';
import { startWampTestingApp, type WampTestingApp } from 'nest-wamp/testing';

@Injectable()
class Calculator {
  @WampRpc('http://example.com/rpc#add')
  add(a: number, b: number) {
    return a + b;
  }
}

describe('Calculator over WAMP', () => {
  let server: WampTestingApp;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [WampModule.forRoot({ topics: { 'http://example.com/event#*': true } })],
      providers: [Calculator],
    }).compile();
    server = await startWampTestingApp(moduleRef); // listens on a free port; server.url is the WAMP endpoint
  });
  afterAll(() => server.close()); // closes the clients it opened, then the app

  it('adds', async () => {
    const client = await server.connect();
    client.prefix('rpc', 'http://example.com/rpc#');
    expect(await client.call('rpc:add', 2, 3)).toBe(5);
    await expect(client.call('rpc:missing')).rejects.toMatchObject({ uri: 'http://api.wamp.ws/error#notfound' });
  });

  it('delivers events', async () => {
    const client = await server.connect();
    client.subscribe('http://example.com/event#chat', () => {});
    await client.call('http://example.com/rpc#add', 0, 0); // a round trip: the SUBSCRIBE before it is handled
    server.broker.publish('http://example.com/event#chat', { message: 'hi' });
    expect(await client.nextEvent('http://example.com/event#chat')).toEqual({ message: 'hi' });
  });
});
