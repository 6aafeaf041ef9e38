import type { IncomingHttpHeaders } from 'node:http';
import type { WampPermissions } from './wamp-permissions.js';

/** What the HTTP upgrade request of a session said, kept for guards and hooks. */
export interface WampHandshake {
  readonly url: string;
  /** The request's headers but the upgrade's own (`Connection`, `Upgrade`, `Sec-WebSocket-*`). */
  readonly headers: IncomingHttpHeaders;
  /**
   * The client's IP address as the socket reports it. It is read on first use, which must come
   * while the connection lives (a close hook's session has it: with close hooks, it is read at once).
   */
  readonly remoteAddress?: string;
}

/** How and why a session ended. */
export interface WampCloseInfo {
  readonly code: number;
  readonly reason: string;
}

/** Who an authenticated session is. */
export interface WampIdentity {
  /** The auth key, or null for an anonymous session. */
  readonly authKey: string | null;
  /**
   * How it authenticated: WAMP-CRA with a key (v1, or v2 `wampcra`), anonymously (v1 WAMP-CRA
   * without a key, or v2 `anonymous`), a v2 `ticket`, the `handshake` hook, or the application
   * granting it rights (`WampBroker.setPermissions` on a session that had none).
   */
  readonly method: 'wamp-cra' | 'anonymous' | 'ticket' | 'handshake' | 'server';
  /** The permission map in force. */
  readonly permissions: WampPermissions;
}

/** WAMP v1 (`wamp`) or WAMP v2 (`wamp.2.json`). */
export type WampProtocolVersion = 1 | 2;

/** One WAMP session (one WebSocket connection), as handlers, guards and hooks see it. */
export interface WampSession {
  /** The v1 id (sent in a v1 WELCOME): what v1 exclude and eligible lists refer to. */
  readonly id: string;
  /** The v2 id (sent in a v2 WELCOME): what v2 exclude and eligible lists refer to. Every session has both. */
  readonly v2Id: number;
  /** The protocol the session speaks: 1 (`wamp`) or 2 (`wamp.2.json`). */
  readonly protocolVersion: WampProtocolVersion;
  readonly handshake: WampHandshake;
  /** Free for the application: per-session state lives here and goes with the session. */
  readonly data: Record<string, unknown>;
  /** The resolved topic URIs the session is subscribed to. */
  readonly subscriptions: ReadonlySet<string>;
  readonly isOpen: boolean;
  /** Set once the session has authenticated (when the module's `auth` option is used). */
  readonly identity?: WampIdentity;
  /** Ends the session (the WebSocket close frame carries code and reason). */
  close(code?: number, reason?: string): void;
}

/** Where a session stands with authentication (clj-wamp's `client-auth-requested?` is `'requested'`). */
export type WampAuthState = 'unauthenticated' | 'requested' | 'authenticated';
