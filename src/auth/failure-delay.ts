import { randomInt } from 'node:crypto';

/**
 * How long the answer to a failed authentication waits: random (so its timing says nothing), and
 * at least half the bound (`auth.failureDelayMs`), so that each failure costs a guesser real time.
 */
export function failureDelay(boundMs: number): number {
  if (boundMs <= 0) return 0;
  const bound = Math.ceil(boundMs);
  return randomInt(Math.ceil(bound / 2), bound + 1);
}

/** Resolves after `failureDelay(boundMs)`. */
export function afterFailureDelay(boundMs: number): Promise<void> {
  const delay = failureDelay(boundMs);
  return delay > 0 ? new Promise((resolve) => setTimeout(resolve, delay)) : Promise.resolve();
}
