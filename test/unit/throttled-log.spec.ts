import { jest } from '@jest/globals';
import { LOG_LINES_PER_MINUTE, ThrottledLog } from '../../src/core/throttled-log.js';
import type { WampLogger } from '../../src/core/wamp-logger.js';

function recordingLogger(): WampLogger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    log: (message) => lines.push(`log ${message}`),
    debug: (message) => lines.push(`debug ${message}`),
    warn: (message) => lines.push(`warn ${message}`),
    error: (message) => lines.push(`error ${message}`),
  };
}

describe('ThrottledLog', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('writes at most LOG_LINES_PER_MINUTE lines of a kind a minute, counts the rest, then says how many were left out', () => {
    const logger = recordingLogger();
    const log = new ThrottledLog(logger);
    for (let i = 0; i < 25; i++) log.limitedError('unserializable-result', `line ${i}`);
    expect(logger.lines).toEqual(Array.from({ length: LOG_LINES_PER_MINUTE }, (_, i) => `error line ${i}`));
    expect(log.suppressed()['unserializable-result']).toBe(25 - LOG_LINES_PER_MINUTE);

    jest.advanceTimersByTime(60_000);
    expect(logger.lines.at(-1)).toBe(
      `warn ${25 - LOG_LINES_PER_MINUTE} more "unserializable-result" lines left out in the last minute (WampBroker.stats().logsSuppressed)`,
    );
    log.limitedError('unserializable-result', 'next minute');
    expect(logger.lines.at(-1)).toBe('error next minute');
    expect(log.suppressed()['unserializable-result']).toBe(25 - LOG_LINES_PER_MINUTE); // a running total
  });

  it('limits each kind on its own, warnings as errors, and lets unlimited lines through', () => {
    const logger = recordingLogger();
    const log = new ThrottledLog(logger, 2);
    for (let i = 0; i < 5; i++) {
      log.limitedError('hook-failed', 'hook');
      log.limitedWarn('publish-dropped', 'publish');
      log.error('unlimited');
    }
    expect(logger.lines.filter((line) => line === 'error hook')).toHaveLength(2);
    expect(logger.lines.filter((line) => line === 'warn publish')).toHaveLength(2);
    expect(logger.lines.filter((line) => line === 'error unlimited')).toHaveLength(5);
    expect(log.suppressed()).toMatchObject({ 'hook-failed': 3, 'publish-dropped': 3, 'auth-secret-failed': 0 });
  });

  it('a quiet minute writes no summary; close() writes the pending ones and leaves no timer', () => {
    const logger = recordingLogger();
    const log = new ThrottledLog(logger, 1);
    log.limitedError('pubsub-failed', 'once');
    jest.advanceTimersByTime(60_000);
    expect(logger.lines).toEqual(['error once']);
    log.limitedError('slow-consumer-cut', 'a');
    log.limitedError('slow-consumer-cut', 'b');
    expect(jest.getTimerCount()).toBe(1);
    log.close();
    expect(logger.lines.at(-1)).toMatch(/^warn 1 more "slow-consumer-cut" lines left out/);
    expect(jest.getTimerCount()).toBe(0);
  });
});
