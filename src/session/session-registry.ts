import type { ServerSession } from './server-session.js';

/** The open sessions of this instance, by id. */
export class SessionRegistry {
  private readonly sessions = new Map<string, ServerSession>();

  get size(): number {
    return this.sessions.size;
  }

  add(session: ServerSession): void {
    this.sessions.set(session.id, session);
  }

  remove(session: ServerSession): void {
    if (this.sessions.get(session.id) === session) this.sessions.delete(session.id);
  }

  get(id: string): ServerSession | undefined {
    return this.sessions.get(id);
  }

  values(): IterableIterator<ServerSession> {
    return this.sessions.values();
  }
}
