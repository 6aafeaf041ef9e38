// A WAMP v2 session on a bare socket (RawWamp2Socket) for tests that check exact frames: HELLO
// sent, WELCOME awaited, request ids numbered 1, 2, 3, … as the spec asks of a client, and
// answers picked by request id from an inbox of its own.
import type { RawData } from 'ws';
import { MessageInbox, parseMessage } from './raw-socket-inbox.js';
import { RawWamp2Socket, type Wamp2Frame } from './raw-wamp2-socket.js';
import {
  CALL,
  CLIENT_ROLES,
  ERROR,
  HELLO,
  INVOCATION,
  REGISTER,
  REGISTERED,
  RESULT,
  UNREGISTER,
  UNREGISTERED,
  WELCOME,
} from './wamp2-codes.js';

export {
  ABORT,
  CALL,
  CANCEL,
  ERROR,
  HELLO,
  INVOCATION,
  REGISTER,
  REGISTERED,
  RESULT,
  UNREGISTER,
  UNREGISTERED,
  WELCOME,
  YIELD,
} from './wamp2-codes.js';

/** A welcomed v2 session: the socket, the session's v2 id, and a counter for its request ids. */
export class RawV2Session {
  private lastRequest = 0;
  private readonly inbox = new MessageInbox();
  /** The v2 session id WELCOME gave. */
  sessionId = 0;

  private constructor(readonly socket: RawWamp2Socket) {
    socket.ws.on('message', (data: RawData, isBinary: boolean) => this.inbox.deliver(parseMessage(data, isBinary)));
  }

  /** Connects (`url` may carry a query, e.g. a handshake token), sends HELLO for `realm` and waits for WELCOME. */
  static async join(url: string, realm = 'realm1'): Promise<RawV2Session> {
    const session = new RawV2Session(await RawWamp2Socket.connect(url));
    session.send([HELLO, realm, { roles: CLIENT_ROLES }]);
    const welcome = await session.next();
    if (welcome[0] !== WELCOME) {
      await session.close();
      throw new Error(`expected WELCOME, got ${JSON.stringify(welcome)}`);
    }
    session.sessionId = welcome[1] as number;
    return session;
  }

  send(message: unknown[] | string): void {
    this.socket.send(message);
  }

  /** The next message not taken yet. */
  async next(): Promise<Wamp2Frame> {
    return (await this.inbox.take(() => true, 'the next message')) as Wamp2Frame;
  }

  /** The oldest message not taken yet that `predicate` accepts (others stay queued). */
  async nextMatching(predicate: (frame: Wamp2Frame) => boolean, what: string): Promise<Wamp2Frame> {
    return (await this.inbox.take((message) => Array.isArray(message) && predicate(message), what)) as Wamp2Frame;
  }

  /** Messages received and not taken yet. */
  pending(): unknown[] {
    return this.inbox.pending();
  }

  /** The next request id of this session. */
  nextRequest(): number {
    return ++this.lastRequest;
  }

  /** Sends CALL and returns its request id. */
  call(procedure: string, args?: unknown[], kwargs?: Record<string, unknown>, options: Record<string, unknown> = {}): number {
    const request = this.nextRequest();
    this.send([CALL, request, options, procedure, ...(args || kwargs ? [args ?? []] : []), ...(kwargs ? [kwargs] : [])]);
    return request;
  }

  /** Sends CALL and waits for its answer (RESULT or ERROR, matched by request id). */
  async callAndWait(procedure: string, args?: unknown[], kwargs?: Record<string, unknown>): Promise<Wamp2Frame> {
    return this.answerTo(this.call(procedure, args, kwargs));
  }

  /** The RESULT or ERROR for CALL `request`. */
  answerTo(request: number): Promise<Wamp2Frame> {
    return this.nextMatching(
      (frame) => (frame[0] === RESULT && frame[1] === request) || (frame[0] === ERROR && frame[1] === CALL && frame[2] === request),
      `the answer to CALL ${request}`,
    );
  }

  /** Sends REGISTER and waits for its answer: REGISTERED or ERROR. */
  register(procedure: string, options: Record<string, unknown> = {}): Promise<Wamp2Frame> {
    const request = this.nextRequest();
    this.send([REGISTER, request, options, procedure]);
    return this.nextMatching(
      (frame) => (frame[0] === REGISTERED && frame[1] === request) || (frame[0] === ERROR && frame[1] === REGISTER && frame[2] === request),
      `the answer to REGISTER ${request}`,
    );
  }

  /** Registers `procedure` and resolves with the registration id; rejects when the router refused. */
  async registered(procedure: string): Promise<number> {
    const answer = await this.register(procedure);
    if (answer[0] !== REGISTERED) throw new Error(`REGISTER ${procedure} refused: ${JSON.stringify(answer)}`);
    return answer[2] as number;
  }

  /** Sends UNREGISTER and waits for UNREGISTERED or ERROR (the frame). */
  async unregister(registration: number): Promise<Wamp2Frame> {
    const request = this.nextRequest();
    this.send([UNREGISTER, request, registration]);
    return this.nextMatching(
      (frame) =>
        (frame[0] === UNREGISTERED && frame[1] === request) || (frame[0] === ERROR && frame[1] === UNREGISTER && frame[2] === request),
      `the answer to UNREGISTER ${request}`,
    );
  }

  /** The next INVOCATION sent to this session. */
  nextInvocation(): Promise<Wamp2Frame> {
    return this.nextMatching((frame) => frame[0] === INVOCATION, 'an INVOCATION');
  }

  close(): Promise<void> {
    return this.socket.close();
  }
}
