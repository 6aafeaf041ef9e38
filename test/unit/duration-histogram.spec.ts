import { DurationHistogram, WAMP_CALL_DURATION_BUCKETS } from '../../src/core/duration-histogram.js';
import { errorOutcome } from '../../src/router/call-error.js';
import { WampErrorUri } from '../../src/protocol/error-uris.js';

describe('DurationHistogram', () => {
  it('counts each observation in the first bucket whose bound it does not pass, cumulatively, with sum and count', () => {
    const histogram = new DurationHistogram([0.001, 0.01, 0.1]);
    for (const seconds of [0, 0.0005, 0.001, 0.002, 0.01, 0.05, 0.5, 3]) histogram.observe(seconds);
    expect(histogram.snapshot()).toEqual({
      buckets: [0.001, 0.01, 0.1],
      // ≤ 0.001: 0, 0.0005, 0.001 (a bound is inclusive, as Prometheus's le); ≤ 0.01: + 0.002, 0.01; ≤ 0.1: + 0.05
      counts: [3, 5, 6],
      count: 8,
      sum: expect.closeTo(3.5635, 10),
    });
    expect(histogram.count).toBe(8);
  });

  it('takes a negative duration (a clock that went back) as 0', () => {
    const histogram = new DurationHistogram([1]);
    histogram.observe(-5);
    expect(histogram.snapshot()).toEqual({ buckets: [1], counts: [1], count: 1, sum: 0 });
  });

  it('starts empty, and a duration beyond every bound counts only in +Inf (count)', () => {
    const histogram = new DurationHistogram();
    expect(histogram.snapshot()).toEqual({
      buckets: WAMP_CALL_DURATION_BUCKETS,
      counts: WAMP_CALL_DURATION_BUCKETS.map(() => 0),
      count: 0,
      sum: 0,
    });
    histogram.observe(60);
    expect(histogram.snapshot().counts.every((count) => count === 0)).toBe(true);
    expect(histogram.snapshot().count).toBe(1);
  });

  it('refuses bounds that are not ascending', () => {
    expect(() => new DurationHistogram([0.1, 0.1])).toThrow(RangeError);
    expect(() => new DurationHistogram([1, 0.5])).toThrow('ascending');
  });

  it('the default buckets are ascending, from 100 µs to 10 s', () => {
    expect(WAMP_CALL_DURATION_BUCKETS[0]).toBe(0.0001);
    expect(WAMP_CALL_DURATION_BUCKETS.at(-1)).toBe(10);
    expect([...WAMP_CALL_DURATION_BUCKETS].sort((a, b) => a - b)).toEqual(WAMP_CALL_DURATION_BUCKETS);
  });
});

describe('errorOutcome: a CALLERROR counted by the URI the caller got', () => {
  it.each([
    [WampErrorUri.internal, 'internal'],
    [WampErrorUri.unauthorized, 'unauthorized'],
    [WampErrorUri.notFound, 'not-found'],
    [WampErrorUri.busy, 'refused'],
    [WampErrorUri.invalidMessage, 'refused'],
    [WampErrorUri.generic, 'error'],
    [WampErrorUri.invalidArgument, 'error'],
    ['http://app.example/error#mine', 'error'],
  ])('%s → %s', (uri, outcome) => {
    expect(errorOutcome(uri)).toBe(outcome);
  });
});
