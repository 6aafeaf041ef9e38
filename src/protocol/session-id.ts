import { randomFillSync } from 'node:crypto';
import { RandomIdGenerator } from './v2/id-generators.js';

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

const v2Ids = new RandomIdGenerator();

/**
 * A session's WAMP v2 id (global scope: random in [1, 2^53]). Every session has one beside its v1
 * id, whichever protocol it speaks, so that v2 clients can name v1 sessions in exclude and
 * eligible lists and the reverse. Its decimal form (at most 16 digits) never equals a v1 id (22
 * characters), so both kinds share one id list on the backplane.
 */
export function newV2SessionId(): number {
  return v2Ids.nextId();
}
