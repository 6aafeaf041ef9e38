// What the page does over WAMP, the same in either protocol: v1-session.ts (nest-wamp's own
// client) and v2-session.ts (Autobahn|JS) each implement it with their protocol's names.

/** The procedures and topics the page uses, by their short names. */
export type PageProcedure = 'add' | 'echo' | 'calc' | 'slow';
export type PageTopic = 'chat' | 'time';

/** Who logs in: a user and its secret (WAMP-CRA), or nobody in particular (`authKey` null: anonymous). */
export interface PageLogin {
  readonly authKey: string | null;
  readonly secret: string;
}

/** A chat event's subject, as the server stamps it: the v1 id, the v2 id, the name. */
export interface ChatStamp {
  readonly clientId: string;
  readonly sessionId?: number;
  readonly username: string;
}

/** A call's refusal (CALLERROR or ERROR), told the same way for both protocols. */
export class PageCallError extends Error {
  constructor(
    readonly uri: string,
    readonly desc: string,
    readonly details?: unknown,
  ) {
    super(`${uri}: ${desc}`);
    this.name = 'PageCallError';
  }
}

export interface PageSession {
  /** `WAMP v1` or `WAMP v2`, for the header. */
  readonly protocol: string;
  /** The session's id as its protocol writes it (v1: 22 characters; v2: a number, in decimal). */
  readonly sessionId: string;
  /** Resolves once the connection ended, whichever side ended it. */
  readonly closed: Promise<{ readonly code: number; readonly reason: string }>;
  /** The id this protocol's clients know a chat user by (the one `sessionId` is comparable with). */
  chatId(stamp: ChatStamp): string;
  /** Rejects with a `PageCallError` when the server refuses. */
  call(procedure: PageProcedure, ...args: unknown[]): Promise<unknown>;
  subscribe(topic: PageTopic, handler: (event: unknown) => void): void;
  publish(topic: PageTopic, event: unknown): void;
  close(): Promise<void>;
}
