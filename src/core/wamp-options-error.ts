/** Thrown at bootstrap for an option that cannot work; the message says what to change. */
export class WampOptionsError extends Error {
  override readonly name = 'WampOptionsError';

  static invalid(option: string, expected: string, got: unknown): WampOptionsError {
    return new WampOptionsError(`WampModule option "${option}" must be ${expected}; got ${describe(got)}.`);
  }

  /** A key no option has (a typo, most likely): named, with the keys there are. */
  static unknown(option: string, known: readonly string[]): WampOptionsError {
    return new WampOptionsError(`WampModule has no option "${option}". Known here: ${known.join(', ')}.`);
  }

  /** Throws for the first key of `value` that is not in `known`; `prefix` names where it sits (`limits.`). */
  static rejectUnknownKeys(value: object, known: readonly string[], prefix = ''): void {
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) throw WampOptionsError.unknown(prefix + key, known);
    }
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
