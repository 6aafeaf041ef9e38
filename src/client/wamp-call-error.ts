/** A CALLERROR, as the client's promise rejects with it (AutobahnJS's `{uri, desc, detail}`). */
export class WampCallError extends Error {
  constructor(
    readonly uri: string,
    readonly desc: string,
    readonly details?: unknown,
  ) {
    super(`${uri}: ${desc}`);
    this.name = 'WampCallError';
  }
}
