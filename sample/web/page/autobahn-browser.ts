// Autobahn|JS's browser build (autobahn-browser, `autobahn.min.js`), which sets `window.autobahn`:
// the page loads it only when it talks WAMP v2, and uses the few parts typed here.

type Dict = Record<string, unknown>;

export interface AutobahnCloseDetails {
  /** The WAMP reason of the ABORT or GOODBYE that ended the session (`wamp.error.not_authorized`…), or null. */
  readonly reason: string | null;
  readonly message: string | null;
}

export interface AutobahnSession {
  readonly id: number;
  call(procedure: string, args?: unknown[], kwargs?: Dict): Promise<unknown>;
  publish(topic: string, args?: unknown[], kwargs?: Dict, options?: Dict): unknown;
  subscribe(topic: string, handler: (args: unknown[] | undefined, kwargs: Dict | undefined) => void, options?: Dict): Promise<unknown>;
}

export interface AutobahnConnection {
  /** WELCOME came: the session is open. */
  onopen?: (session: AutobahnSession) => void;
  /** The connection ended (`unreachable` when it never opened); returning true stops any retry. */
  onclose?: (reason: string, details: AutobahnCloseDetails) => boolean;
  open(): void;
  /** Sends GOODBYE when a session is open, else closes the transport; throws when already closed. */
  close(): void;
  /** The WebSocket transport (`close` absent once it is gone). */
  readonly transport: { close?(): void };
}

/** What a call rejects with on ERROR (not an `Error`). */
export interface AutobahnError {
  readonly error: string;
  readonly args?: unknown[];
  readonly kwargs?: Dict;
}

export interface Autobahn {
  readonly Connection: new (options: {
    realm: string;
    transports: Array<{ type: 'websocket'; url: string; serializers: unknown[] }>;
    authmethods: string[];
    authid?: string;
    onchallenge?: (session: AutobahnSession, method: string, extra: Dict) => string;
    max_retries: number;
    retry_if_unreachable: boolean;
    use_es6_promises: boolean;
  }) => AutobahnConnection;
  readonly serializer: { readonly JSONSerializer: new () => unknown };
  readonly auth_cra: {
    sign(key: string, challenge: string): string;
    derive_key(secret: string, salt: string, iterations?: number, keylen?: number): string;
  };
}

/** Where the sample serves the browser build (see web-assets.ts, `vendorFile`). */
export const AUTOBAHN_SCRIPT = '/vendor/autobahn.min.js';

let loading: Promise<Autobahn> | undefined;

/** Loads the browser build once (a classic script: it defines `window.autobahn`). */
export function loadAutobahn(): Promise<Autobahn> {
  loading ??= new Promise<Autobahn>((resolve, reject) => {
    const script = document.createElement('script');
    script.src = AUTOBAHN_SCRIPT;
    script.onload = () => {
      const autobahn = (window as unknown as { autobahn?: Autobahn }).autobahn;
      if (autobahn) resolve(autobahn);
      else reject(new Error(`${AUTOBAHN_SCRIPT} did not define autobahn`));
    };
    script.onerror = () => reject(new Error(`could not load ${AUTOBAHN_SCRIPT}`));
    document.head.append(script);
  }).catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}
