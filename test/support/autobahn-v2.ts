// Autobahn|JS (WAMP v2) sessions for tests. Autobahn 26 opens its transport with the global
// `WebSocket`, which Node 20 lacks: `ensureGlobalWebSocket` puts a `ws`-based one there first.
import autobahn from 'autobahn';
import { WebSocket as WsWebSocket } from 'ws';
import { WAIT_MS, within } from './until.js';

export type V2Session = autobahn.Session;
export type V2Connection = autobahn.Connection;

interface V2CommonOptions {
  readonly realm: string;
  /** Default `['wampcra']` when `secret` is given, else none (anonymous). */
  readonly authmethods?: string[];
  readonly authid?: string;
  readonly authextra?: Record<string, unknown>;
  /** Bound on opening the session (and on each step of `close()`). Default `WAIT_MS`. */
  readonly timeoutMs?: number;
}

export type V2SessionOptions = V2CommonOptions &
  (
    | {
        /** Answers a `wampcra` CHALLENGE, deriving the key (PBKDF2) first when the challenge carries a salt. */
        readonly secret?: string;
        readonly onchallenge?: never;
      }
    | {
        readonly secret?: never;
        readonly onchallenge?: autobahn.OnChallenge;
      }
  );

/** How the connection ended, as Autobahn reports it, with the ABORT or GOODBYE that ended the session, if one came. */
export interface V2CloseInfo {
  /** Autobahn's: `unreachable` (the WebSocket never opened), `lost`, `closed`, `unsupported`. */
  readonly closeReason: autobahn.CloseReason;
  readonly closeDetails: autobahn.CloseDetails;
  /** The ABORT or GOODBYE the router sent, if it sent one. */
  readonly leave?: { readonly reason: string; readonly details: Record<string, unknown> };
}

export interface V2SessionHandle {
  readonly session: V2Session;
  readonly connection: V2Connection;
  /** WELCOME's details, as Autobahn hands them over (plus its `transport` info). */
  readonly welcome: Record<string, unknown>;
  /** What Autobahn reported instead of logging it: protocol violations, exceptions in handlers. */
  readonly errors: unknown[];
  /** Resolves once the connection closed, whoever closed it (never rejects). */
  readonly closed: Promise<V2CloseInfo>;
  /** Leaves (GOODBYE) and resolves once Autobahn reports the connection closed; closes the transport if the router does not answer. */
  close(): Promise<void>;
}

/** Why a session did not open: the router's ABORT (or the transport's failure), with Autobahn's account of the close. */
export class V2SessionOpenError extends Error {
  /** The ABORT's reason URI (`wamp.error.no_such_realm`, `wamp.error.not_authorized`…); Autobahn's close reason when none came. */
  readonly reason: string;
  /** The ABORT's details (`{}` when none came). */
  readonly details: Record<string, unknown>;

  constructor(
    readonly url: string,
    readonly realm: string,
    readonly info: V2CloseInfo,
    readonly errors: readonly unknown[],
  ) {
    const reason = info.leave?.reason ?? info.closeReason;
    const details = info.leave?.details ?? {};
    const reported = errors.length ? `; Autobahn reported: ${errors.map(String).join('; ')}` : '';
    super(
      `WAMP v2 session to ${url} (realm ${realm}) closed before it opened: ${reason} ${JSON.stringify(details)} ` +
        `(Autobahn: ${info.closeReason} ${JSON.stringify(info.closeDetails)})${reported}`,
    );
    this.name = 'V2SessionOpenError';
    this.reason = reason;
    this.details = details;
  }
}

/**
 * A browser-like `WebSocket` on `ws`: it never throws an 'error' event at nobody (a browser
 * reports errors as events; `ws` would crash the process, and Autobahn listens only to close).
 */
class NodeWebSocket extends WsWebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols);
    this.on('error', () => undefined);
  }
}

