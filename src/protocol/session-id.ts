import { randomBytes } from 'node:crypto';

/**
 * A new session id: 128 bits from the system CSPRNG as 22 base64url characters (the same
 * alphabet AutobahnPython uses). Other clients see these ids and put them into exclude and
 * eligible lists, so they must not be guessable, and they stay unique across restarts and
 * across instances without any coordination.
 */
export function newSessionId(): string {
  return randomBytes(16).toString('base64url');
}
