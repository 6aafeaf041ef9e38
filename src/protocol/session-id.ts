import { randomFillSync } from 'node:crypto';

const ID_BYTES = 16;
const POOL_IDS = 256;
const pool = Buffer.alloc(ID_BYTES * POOL_IDS);
let next = POOL_IDS;

/**
 * A new session id: 128 bits from the system CSPRNG as 22 base64url characters (the same
 * alphabet AutobahnPython uses). Other clients see these ids and put them into exclude and
 * eligible lists, so they must not be guessable, and they stay unique across restarts and
 * across instances without any coordination. Random bytes are drawn 256 ids at a time, as one
 * call to the CSPRNG costs about as much as encoding many ids.
 */
export function newSessionId(): string {
  if (next === POOL_IDS) {
    randomFillSync(pool);
    next = 0;
  }
  const start = next++ * ID_BYTES;
  return pool.toString('base64url', start, start + ID_BYTES);
}
