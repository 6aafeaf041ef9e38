import { Injectable } from '@nestjs/common';
import type { Socket } from 'node:net';
import { type OnWampSessionClose, WampBroker, WampModule, WampRpc, WampSession } from '../../src/index.js';
import { BareWebSocketPeer, RawWampSocket } from '../support/raw-wamp-socket.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { until } from '../support/until.js';

/** What a session keeps of its upgrade request: URL, headers but the upgrade's own, and the client's address. */
@Injectable()
class Introspection {
  @WampRpc('urn:handshake')
  handshake(@WampSession() session: WampSession) {
    return session.handshake;
  }

  @WampRpc('urn:address')
  address(@WampSession() session: WampSession) {
    return session.handshake.remoteAddress ?? null;
  }
}

@Injectable()
class CloseRecorder implements OnWampSessionClose {
  readonly addresses = new Map<string, string | undefined>();
  onWampSessionClose(session: WampSession) {
    this.addresses.set(session.id, session.handshake.remoteAddress);
  }
}

async function openSession(server: TestServer): Promise<{ peer: BareWebSocketPeer; sessionId: string }> {
  const peer = await BareWebSocketPeer.connect(server.port, '/ws?room=7');
  const welcome = await peer.frame(0x1, 'WELCOME');
  return { peer, sessionId: (JSON.parse(welcome.payload.toString()) as [number, string])[1] };
}

describe('the handshake a session keeps', () => {
  describe('without close hooks', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startApp({ imports: [WampModule.forRoot({})], providers: [Introspection] });
    });
    afterAll(() => server.close());

    it("has the URL, the headers but the upgrade's own, and the client address (also in JSON)", async () => {
      const socket = await RawWampSocket.connect(`${server.url}?room=7`, { headers: { 'X-Client': 'bench-7' } });
      socket.send([2, 'c1', 'urn:handshake']);
      const [type, callId, handshake] = (await socket.next()) as [number, string, Record<string, unknown>];
      expect([type, callId]).toEqual([3, 'c1']);
      expect(handshake.url).toBe('/ws?room=7');
      expect(handshake.remoteAddress).toBe('127.0.0.1');
      const headers = handshake.headers as Record<string, string>;
      expect(headers['x-client']).toBe('bench-7');
      expect(headers.host).toBe(new URL(server.url).host);
      for (const name of ['connection', 'upgrade', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-protocol']) {
        expect(headers).not.toHaveProperty(name);
      }
      await socket.close();
    });

    it('a session read its address while open keeps it after the connection was reset', async () => {
      const { peer, sessionId } = await openSession(server);
      const broker = server.app.get(WampBroker);
      const session = broker.session(sessionId)!;
      expect(session.handshake.remoteAddress).toBe('127.0.0.1');
      (peer.socket as Socket).resetAndDestroy();
      await until(() => broker.session(sessionId) === undefined, 'the session to be forgotten');
      expect(session.handshake.remoteAddress).toBe('127.0.0.1');
    });
  });

  describe('with a close hook', () => {
    let server: TestServer;
    let recorder: CloseRecorder;
    beforeAll(async () => {
      server = await startApp({ imports: [WampModule.forRoot({})], providers: [Introspection, CloseRecorder] });
      recorder = server.app.get(CloseRecorder);
    });
    afterAll(() => server.close());

    it('the hook sees the client address of a connection that was reset before anything asked for it', async () => {
      const { peer, sessionId } = await openSession(server);
      (peer.socket as Socket).resetAndDestroy();
      await until(() => recorder.addresses.has(sessionId), 'onWampSessionClose');
      expect(recorder.addresses.get(sessionId)).toBe('127.0.0.1');
    });

    it('and of one that closed normally', async () => {
      const { peer, sessionId } = await openSession(server);
      peer.socket.end();
      await until(() => recorder.addresses.has(sessionId), 'onWampSessionClose');
      expect(recorder.addresses.get(sessionId)).toBe('127.0.0.1');
    });
  });
});
