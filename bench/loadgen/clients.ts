import { io, type Socket } from 'socket.io-client';
import { type ProtocolName, WAMP_ECHO, WAMP_TOPIC } from '../protocol.js';
import { LeanWebSocket } from './lean-websocket.js';

/**
 * One connection of the load generator, the same operations in every protocol: echo requests
 * (several in flight), joining the topic, publishing to it, receiving its events.
 */
export interface BenchClient {
  /** Sends an echo request; `onEcho(id)` runs when its reply arrives. */
  echo(id: number, payload: unknown): void;
  onEcho: (id: number) => void;
  /** Joins the topic; resolves once the server has registered it. */
  subscribe(): Promise<void>;
  publish(event: unknown): void;
  onEvent: (event: unknown) => void;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /**
   * Authenticate: WAMP runs anonymous WAMP-CRA after WELCOME; raw ws mirrors that exchange
   * (waits for the greeting, then two echo round trips), to show what the exchange itself costs.
   */
  readonly auth?: boolean;
}

export function connect(protocol: ProtocolName, url: string, options: ConnectOptions = {}): Promise<BenchClient> {
  switch (protocol) {
    case 'raw-ws':
      return options.auth ? JsonWsClient.openWithExchange(url, rawWsCodec) : JsonWsClient.open(url, rawWsCodec);
    case 'nest-ws':
      return JsonWsClient.open(url, nestWsCodec);
    case 'wamp':
      return WampBenchClient.open(url, options.auth ?? false);
    case 'socketio':
      return SocketIoBenchClient.open(url);
  }
}

const noop = (): void => undefined;

/** Opens a connection and waits for the server's first message (WAMP's WELCOME, the raw peer's greeting). */
async function openGreeted(url: string, protocols: readonly string[]): Promise<LeanWebSocket> {
  let greeted!: () => void;
  const greeting = new Promise<void>((resolve) => (greeted = resolve));
  const socket = await LeanWebSocket.open(url, protocols, () => greeted());
  await greeting;
  return socket;
}

/** How a JSON-over-ws peer frames the four operations. */
interface JsonCodec {
  echo(id: number, payload: unknown): string;
  subscribe: string;
  publish(event: unknown): string;
  /** Reads a message: an echo reply's id, the subscription ack, or an event. */
  read(message: Record<string, unknown>): { echo?: number; subscribed?: true; event?: unknown };
}

const rawWsCodec: JsonCodec = {
  echo: (id, payload) => JSON.stringify({ i: id, d: payload }),
  subscribe: '{"s":1}',
  publish: (event) => JSON.stringify({ p: event }),
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

class JsonWsClient implements BenchClient {
  onEcho: (id: number) => void = noop;
  onEvent: (event: unknown) => void = noop;
  private subscribed: () => void = noop;
  private socket!: LeanWebSocket;

  private constructor(private readonly codec: JsonCodec) {}

  static async open(url: string, codec: JsonCodec): Promise<JsonWsClient> {
    const client = new JsonWsClient(codec);
    client.socket = await LeanWebSocket.open(url, [], (text) => client.receive(text));
    return client;
  }

  /** Like WAMP with anonymous auth: a greeting from the server, then two round trips. */
  static async openWithExchange(url: string, codec: JsonCodec): Promise<JsonWsClient> {
    const client = new JsonWsClient(codec);
    client.socket = await openGreeted(url, []);
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

  subscribe(): Promise<void> {
    return new Promise((resolve) => {
      this.subscribed = resolve;
      this.socket.send(this.codec.subscribe);
    });
  }

  publish(event: unknown): void {
    this.socket.send(this.codec.publish(event));
  }

  close(): Promise<void> {
    return this.socket.close();
  }

  private receive(text: string): void {
    const read = this.codec.read(JSON.parse(text));
    if (read.echo !== undefined) this.onEcho(read.echo);
    else if (read.subscribed) this.subscribed();
    else this.onEvent(read.event);
  }
}

/** A lean WAMP v1 client: CALL/CALLRESULT, SUBSCRIBE, PUBLISH, EVENT, and anonymous WAMP-CRA. */
class WampBenchClient implements BenchClient {
  onEcho: (id: number) => void = noop;
  onEvent: (event: unknown) => void = noop;
  private readonly control = new Map<string, () => void>();

  private socket!: LeanWebSocket;

  static async open(url: string, auth: boolean): Promise<WampBenchClient> {
    const client = new WampBenchClient();
    client.socket = await openGreeted(url, ['wamp']);
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
  async subscribe(): Promise<void> {
    this.socket.send(JSON.stringify([5, WAMP_TOPIC]));
    await this.controlCall(WAMP_ECHO, null);
  }

  publish(event: unknown): void {
    this.socket.send(`[7,${JSON.stringify(WAMP_TOPIC)},${JSON.stringify(event)}]`);
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

  subscribe(): Promise<void> {
    return new Promise((resolve) => this.socket.emit('subscribe', () => resolve()));
  }

  publish(event: unknown): void {
    this.socket.emit('publish', event);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.disconnected) return resolve();
      this.socket.once('disconnect', () => resolve());
      this.socket.disconnect();
    });
  }
}
