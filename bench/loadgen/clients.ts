import { io, type Socket } from 'socket.io-client';
import { type ProtocolName, WAMP2_REALM, WAMP_ECHO, WAMP_TOPIC } from '../protocol.js';
import { LeanWebSocket } from './lean-websocket.js';

/**
 * One connection of the load generator, the same operations in every protocol: echo requests
 * (several in flight), joining the topic, publishing to it, receiving its events. Raw ws and
 * WAMP also serve named topics (the scale scenarios' rooms and rules), and WAMP CURI prefixes.
 */
export interface BenchClient {
  /** Sends an echo request; `onEcho(id)` runs when its reply arrives. */
  echo(id: number, payload: unknown): void;
  onEcho: (id: number) => void;
  /** Joins the topic, or these named topics; resolves once the server has registered them. */
  subscribe(topics?: readonly string[]): Promise<void>;
  /** Leaves a named topic (no answer: `sync` waits for it). */
  unsubscribe(topic: string): void;
  /** Publishes to the topic, or to a named one. */
  publish(event: unknown, topic?: string): void;
  onEvent: (event: unknown) => void;
  /** WAMP: defines `count` CURI prefixes (no answer: `sync` waits for them). */
  definePrefixes(count: number): void;
  /** One round trip: resolves once the server has handled everything sent before. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /**
   * Authenticate: WAMP runs anonymous WAMP-CRA after WELCOME; raw ws mirrors that exchange
   * (waits for the greeting, then two echo round trips), to show what the exchange itself costs.
   */
  readonly auth?: boolean;
  /** The local (source) address to connect from, e.g. 127.0.0.2 (raw ws and WAMP). */
  readonly localAddress?: string;
}

export function connect(protocol: ProtocolName, url: string, options: ConnectOptions = {}): Promise<BenchClient> {
  switch (protocol) {
    case 'raw-ws':
      return options.auth
        ? JsonWsClient.openWithExchange(url, rawWsCodec, options.localAddress)
        : JsonWsClient.open(url, rawWsCodec, options.localAddress);
    case 'nest-ws':
      return JsonWsClient.open(url, nestWsCodec, options.localAddress);
    case 'wamp':
      return WampBenchClient.open(url, options.auth ?? false, options.localAddress);
    case 'wamp2':
      return Wamp2BenchClient.open(url, options.localAddress);
    case 'socketio':
      return SocketIoBenchClient.open(url);
  }
}

const noop = (): void => undefined;

function unsupported(what: string): never {
  throw new Error(`${what} is not served by this peer in the benchmark`);
}

/** Opens a connection and waits for the server's first message (WAMP's WELCOME, the raw peer's greeting). */
async function openGreeted(url: string, protocols: readonly string[], localAddress?: string): Promise<LeanWebSocket> {
  let greeted!: () => void;
  const greeting = new Promise<void>((resolve) => (greeted = resolve));
  const socket = await LeanWebSocket.open(url, protocols, () => greeted(), localAddress);
  await greeting;
  return socket;
}

/** How a JSON-over-ws peer frames the four operations. */
interface JsonCodec {
  echo(id: number, payload: unknown): string;
  subscribe: string;
  publish(event: unknown): string;
  /** Named topics (raw ws only). */
  join?(topic: string): string;
  leave?(topic: string): string;
  publishTo?(event: unknown, topic: string): string;
  /** Reads a message: an echo reply's id, the subscription ack, or an event. */
  read(message: Record<string, unknown>): { echo?: number; subscribed?: true; event?: unknown };
}

const rawWsCodec: JsonCodec = {
  echo: (id, payload) => JSON.stringify({ i: id, d: payload }),
  subscribe: '{"s":1}',
  publish: (event) => JSON.stringify({ p: event }),
  join: (topic) => JSON.stringify({ s: 1, t: topic }),
  leave: (topic) => JSON.stringify({ u: topic }),
  publishTo: (event, topic) => JSON.stringify({ p: event, t: topic }),
  read: (message) =>
    message.i !== undefined ? { echo: message.i as number } : message.s !== undefined ? { subscribed: true } : { event: message.e },
};

const nestWsCodec: JsonCodec = {
  echo: (id, payload) => JSON.stringify({ event: 'echo', data: { i: id, d: payload } }),
  subscribe: '{"event":"subscribe","data":1}',
  publish: (event) => JSON.stringify({ event: 'publish', data: event }),
  read: (message) =>
    message.event === 'echo'
      ? { echo: (message.data as { i: number }).i }
      : message.event === 'subscribed'
        ? { subscribed: true }
        : { event: message.data },
};

/** Echo ids of `sync` round trips, below any the scenarios use. */
const SYNC_IDS = -1_000_000;

class JsonWsClient implements BenchClient {
  onEcho: (id: number) => void = noop;
  onEvent: (event: unknown) => void = noop;
  /** Subscriptions waiting for their acknowledgement, in order. */
  private subscribed: Array<() => void> = [];
  private readonly syncs = new Map<number, () => void>();
  private nextSync = SYNC_IDS;
  private socket!: LeanWebSocket;

