/**
 * The part of the WHATWG WebSocket the client needs: a browser's `WebSocket` or `ws`'s. The
 * handler parameters are `never` so that both libraries' event types fit; the client annotates
 * what it reads from them (`data`, `code`, `reason`), which both provide.
 */
export interface WebSocketLike {
  readonly protocol: string;
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
}

export interface MessageEventLike {
  readonly data: unknown;
}

export interface CloseEventLike {
  readonly code: number;
  readonly reason: string;
}
