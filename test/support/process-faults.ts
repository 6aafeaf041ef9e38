import { runInThisContext } from 'node:vm';

/**
 * Records unhandled rejections and uncaught exceptions on the real process while the enclosing
 * `describe` block runs, and fails every test during which one happened. Returns the list, for
 * tests that check it at a point of their own.
 *
 * Jest's test environment hands test code a copy of `process` whose listeners never fire for
 * the real process's events; the real one is the global of the outer context.
 */
export function recordProcessFaults(): readonly string[] {
  const realProcess = runInThisContext('process') as NodeJS.Process;
  const faults: string[] = [];
  const onUnhandledRejection = (reason: unknown): void => {
    faults.push(`unhandledRejection: ${describeError(reason)}`);
  };
  const onUncaughtException = (error: unknown): void => {
    faults.push(`uncaughtException: ${describeError(error)}`);
  };
  beforeAll(() => {
    realProcess.on('unhandledRejection', onUnhandledRejection);
    realProcess.on('uncaughtException', onUncaughtException);
  });
  afterEach(() => {
    expect(faults).toEqual([]);
  });
  afterAll(() => {
    realProcess.off('unhandledRejection', onUnhandledRejection);
    realProcess.off('uncaughtException', onUncaughtException);
    expect(faults).toEqual([]);
  });
  return faults;
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}\n${error.stack}` : String(error);
}
