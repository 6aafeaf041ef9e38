import type { PeerState } from '../core/peer-state.js';
import type { TextFrame } from '../websocket/frames.js';

/** The part of a WebSocket connection a session needs. */
export interface SessionSocket {
  /** The peer's lifecycle, which the session shares. */
  readonly state: PeerState;
  /** Sends a text message: a string, or a frame built once with `textFrame` for many sessions. */
  send(message: string | TextFrame): void;
  close(code: number, reason: string): void;
  /** Drops the connection without a closing handshake. */
  terminate(): void;
  /** Sends a WebSocket ping. */
  ping(): void;
  /** Bytes queued in user space and not yet handed to the kernel. */
  readonly bufferedAmount: number;
  /** Every byte the server holds for the connection, read and unread, written and unsent. */
  readonly bytesHeld: number;
}
