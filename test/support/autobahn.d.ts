/**
 * The part of Autobahn|JS 26 (CommonJS, no types of its own; @types/autobahn describes 20.x on when.js)
 * that the WAMP v2 tests use. Import it as the default export: `import autobahn from 'autobahn'`.
 */
declare module 'autobahn' {
  namespace autobahn {
    type Dict = Record<string, unknown>;

    /** `Connection.onclose`'s first argument: `unreachable` if the transport never opened, `lost` if it dropped, `closed` otherwise. */
    type CloseReason = 'closed' | 'lost' | 'unreachable' | 'unsupported';

    interface CloseDetails {
      /** The WAMP reason of the ABORT or GOODBYE that ended the session (`wamp.error.no_such_realm`…), or null. */
      reason: string | null;
      /** Its `details.message`, `''` when it had none, or null. */
      message: string | null;
      retry_delay: number | null;
      retry_count: number | null;
      will_retry: boolean;
    }

    /** Returns the signature, or `[signature, extra]` for AUTHENTICATE's extra. */
    type OnChallenge = (session: Session, method: string, extra: Dict) => string | [string, Dict] | Promise<string | [string, Dict]>;

    interface Serializer {
      readonly SERIALIZER_ID: string;
      readonly BINARY: boolean;
    }

    interface TransportOptions {
      type: 'websocket' | 'rawsocket' | 'longpoll';
      url?: string;
      serializers?: Serializer[];
      protocols?: string[];
    }

    interface ConnectionOptions {
      transports?: TransportOptions[];
      url?: string;
      realm: string;
      authmethods?: string[];
      authid?: string;
      authextra?: Dict;
      onchallenge?: OnChallenge;
      max_retries?: number;
      retry_if_unreachable?: boolean;
      initial_retry_delay?: number;
      max_retry_delay?: number;
      /** Native promises instead of when.js (whose deferreds alone support progressive call results). */
      use_es6_promises?: boolean;
      /** Exceptions from application callbacks; logged with console.error when absent. */
      on_user_error?: (error: unknown, message?: string) => void;
      /** Autobahn's own failures (protocol violations…); logged with console.error when absent. */
      on_internal_error?: (error: unknown, message?: string) => void;
    }

    interface TransportInfo {
      type: string;
      url: string | null;
      protocol: string | null;
    }

    class Connection {
      constructor(options: ConnectionOptions);
      onopen?: (session: Session, details: Dict & { transport?: TransportInfo }) => void;
      /** Return true to stop any retry. */
      onclose?: (reason: CloseReason, details: CloseDetails) => boolean | void;
      open(): void;
      /** Sends GOODBYE if a session is open, else closes the transport. Throws (a string) when already closed. */
      close(reason?: string, message?: string): void;
      readonly session: Session | null;
      readonly isOpen: boolean;
      readonly isConnected: boolean;
      readonly isRetrying: boolean;
      readonly transport: { readonly info: TransportInfo; close?(code?: number, reason?: string): void };
    }

    class Session {
      readonly id: number | null;
      readonly realm: string | null;
      readonly isOpen: boolean;
      readonly features: Dict | null;
      onjoin?: (details: Dict) => void;
      /** Fired on ABORT (before the session opened) and GOODBYE, with its reason URI and details. */
      onleave?: (reason: string, details: Dict) => void;
      /** Resolves with the single positional result, a `Result` when there are more or keyword results, or null. */
      call<T = unknown>(procedure: string, args?: unknown[], kwargs?: Dict, options?: Dict): Promise<T> & { cancel(options?: Dict): void };
      /** Returns a promise only with `{ acknowledge: true }`. */
      publish(topic: string, args?: unknown[], kwargs?: Dict, options?: Dict): Promise<Publication> | undefined;
      subscribe(topic: string, handler: (args: unknown[], kwargs: Dict, details: Event) => void, options?: Dict): Promise<Subscription>;
      unsubscribe(subscription: Subscription): Promise<boolean>;
      register(
        procedure: string,
        endpoint: (args: unknown[], kwargs: Dict, details: Invocation) => unknown,
        options?: Dict,
      ): Promise<Registration>;
      unregister(registration: Registration): Promise<unknown>;
      leave(reason?: string, message?: string): void;
    }

    class Result {
      constructor(args?: unknown[], kwargs?: Dict);
      args: unknown[];
      kwargs: Dict;
    }

    /** What a call rejects with on ERROR (not an `Error`). */
    class Error {
      constructor(error: string, args?: unknown[], kwargs?: Dict);
      error: string;
      args: unknown[];
      kwargs: Dict;
    }

    interface Event {
      publication: number;
      topic: string;
      publisher?: number;
      publisher_authid?: string;
      publisher_authrole?: string;
    }

    interface Invocation {
      procedure: string;
      progress?: (args?: unknown[], kwargs?: Dict) => void;
      caller?: number;
      caller_authid?: string;
      caller_authrole?: string;
    }

    interface Subscription {
      readonly topic: string;
      readonly id: number;
      readonly active: boolean;
      unsubscribe(): Promise<boolean>;
    }

    interface Registration {
      readonly procedure: string;
      readonly id: number;
      readonly active: boolean;
      unregister(): Promise<unknown>;
    }

    interface Publication {
      readonly id: number;
    }

    const version: string;

    const serializer: {
      JSONSerializer: new () => Serializer;
    };

    const auth_cra: {
      /** HMAC-SHA256 of `challenge` keyed with `key` (a string, used as UTF-8), Base64. */
      sign(key: string, challenge: string): string;
      /** PBKDF2-SHA256 of `secret` (defaults: 1000 iterations, 32 bytes), Base64: the key for salted WAMP-CRA. */
      derive_key(secret: string, salt: string, iterations?: number, keylen?: number): string;
    };

    /** Autobahn's logger; `warn` is `console.warn` unless replaced. */
    const log: {
      warn: (...args: unknown[]) => void;
      debug: (...args: unknown[]) => void;
    };
  }

  export = autobahn;
}