  private constructor(private readonly codec: JsonCodec) {}

  static async open(url: string, codec: JsonCodec, localAddress?: string): Promise<JsonWsClient> {
    const client = new JsonWsClient(codec);
    client.socket = await LeanWebSocket.open(url, [], (text) => client.receive(text), localAddress);
    return client;
  }

  /** Like WAMP with anonymous auth: a greeting from the server, then two round trips. */
  static async openWithExchange(url: string, codec: JsonCodec, localAddress?: string): Promise<JsonWsClient> {
    const client = new JsonWsClient(codec);
    client.socket = await openGreeted(url, [], localAddress);
    client.socket.onmessage = (text) => client.receive(text);
    for (const id of [-1, -2]) {
      await new Promise<void>((resolve) => {
        client.onEcho = () => resolve();
        client.echo(id, null);
      });
    }
    client.onEcho = noop;
    return client;
  }

  echo(id: number, payload: unknown): void {
    this.socket.send(this.codec.echo(id, payload));
  }

  subscribe(topics?: readonly string[]): Promise<void> {
    const frames = topics ? topics.map((topic) => (this.codec.join ?? unsupported)(topic)) : [this.codec.subscribe];
    return Promise.all(
      frames.map(
        (frame) =>
          new Promise<void>((resolve) => {
            this.subscribed.push(resolve);
            this.socket.send(frame);
          }),
      ),
    ).then(noop);
  }

  unsubscribe(topic: string): void {
    this.socket.send((this.codec.leave ?? unsupported)(topic));
  }

  publish(event: unknown, topic?: string): void {
    this.socket.send(topic === undefined ? this.codec.publish(event) : (this.codec.publishTo ?? unsupported)(event, topic));
  }

  definePrefixes(): void {
    unsupported('CURI prefixes');
  }

  sync(): Promise<void> {
    const id = this.nextSync--;
    return new Promise((resolve) => {
      this.syncs.set(id, resolve);
      this.socket.send(this.codec.echo(id, null));
    });
  }

  close(): Promise<void> {
    return this.socket.close();
  }

  private receive(text: string): void {
    const read = this.codec.read(JSON.parse(text));
    if (read.echo !== undefined) {
      const synced = read.echo <= SYNC_IDS ? this.syncs.get(read.echo) : undefined;
      if (synced) {
        this.syncs.delete(read.echo);
        synced();
      } else {
        this.onEcho(read.echo);
      }
    } else if (read.subscribed) {
      this.subscribed.shift()?.();
    } else {
      this.onEvent(read.event);
    }
  }
}

const WAMP_TOPIC_JSON = JSON.stringify(WAMP_TOPIC);

/** A lean WAMP v1 client: CALL/CALLRESULT, SUBSCRIBE, PUBLISH, EVENT, and anonymous WAMP-CRA. */
class WampBenchClient implements BenchClient {
  onEcho: (id: number) => void = noop;
  onEvent: (event: unknown) => void = noop;
  private readonly control = new Map<string, () => void>();

  private socket!: LeanWebSocket;

  static async open(url: string, auth: boolean, localAddress?: string): Promise<WampBenchClient> {
    const client = new WampBenchClient();
    client.socket = await openGreeted(url, ['wamp'], localAddress);
    client.socket.onmessage = (text) => client.receive(text);
    if (auth) {
      await client.controlCall('http://api.wamp.ws/procedure#authreq', null, null);
      await client.controlCall('http://api.wamp.ws/procedure#auth', null);
    }
    return client;
  }

  echo(id: number, payload: unknown): void {
    this.socket.send(`[2,"${id}",${JSON.stringify(WAMP_ECHO)},${JSON.stringify(payload)}]`);
  }

  /** SUBSCRIBE has no ack in WAMP v1: a call right after it returns once the subscription is in place. */
  async subscribe(topics: readonly string[] = [WAMP_TOPIC]): Promise<void> {
    for (const topic of topics) this.socket.send(JSON.stringify([5, topic]));
    await this.sync();
  }

  unsubscribe(topic: string): void {
    this.socket.send(JSON.stringify([6, topic]));
  }

  publish(event: unknown, topic?: string): void {
    this.socket.send(`[7,${topic === undefined ? WAMP_TOPIC_JSON : JSON.stringify(topic)},${JSON.stringify(event)}]`);
  }

  definePrefixes(count: number): void {
    for (let index = 0; index < count; index++) this.socket.send(JSON.stringify([1, `p${index}`, `urn:bench:prefix:${index}#`]));
  }

  sync(): Promise<void> {
    return this.controlCall(WAMP_ECHO, null);
  }

  close(): Promise<void> {
    return this.socket.close();
  }

  private controlCall(uri: string, ...args: unknown[]): Promise<void> {
    const callId = `control-${this.control.size}-${Math.random()}`;
    return new Promise((resolve) => {
      this.control.set(callId, resolve);
      this.socket.send(JSON.stringify([2, callId, uri, ...args]));
    });
  }

