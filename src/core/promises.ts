/** Whether `value` is a thenable: handlers, guards and hooks may answer synchronously or not. */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}
