// What the raw WAMP clients share (v1 `RawWampSocket`, v2 `RawWamp2Socket`): close watching, parsing, a bounded inbox.
import { WebSocket, type RawData } from 'ws';
import { WAIT_MS, within } from './until.js';

export interface RawCloseInfo {
  readonly code: number;
  readonly reason: string;
}

/**
 * Resolves (never rejects) with the close code and reason once `ws` is closed. Swallows the
 * socket's errors: a refused handshake or a reset ends in 'close', whose code is what tests look at.
 */
export function watchClose(ws: WebSocket): Promise<RawCloseInfo> {
  const closed = new Promise<RawCloseInfo>((resolve) =>
    ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })),
  );
  ws.on('error', () => undefined);
  return closed;
}

/** A message as received: its JSON value, or `{ unparsable, isBinary }` when it is not JSON. */
export function parseMessage(data: RawData, isBinary: boolean): unknown {
  const text = Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return { unparsable: text, isBinary };
  }
}

/** Received messages not taken yet, in order, and waits (bounded) for one that is still to come. */
export class MessageInbox {
  private readonly queued: unknown[] = [];
  private readonly waiters = new Set<(message: unknown) => boolean>();

  /** Hands `message` to the oldest waiter it satisfies, or queues it. */
  deliver(message: unknown): void {
    for (const waiter of this.waiters) {
      if (waiter(message)) {
        this.waiters.delete(waiter);
        return;
      }
    }
    this.queued.push(message);
  }

  /** The oldest message not yet taken that satisfies `predicate`, waiting (bounded) for one to arrive; rejects naming `what`. */
  take(predicate: (message: unknown) => boolean, what: string, ms = WAIT_MS): Promise<unknown> {
    const index = this.queued.findIndex(predicate);
    if (index !== -1) return Promise.resolve(this.queued.splice(index, 1)[0]);
    let waiter: ((message: unknown) => boolean) | undefined;
    const arrived = new Promise<unknown>((resolve) => {
      waiter = (message) => {
        if (!predicate(message)) return false;
        resolve(message);
        return true;
      };
      this.waiters.add(waiter);
    });
    return within(arrived, what, ms).finally(() => this.waiters.delete(waiter!));
  }

  /** Messages received and not taken yet. */
  pending(): unknown[] {
    return [...this.queued];
  }
}

/** Closes `ws` from the client side and waits (bounded) until `closed` resolves; cuts the socket if that hangs. */
export async function closeSocket(ws: WebSocket, closed: Promise<RawCloseInfo>, code = 1000, reason?: string): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return;
  if (ws.readyState === WebSocket.OPEN) ws.close(code, reason);
  else if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
  try {
    await within(closed, 'the client-side close');
  } catch {
    ws.terminate();
    await closed;
  }
}
