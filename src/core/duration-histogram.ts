/**
 * Upper bounds, in seconds, of the call duration histogram's buckets (`stats().callDurations`,
 * `wamp_call_duration_seconds`): 100 µs to 10 s, about three per decade, so that an in-process
 * handler (tens of microseconds) and one that waits on a database (milliseconds to seconds) both
 * land in buckets of their own. Fixed, so that recording a call costs a few comparisons and two
 * additions; a longer call counts only in `+Inf`.
 */
export const WAMP_CALL_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

/** A histogram as `stats()` reports it, in the shape Prometheus exposes. */
export interface WampDurationHistogram {
  /** The upper bounds of the buckets, in seconds, ascending (`+Inf` is implied). */
  readonly buckets: readonly number[];
  /** For each bound, how many observations took at most that long (cumulative, like Prometheus's `le`). */
  readonly counts: readonly number[];
  /** How many observations in all (the `+Inf` bucket). */
  readonly count: number;
  /** The sum of the observed durations, in seconds. */
  readonly sum: number;
}

/**
 * A fixed-bucket histogram of durations: observing one allocates nothing (a typed array of
 * counts per bucket, and a running sum and count).
 */
export class DurationHistogram {
  /** `perBucket[i]`: observations above `bounds[i - 1]` and at most `bounds[i]`; the last slot: above every bound. */
  private readonly perBucket: Float64Array;
  private total = 0;
  private seconds = 0;

  constructor(private readonly bounds: readonly number[] = WAMP_CALL_DURATION_BUCKETS) {
    for (let i = 1; i < bounds.length; i++) {
      if (!(bounds[i] > bounds[i - 1])) throw new RangeError('histogram bounds must be ascending');
    }
    this.perBucket = new Float64Array(bounds.length + 1);
  }

  /** Records one duration, in seconds (a negative one, from a clock that went back, as 0). */
  observe(seconds: number): void {
    const value = seconds > 0 ? seconds : 0;
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    this.perBucket[i]++;
    this.total++;
    this.seconds += value;
  }

  get count(): number {
    return this.total;
  }

  /** The counts as Prometheus shows them: cumulative per bound. */
  snapshot(): WampDurationHistogram {
    const counts: number[] = [];
    let running = 0;
    for (let i = 0; i < this.bounds.length; i++) counts.push((running += this.perBucket[i]));
    return { buckets: this.bounds, counts, count: this.total, sum: this.seconds };
  }
}
