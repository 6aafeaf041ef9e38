import { loadAutobahn, type AutobahnConnection, type AutobahnError, type AutobahnSession } from './autobahn-browser.js';
import { PageCallError, type ChatStamp, type PageLogin, type PageProcedure, type PageSession, type PageTopic } from './page-session.js';

const REALM = 'sample';
const TOPICS: Record<PageTopic, string> = { chat: 'sample.event.chat', time: 'sample.event.time' };
/** How long a GOODBYE may wait for the router's GOODBYE before the page closes the WebSocket itself. */
const LEAVE_TIMEOUT_MS = 2000;

/** Why a v2 session did not open: the router's ABORT reason (`wamp.error.not_authorized`…), or Autobahn's account. */
export class V2OpenError extends Error {
  override readonly name = 'V2OpenError';
}

/**
 * The page over WAMP v2 (subprotocol `wamp.2.json`), with Autobahn|JS. A v2 session logs in as
 * it opens (HELLO with `wampcra` or `anonymous`), so there is no session before the login.
 */
export class V2PageSession implements PageSession {
  readonly protocol = 'WAMP v2';

  private constructor(
    private readonly connection: AutobahnConnection,
    private readonly session: AutobahnSession,
    readonly closed: Promise<{ code: number; reason: string }>,
  ) {}

  /** Opens a session in realm `sample`, logged in as `login` says; rejects with a `V2OpenError` when refused. */
  static async open(url: string, { authKey, secret }: PageLogin): Promise<V2PageSession> {
    const autobahn = await loadAutobahn();
    const connection = new autobahn.Connection({
      realm: REALM,
      transports: [{ type: 'websocket', url, serializers: [new autobahn.serializer.JSONSerializer()] }],
      authmethods: authKey ? ['wampcra'] : ['anonymous'],
      authid: authKey ?? undefined,
      // WAMP-CRA: sign the challenge with the secret, or with the key derived from it when the router sends a salt.
      onchallenge: (_session, method, extra) => {
        if (method !== 'wampcra') throw new Error(`the router asked for ${method}`);
        const key =
          typeof extra.salt === 'string'
            ? autobahn.auth_cra.derive_key(secret, extra.salt, extra.iterations as number, extra.keylen as number)
            : secret;
        return autobahn.auth_cra.sign(key, String(extra.challenge));
      },
      max_retries: 0,
      retry_if_unreachable: false,
      use_es6_promises: true,
    });
    let opened = false;
    let ended!: (info: { code: number; reason: string }) => void;
    const closed = new Promise<{ code: number; reason: string }>((resolve) => (ended = resolve));
    return new Promise<V2PageSession>((resolve, reject) => {
      connection.onopen = (session) => {
        opened = true;
        resolve(new V2PageSession(connection, session, closed));
      };
      connection.onclose = (reason, details) => {
        const why = details.reason ?? reason;
        if (!opened) reject(new V2OpenError(details.message ? `${why}: ${details.message}` : why));
        ended({ code: reason === 'lost' ? 1006 : 1000, reason: why });
        return true;
      };
      connection.open();
    });
  }

  get sessionId(): string {
    return String(this.session.id);
  }

  chatId(stamp: ChatStamp): string {
    return String(stamp.sessionId ?? stamp.clientId);
  }

  async call(procedure: PageProcedure, ...args: unknown[]): Promise<unknown> {
    try {
      return await this.session.call(`sample.rpc.${procedure}`, args);
    } catch (error) {
      throw toPageError(error);
    }
  }

  subscribe(topic: PageTopic, handler: (event: unknown) => void): void {
    // A v1 event P reaches v2 subscribers as Arguments [P].
    void this.session.subscribe(TOPICS[topic], (args) => handler(args?.[0]));
  }

  /** With `exclude_me: false`: the page shows its own chat messages as the server stamped them, as a v1 publisher gets them. */
  publish(topic: PageTopic, event: unknown): void {
    this.session.publish(TOPICS[topic], [event], {}, { exclude_me: false });
  }

  /** GOODBYE, then the close once the router answered; after a bound, the page closes the WebSocket itself. */
  async close(): Promise<void> {
    try {
      this.connection.close();
    } catch {
      return; // already closed
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), LEAVE_TIMEOUT_MS)));
    const outcome = await Promise.race([this.closed, late]).finally(() => clearTimeout(timer));
    if (outcome === 'late') this.connection.transport.close?.();
  }
}

/** An ERROR's URI, its first argument as the description (else the URI), its next argument or kwargs as details. */
function toPageError(error: unknown): unknown {
  const refusal = error as Partial<AutobahnError> | undefined;
  if (typeof refusal?.error !== 'string') return error;
  const [desc, details] = refusal.args ?? [];
  const kwargs = refusal.kwargs && Object.keys(refusal.kwargs).length > 0 ? refusal.kwargs : undefined;
  return new PageCallError(refusal.error, typeof desc === 'string' ? desc : refusal.error, details ?? kwargs);
}
