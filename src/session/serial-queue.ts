/**
 * Runs tasks one after another, in the order they were pushed. A task pushed while the queue
 * is idle runs at once, and a synchronous task leaves the queue idle again, so the common case
 * (static topic rules) allocates no promise. A failing task is reported and the queue goes on.
 */
export class SerialQueue {
  private tail: Promise<void> = Promise.resolve();
  private length = 0;

  constructor(private readonly onError: (error: unknown) => void) {}

  /** Tasks running or waiting. */
  get size(): number {
    return this.length;
  }

  push(task: () => unknown): void {
    if (this.length > 0) {
      this.length++;
      this.tail = this.tail.then(task).then(this.release, this.fail);
      return;
    }
    let result: unknown;
    try {
      result = task();
    } catch (error) {
      this.onError(error);
      return;
    }
    if (isPromiseLike(result)) {
      this.length = 1;
      this.tail = Promise.resolve(result).then(this.release, this.fail);
    }
  }

  private readonly release = (): void => {
    this.length--;
  };

  private readonly fail = (error: unknown): void => {
    this.length--;
    this.onError(error);
  };
}

export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}
