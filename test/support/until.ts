/** The default bound for every wait in the tests. */
export const WAIT_MS = 3000;

/**
 * Waits until `condition()` holds (it may be async), polling every few milliseconds; rejects
 * naming `what` after `ms`.
 */
export async function until(condition: () => boolean | Promise<boolean>, what = 'condition', ms = WAIT_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** `promise`, or a rejection naming `what` when it has not settled within `ms`. */
export function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves after `ms` milliseconds. For handlers that take time, and for tests of absence; to wait for something, use `until`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A promise with its resolve function outside, for tests that control when something finishes. */
export function deferred<T = void>(): { promise: Promise<T>; resolve(value: T): void; reject(error: unknown): void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * A deferred answer per key, created by whichever side (the call or the test) comes first:
 * `wait(key)` in a handler, `release(key, value)` in the test (the value defaults to the key).
 */
export class Gate {
  private readonly entries = new Map<string, ReturnType<typeof deferred<unknown>>>();

  wait(key: string): Promise<unknown> {
    return this.entry(key).promise;
  }

  release(key: string, value: unknown = key): void {
    this.entry(key).resolve(value);
  }

  private entry(key: string): ReturnType<typeof deferred<unknown>> {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = deferred<unknown>();
      this.entries.set(key, entry);
    }
    return entry;
  }
}
