/** How a session sends: the text frame option is what `ws` needs to send a Buffer as text. */
export interface SendOptions {
  readonly binary: false;
}

/** The part of a WebSocket a session needs; a `ws` WebSocket is one as it is. */
export interface SessionSocket {
  /** Sends one frame; the session always passes `{ binary: false }` (text). */
  send(frame: string | Buffer, options: SendOptions): void;
  close(code: number, reason: string): void;
  /** Drops the connection without a closing handshake. */
  terminate(): void;
  /** Sends a WebSocket ping. */
  ping(): void;
  /** Bytes queued in user space and not yet handed to the kernel. */
  readonly bufferedAmount: number;
}