  private receive(text: string): void {
    const message = JSON.parse(text) as [number, string, unknown];
    if (message[0] === 8) {
      this.onEvent(message[2]);
      return;
    }
    const control = this.control.get(message[1]);
    if (control) {
      this.control.delete(message[1]);
      control();
    } else if (message[0] === 3) {
      this.onEcho(Number(message[1]));
    }
  }
}

const WAMP_ECHO_2 = JSON.stringify(WAMP_ECHO);

/**
 * A lean WAMP v2 (`wamp.2.json`) client: HELLO/WELCOME (anonymous), CALL/RESULT, SUBSCRIBE/
 * SUBSCRIBED, PUBLISH, EVENT. Request ids run 1, 2, 3, … per session, as the spec asks.
 */
class Wamp2BenchClient implements BenchClient {
  onEcho: (id: number) => void = noop;
  onEvent: (event: unknown) => void = noop;
  /** What each request id is waiting for: an echo's id, or a control request's resolve. */
  private readonly echoes = new Map<number, number>();
  private readonly control = new Map<number, () => void>();
  private lastRequest = 0;
  private welcomed!: () => void;
  private socket!: LeanWebSocket;

  static async open(url: string, localAddress?: string): Promise<Wamp2BenchClient> {
    const client = new Wamp2BenchClient();
    const welcome = new Promise<void>((resolve) => (client.welcomed = resolve));
    client.socket = await LeanWebSocket.open(url, ['wamp.2.json'], (text) => client.receive(text), localAddress);
    client.socket.send(JSON.stringify([1, WAMP2_REALM, { roles: { caller: {}, publisher: {}, subscriber: {} } }]));
    await welcome;
    return client;
  }

  echo(id: number, payload: unknown): void {
    const request = ++this.lastRequest;
    this.echoes.set(request, id);
    this.socket.send(`[48,${request},{},${WAMP_ECHO_2},[${JSON.stringify(payload)}]]`);
  }

  async subscribe(topics: readonly string[] = [WAMP_TOPIC]): Promise<void> {
    await Promise.all(topics.map((topic) => this.controlRequest((request) => [32, request, {}, topic])));
  }

  unsubscribe(): void {
    unsupported('UNSUBSCRIBE by topic (v2 unsubscribes by subscription id)');
  }

  publish(event: unknown, topic?: string): void {
    const request = ++this.lastRequest;
    this.socket.send(`[16,${request},{},${topic === undefined ? WAMP_TOPIC_JSON : JSON.stringify(topic)},[${JSON.stringify(event)}]]`);
  }

  definePrefixes(): void {
    unsupported('CURI prefixes (WAMP v1 only)');
  }

  sync(): Promise<void> {
    return this.controlRequest((request) => [48, request, {}, WAMP_ECHO, [null]]);
  }

  close(): Promise<void> {
    return this.socket.close();
  }

  private controlRequest(message: (request: number) => unknown[]): Promise<void> {
    const request = ++this.lastRequest;
    return new Promise((resolve) => {
      this.control.set(request, resolve);
      this.socket.send(JSON.stringify(message(request)));
    });
  }

  private receive(text: string): void {
    const message = JSON.parse(text) as [number, number, ...unknown[]];
    switch (message[0]) {
      case 36:
        this.onEvent((message[4] as unknown[] | undefined)?.[0]);
        return;
      case 2:
        this.welcomed();
        return;
    }
    const request = message[1];
    const control = this.control.get(request);
    if (control) {
      this.control.delete(request);
      control();
      return;
    }
    const echo = this.echoes.get(request);
    if (echo !== undefined && message[0] === 50) {
      this.echoes.delete(request);
      this.onEcho(echo);
    }
  }
}

class SocketIoBenchClient implements BenchClient {
  onEcho: (id: number) => void = noop;
  onEvent: (event: unknown) => void = noop;

  private constructor(private readonly socket: Socket) {
    socket.on('event', (event: unknown) => this.onEvent(event));
  }

  static open(url: string): Promise<SocketIoBenchClient> {
    const socket = io(url.replace(/^ws/, 'http'), { transports: ['websocket'], forceNew: true, reconnection: false });
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(new SocketIoBenchClient(socket)));
      socket.once('connect_error', reject);
    });
  }

  echo(id: number, payload: unknown): void {
    this.socket.emit('echo', payload, () => this.onEcho(id));
  }

  subscribe(topics?: readonly string[]): Promise<void> {
    if (topics) unsupported('named topics');
    return new Promise((resolve) => this.socket.emit('subscribe', () => resolve()));
  }

  unsubscribe(): void {
    unsupported('named topics');
  }

  publish(event: unknown, topic?: string): void {
    if (topic !== undefined) unsupported('named topics');
    this.socket.emit('publish', event);
  }

  definePrefixes(): void {
    unsupported('CURI prefixes');
  }

  sync(): Promise<void> {
    return new Promise((resolve) => this.socket.emit('echo', null, () => resolve()));
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.disconnected) return resolve();
      this.socket.once('disconnect', () => resolve());
      this.socket.disconnect();
    });
  }
}
