import { WampBroker } from '../../src/index.js';
import { Opcode } from '../../src/websocket/frames.js';
import { startBoundedApp } from '../support/held-bytes.js';
import { BareWebSocketPeer } from '../support/raw-wamp-socket.js';
import type { TestServer } from '../support/start-app.js';
import { until } from '../support/until.js';
import { clientFrame } from '../support/websocket-frames.js';

/**
 * One lifecycle for a peer, kept by its connection and read by its session: the first close
 * frame, either way, makes the session stop being open at once, before TCP ends.
 */
describe('the peer lifecycle shared by connection and session', () => {
  let server: TestServer;
  let broker: WampBroker;

  beforeAll(async () => {
    server = await startBoundedApp({ maxPayload: 4096, fragmentsPerMessage: 16, highWaterMark: 64 * 1024, stallTimeoutMs: 30_000 });
    broker = server.app.get(WampBroker);
  });
  afterAll(() => server?.close());

  async function openPeer(): Promise<{ peer: BareWebSocketPeer; id: string }> {
    const peer = await BareWebSocketPeer.connect(server.port);
    await peer.frame(Opcode.text, 'WELCOME');
    return { peer, id: (peer.messages()[0] as unknown[])[1] as string };
  }

  it("the client's close frame: the session is closing at once, while its TCP connection is still up", async () => {
    const { peer, id } = await openPeer();
    expect(broker.session(id)?.isOpen).toBe(true);
    peer.socket.write(clientFrame(Opcode.close, Buffer.from([0x03, 0xe8])));
    expect(await peer.closeFrameCode()).toBe(1000);
    const session = broker.session(id);
    expect(session).toBeDefined(); // the peer has not closed its side: the connection is not gone yet
    expect(session?.isOpen).toBe(false);
    peer.destroy();
    await until(() => broker.session(id) === undefined, 'the session forgotten once TCP ended');
  });

  it("the server's close: the session is closing at once, and forgotten when the peer's close reply and FIN come", async () => {
    const { peer, id } = await openPeer();
    broker.close(id, 1000, 'bye');
    expect(broker.session(id)?.isOpen).toBe(false);
    expect(await peer.closeFrameCode()).toBe(1000);
    peer.socket.end(clientFrame(Opcode.close, Buffer.from([0x03, 0xe8])));
    await until(() => broker.session(id) === undefined, 'the session forgotten');
  });
});
