/**
 * Batches of writes. Writers (each WebSocket connection, the Redis backplane's publishers) hold
 * what they write during a batch and let it go when the batch ends, so that what one read from
 * a socket produces leaves in one write per destination. A batch is a `batchingWrites` call (a
 * read being handled), or else the running callback: what is written from elsewhere (promise
 * callbacks, timers, application code) leaves on `process.nextTick`. Either way before the event
 * loop polls again, so nothing waits for another turn.
 *
 * The writers let go in the order they started holding: a publish hands its event to the
 * backplane before delivering it here, so Redis gets it before this instance's subscribers do,
 * and the other instances deliver it meanwhile.
 */

/** How many `batchingWrites` calls are running. */
let depth = 0;
/** What lets held writes go, in the order the writers started holding. */
const releases: Array<() => void> = [];

/** Runs `fn` as one batch: what is held meanwhile is let go when it returns. */
export function batchingWrites<T>(fn: () => T): T {
  depth++;
  try {
    return fn();
  } finally {
    if (--depth === 0) releaseAll();
  }
}

/** A writer started holding: `release` lets its writes go at the end of the running batch. */
export function atBatchEnd(release: () => void): void {
  if (releases.push(release) === 1 && depth === 0) process.nextTick(releaseAll);
}

function releaseAll(): void {
  // A release only writes to its socket; one that held again meanwhile joins the walk.
  for (let index = 0; index < releases.length; index++) releases[index]();
  releases.length = 0;
}
