// A v2 publisher/subscriber on raw frames for pub/sub tests: HELLO → WELCOME, then requests with
// sequential ids and answers read off the socket's own inbox by type. Specs extend it with what
// they need (refusals, acknowledged publications, collected events).
import { RawWamp2Socket } from './raw-wamp2-socket.js';
import { HELLO, SUBSCRIBE, SUBSCRIBED, WELCOME } from './wamp2-codes.js';

export class RawV2PubSubPeer {
  private lastRequest = 0;

  constructor(
    readonly socket: RawWamp2Socket,
    /** The v2 session id WELCOME gave. */
    readonly id: number,
  ) {}

  /** Connects, says HELLO for `realm` as a publisher and subscriber, and waits for WELCOME: the socket and the session's v2 id. */
  static async welcome(url: string, realm: string): Promise<[RawWamp2Socket, number]> {
    const socket = await RawWamp2Socket.connect(url);
    socket.send([HELLO, realm, { roles: { publisher: {}, subscriber: {} } }]);
    const welcome = await socket.nextOfType(WELCOME);
    return [socket, welcome[1] as number];
  }

  /** SUBSCRIBE; resolves with the subscription id (fails on anything but SUBSCRIBED). */
  async subscribe(topic: string, options: Record<string, unknown> = {}): Promise<number> {
    const request = this.send(SUBSCRIBE, options, topic);
    const answer = await this.socket.nextOfType(SUBSCRIBED);
    expect(answer[1]).toBe(request);
    return answer[2] as number;
  }

  /** Sends `[type, request, ...rest]` with the next request id, and returns it. */
  send(type: number, ...rest: unknown[]): number {
    const request = ++this.lastRequest;
    this.socket.send([type, request, ...rest]);
    return request;
  }
}
