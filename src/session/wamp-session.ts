import type { IncomingHttpHeaders } from 'node:http';

/** What the HTTP upgrade request of a session said, kept for guards and hooks. */
export interface WampHandshake {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly remoteAddress?: string;
}

/** How and why a session ended. */
export interface WampCloseInfo {
  readonly code: number;
  readonly reason: string;
}

/** One WAMP session (one WebSocket connection), as handlers, guards and hooks see it. */
export interface WampSession {
  /** The id sent in WELCOME: what exclude and eligible lists refer to. */
  readonly id: string;
  readonly handshake: WampHandshake;
  /** Free for the application: per-session state lives here and goes with the session. */
  readonly data: Record<string, unknown>;
  /** The resolved topic URIs the session is subscribed to. */
  readonly subscriptions: ReadonlySet<string>;
  readonly isOpen: boolean;
  /** Ends the session (the WebSocket close frame carries code and reason). */
  close(code?: number, reason?: string): void;
}
