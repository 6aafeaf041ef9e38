import type { ServerSession } from './server-session.js';

/** The open sessions of this instance, by v1 id and by v2 id. */
export class SessionRegistry {
  private readonly sessions = new Map<string, ServerSession>();
  private readonly byV2Id = new Map<number, ServerSession>();
  private emptied: Array<() => void> = [];

  get size(): number {
    return this.sessions.size;
  }

  add(session: ServerSession): void {
    this.sessions.set(session.id, session);
    this.byV2Id.set(session.v2Id, session);
  }

  remove(session: ServerSession): void {
    if (this.sessions.get(session.id) === session) this.sessions.delete(session.id);
    if (this.byV2Id.get(session.v2Id) === session) this.byV2Id.delete(session.v2Id);
    if (this.sessions.size === 0 && this.emptied.length > 0) {
      for (const resolve of this.emptied.splice(0)) resolve();
    }
  }

  /** Resolves once no session is left. */
  whenEmpty(): Promise<void> {
    return this.sessions.size === 0 ? Promise.resolve() : new Promise((resolve) => this.emptied.push(resolve));
  }

  get(id: string): ServerSession | undefined {
    return this.sessions.get(id);
  }

  /** A session by its v2 id. */
  getByV2Id(v2Id: number): ServerSession | undefined {
    return this.byV2Id.get(v2Id);
  }

  values(): IterableIterator<ServerSession> {
    return this.sessions.values();
  }
}
