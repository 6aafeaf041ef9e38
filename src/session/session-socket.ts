/** The part of a WebSocket a session needs; the transport adapts `ws` to it. */
export interface SessionSocket {
  /** Sends one text frame. */
  send(frame: string | Buffer): void;
  close(code: number, reason: string): void;
  /** Bytes queued in user space and not yet handed to the kernel. */
  readonly bufferedAmount: number;
}
