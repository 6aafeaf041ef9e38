import { isPromiseLike } from '../core/promises.js';

/**
 * Runs tasks one after another, in the order they were pushed. A task pushed while the queue
 * is idle runs at once, and a synchronous task leaves the queue idle again, so the common case
 * (static topic rules) allocates no promise. A task pushed by a running task waits its turn. A
 * failing task is reported and the queue goes on.
 */
export class SerialQueue {
  private tail: Promise<void> = Promise.resolve();
  private length = 0;
  private running = false;
  private pushedWhileRunning?: Array<() => unknown>;

  constructor(private readonly onError: (error: unknown) => void) {}

  /** Tasks running or waiting. */
  get size(): number {
    return this.length;
  }

  push(task: () => unknown): void {
    this.length++;
    if (this.running) {
      (this.pushedWhileRunning ??= []).push(task);
      return;
    }
    if (this.length > 1) {
      this.tail = this.tail.then(task).then(this.release, this.fail);
      return;
    }
    // Idle: run now. Tasks the running task pushes are held back until it has finished.
    this.running = true;
    let result: unknown;
    try {
      result = task();
    } catch (error) {
      this.onError(error);
    }
    this.running = false;
    const later = this.pushedWhileRunning;
    this.pushedWhileRunning = undefined;
    if (!isPromiseLike(result)) {
      this.length--;
      if (!later) return;
      this.tail = Promise.resolve();
    } else {
      this.tail = Promise.resolve(result).then(this.release, this.fail);
    }
    for (const next of later ?? []) this.tail = this.tail.then(next).then(this.release, this.fail);
  }

  private readonly release = (): void => {
    this.length--;
  };

  private readonly fail = (error: unknown): void => {
    this.length--;
    this.onError(error);
  };
}
