import { WampCallError, WampClient } from '../../../src/client/index.js';
import { PageCallError, type ChatStamp, type PageLogin, type PageProcedure, type PageSession, type PageTopic } from './page-session.js';

const RPC = 'http://wamp.sample/rpc#';
const TOPICS: Record<PageTopic, string> = { chat: 'http://wamp.sample/event#chat', time: 'http://wamp.sample/event#time' };

/**
 * The page over WAMP v1 (subprotocol `wamp`), with nest-wamp's own client (the same code as
 * `nest-wamp/testing`'s, served to the browser as ES modules). A v1 session opens at once and
 * logs in later (WAMP-CRA as AutobahnJS 0.8's ab.launch does it).
 */
export class V1PageSession implements PageSession {
  readonly protocol = 'WAMP v1';

  private constructor(private readonly client: WampClient) {
    client.prefix('rpc', RPC);
  }

  static async open(url: string): Promise<V1PageSession> {
    return new V1PageSession(await WampClient.open(new WebSocket(url, ['wamp'])));
  }

  get sessionId(): string {
    return this.client.sessionId;
  }

  get closed(): Promise<{ code: number; reason: string }> {
    return this.client.closed;
  }

  async logIn({ authKey, secret }: PageLogin): Promise<void> {
    await this.client.authenticate(authKey, secret).catch(rethrow);
  }

  chatId(stamp: ChatStamp): string {
    return stamp.clientId;
  }

  call(procedure: PageProcedure, ...args: unknown[]): Promise<unknown> {
    return this.client.call(`rpc:${procedure}`, ...args).catch(rethrow);
  }

  subscribe(topic: PageTopic, handler: (event: unknown) => void): void {
    this.client.subscribe(TOPICS[topic], handler);
  }

  publish(topic: PageTopic, event: unknown): void {
    this.client.publish(TOPICS[topic], event);
  }

  async close(): Promise<void> {
    await this.client.close(1000, 'log out');
  }
}

function rethrow(error: unknown): never {
  throw error instanceof WampCallError ? new PageCallError(error.uri, error.desc, error.details) : error;
}
