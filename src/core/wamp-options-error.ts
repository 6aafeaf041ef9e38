/** Thrown at bootstrap for an option that cannot work; the message says what to change. */
export class WampOptionsError extends Error {
  override readonly name = 'WampOptionsError';

  static invalid(option: string, expected: string, got: unknown): WampOptionsError {
    return new WampOptionsError(`WampModule option "${option}" must be ${expected}; got ${describe(got)}.`);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