/** Makes sure `globalThis.WebSocket` exists (Node 20 has none; Node 22 has its own, kept), for Autobahn's transport. */
export function ensureGlobalWebSocket(): void {
  if (typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function') return;
  Object.defineProperty(globalThis, 'WebSocket', { value: NodeWebSocket, writable: true, configurable: true });
}

/** Autobahn warns on console at every close ("connection closed", "auto-reconnect disabled!"); quiet unless AUTOBAHN_DEBUG is set. */
function quietAutobahn(): void {
  if (!process.env.AUTOBAHN_DEBUG) autobahn.log.warn = () => undefined;
}

function craAnswer(secret: string): autobahn.OnChallenge {
  return (_session, method, extra) => {
    if (method !== 'wampcra') throw new Error(`the router asked for ${method}; this session only answers wampcra`);
    const key =
      typeof extra.salt === 'string'
        ? autobahn.auth_cra.derive_key(secret, extra.salt, extra.iterations as number | undefined, extra.keylen as number | undefined)
        : secret;
    return autobahn.auth_cra.sign(key, String(extra.challenge));
  };
}

/**
 * Opens an Autobahn session over `wamp.2.json` to `url`, without retries. Resolves once WELCOME
 * came; rejects with a `V2SessionOpenError` (its `reason` the ABORT's URI) when the connection
 * closes first, or with a timeout error after `timeoutMs`.
 */
export async function openV2Session(url: string, options: V2SessionOptions): Promise<V2SessionHandle> {
  ensureGlobalWebSocket();
  quietAutobahn();
  const { realm, authid, authextra, secret, timeoutMs = WAIT_MS } = options;
  if (secret !== undefined && options.onchallenge) throw new TypeError('openV2Session: give either secret or onchallenge, not both');
  const onchallenge = secret !== undefined ? craAnswer(secret) : options.onchallenge;
  const authmethods = options.authmethods ?? (secret !== undefined ? ['wampcra'] : undefined);
  const errors: unknown[] = [];
  const record = (error: unknown, message?: string): void => {
    errors.push(message ? `${message} ${String(error)}` : error);
  };

  const connection = new autobahn.Connection({
    transports: [{ type: 'websocket', url, serializers: [new autobahn.serializer.JSONSerializer()], protocols: ['wamp.2.json'] }],
    realm,
    authmethods,
    authid,
    authextra,
    onchallenge,
    max_retries: 0,
    retry_if_unreachable: false,
    use_es6_promises: true,
    on_user_error: record,
    on_internal_error: record,
  });

  let leave: V2CloseInfo['leave'];
  let resolveClosed!: (info: V2CloseInfo) => void;
  const closed = new Promise<V2CloseInfo>((resolve) => (resolveClosed = resolve));
  const opened = new Promise<{ session: V2Session; welcome: Record<string, unknown> }>((resolve, reject) => {
    connection.onopen = (session, welcome) => resolve({ session, welcome });
    connection.onclose = (closeReason, closeDetails) => {
      const info: V2CloseInfo = { closeReason, closeDetails, leave };
      resolveClosed(info);
      reject(new V2SessionOpenError(url, realm, info, errors));
      return true;
    };
  });

  connection.open();
  // The session exists once open() returned; its onleave (set by the connection) sees the ABORT's details, which onclose does not.
  const session = connection.session;
  const onleave = session?.onleave;
  if (session && onleave) {
    session.onleave = (reason, details) => {
      leave = { reason, details };
      onleave.call(session, reason, details);
    };
  }

  const close = async (): Promise<void> => {
    if (connection.isConnected) connection.close();
    try {
      await within(closed, `Autobahn to close the connection to ${url}`, timeoutMs);
    } catch {
      // No GOODBYE came back: close the transport itself.
      connection.transport.close?.();
      await within(closed, `Autobahn to close the connection to ${url} after closing its transport`, timeoutMs);
    }
  };

  try {
    const { session, welcome } = await within(opened, `the WAMP v2 session to ${url} (realm ${realm}) to open`, timeoutMs);
    return { session, connection, welcome, errors, closed, close };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}
