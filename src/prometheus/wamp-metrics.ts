import { Counter, Gauge, type Metric, type Registry, type RegistryContentType, register as globalRegistry } from 'prom-client';
import type { WampBroker } from '../broker/wamp-broker.js';
import { WAMP_CALL_OUTCOMES, type WampBackplaneState, type WampStats } from '../core/wamp-counters.js';

/** Where and how `WampMetrics` registers its series. */
export interface WampMetricsOptions {
  /** The registry the series go to (Prometheus or OpenMetrics); prom-client's global `register` by default. */
  readonly registry?: Registry<RegistryContentType>;
  /** Prepended to every series name; `'wamp_'` by default. */
  readonly prefix?: string;
}

/** What the metrics read: the broker, or anything else with its `stats()`. */
export type WampStatsSource = Pick<WampBroker, 'stats'>;

/** One series: its name without the prefix, its help, and how it reads a snapshot of `stats()`. */
interface SeriesDefinition {
  readonly name: string;
  readonly help: string;
  readonly kind: 'gauge' | 'counter';
  readonly labelName?: string;
  readonly read: (stats: WampStats) => number | Readonly<Record<string, number>>;
}

const BACKPLANE_STATES: readonly WampBackplaneState[] = ['none', 'connected', 'disconnected'];

const SERIES: readonly SeriesDefinition[] = [
  { name: 'sessions', kind: 'gauge', help: 'Open WAMP sessions on this instance.', read: (s) => s.sessions },
  { name: 'sessions_opened_total', kind: 'counter', help: 'WAMP sessions opened since the start.', read: (s) => s.sessionsOpened },
  { name: 'sessions_closed_total', kind: 'counter', help: 'WAMP sessions closed since the start.', read: (s) => s.sessionsClosed },
  { name: 'topics', kind: 'gauge', help: 'Topics with at least one subscriber on this instance.', read: (s) => s.topics },
  {
    name: 'calls_total',
    kind: 'counter',
    labelName: 'outcome',
    help: 'CALLs answered, by outcome: result, error, internal, unauthorized, not-found, refused.',
    read: (s) => s.calls,
  },
  {
    name: 'events_delivered_total',
    kind: 'counter',
    help: "EVENT messages sent to this instance's sessions (one per recipient).",
    read: (s) => s.eventsDelivered,
  },
  {
    name: 'events_dropped_total',
    kind: 'counter',
    labelName: 'reason',
    help: 'Events dropped: slow-consumer (a session over the high-water mark), backplane (not handed to the other instances).',
    read: (s) => ({ 'slow-consumer': s.eventsDropped, backplane: s.backplane.eventsDropped }),
  },
  {
    name: 'refusals_total',
    kind: 'counter',
    labelName: 'reason',
    help: 'Frames, calls and sessions refused by a limit or the protocol, by reason.',
    read: (s) => s.refused,
  },
  {
    name: 'handshakes_refused_total',
    kind: 'counter',
    labelName: 'reason',
    help: 'WebSocket handshakes refused before a session opened, by reason.',
    read: (s) => s.handshakesRefused,
  },
  {
    name: 'logs_suppressed_total',
    kind: 'counter',
    labelName: 'kind',
    help: 'Log lines clients provoked beyond the limit per kind and minute, left out, by kind.',
    read: (s) => s.logsSuppressed,
  },
  {
    name: 'backplane_state',
    kind: 'gauge',
    labelName: 'state',
    help: 'The backplane: 1 for its state now (connected, disconnected, or none: no backplane that reports a connection), 0 for the others.',
    read: (s) => Object.fromEntries(BACKPLANE_STATES.map((state) => [state, s.backplane.state === state ? 1 : 0])),
  },
  {
    name: 'bytes_held',
    kind: 'gauge',
    help: 'Bytes the server holds for all open connections: frames being read and what waits to be written.',
    read: (s) => s.bytesHeld,
  },
];

const CALL_DURATION = 'call_duration_seconds';
const CALL_DURATION_HELP =
  'How long CALLs took, from the CALL being read to its answer being written, by outcome (refused calls count as 0).';

/**
 * nest-wamp's Prometheus series, registered on a prom-client registry and read from
 * `WampBroker.stats()` when the registry is scraped: nothing is counted twice and nothing runs
 * between scrapes. One `stats()` snapshot serves every series of a scrape. `WampMetricsModule`
 * creates one per application and unregisters it when the application closes; without Nest,
 * `new WampMetrics(broker, options)` and `unregister()` do the same.
 */
export class WampMetrics {
  /** The full names of the registered series. */
  readonly names: readonly string[];
  private readonly registry: Registry<RegistryContentType>;
  private snapshot?: WampStats;

  constructor(
    private readonly source: WampStatsSource,
    options: WampMetricsOptions = {},
  ) {
    this.registry = options.registry ?? globalRegistry;
    const prefix = options.prefix ?? 'wamp_';
    const names = [...SERIES.map((definition) => prefix + definition.name), prefix + CALL_DURATION];
    const taken = names.find((name) => this.registry.getSingleMetric(name) !== undefined);
    if (taken) {
      throw new Error(
        `WampMetrics: the registry already has a series named ${taken} (another application's WampMetrics?): give each application its own registry or prefix`,
      );
    }
    for (const definition of SERIES) this.define(prefix + definition.name, definition);
    this.registry.registerMetric(new CallDurationCollector(prefix + CALL_DURATION, this.read) as unknown as Metric);
    this.names = names;
  }

  /** Removes the series from the registry. */
  unregister(): void {
    for (const name of this.names) this.registry.removeSingleMetric(name);
  }

  /** Nest calls it once the application has closed (so that a scrape during the shutdown still sees the series). */
  onApplicationShutdown(): void {
    this.unregister();
  }

  /**
   * `stats()`, taken once per scrape: the registry asks every series in the same synchronous run,
   * and the snapshot is forgotten when that run ends.
   */
  private readonly read = (): WampStats => {
    if (!this.snapshot) {
      this.snapshot = this.source.stats();
      queueMicrotask(() => (this.snapshot = undefined));
    }
    return this.snapshot;
  };

  private define(name: string, { help, kind, labelName, read }: SeriesDefinition): void {
    const stats = this.read;
    const labelNames = labelName ? [labelName] : [];
    const registers = [this.registry];
    if (kind === 'gauge') {
      new Gauge({
        name,
        help,
        labelNames,
        registers,
        collect() {
          const value = read(stats());
          if (typeof value === 'number') this.set(value);
          else for (const [label, current] of Object.entries(value)) this.set({ [labelName!]: label }, current);
        },
      });
      return;
    }
    new Counter({
      name,
      help,
      labelNames,
      registers,
      collect() {
        const value = read(stats());
        this.reset();
        if (typeof value === 'number') this.inc(value);
        else for (const [label, count] of Object.entries(value)) this.inc({ [labelName!]: label }, count);
      },
    });
  }
}

/** A sample as prom-client's registry formats it. */
interface Sample {
  readonly metricName: string;
  readonly labels: Record<string, string | number>;
  readonly value: number;
}

/**
 * `wamp_call_duration_seconds`: the histogram the core keeps in fixed buckets (recording a call
 * there costs a few comparisons), exposed as it is. prom-client's `Histogram` can only count
 * observations itself, so this collector gives the registry what it asks every metric for: a
 * name, a help, a type, an aggregator (for cluster mode) and `get()`.
 */
class CallDurationCollector {
  readonly help = CALL_DURATION_HELP;
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    private readonly stats: () => WampStats,
  ) {}

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }> {
    const values: Sample[] = [];
    const durations = this.stats().callDurations;
    for (const outcome of WAMP_CALL_OUTCOMES) {
      const { buckets, counts, count, sum } = durations[outcome];
      buckets.forEach((bound, i) => values.push({ metricName: `${this.name}_bucket`, labels: { outcome, le: bound }, value: counts[i] }));
      values.push({ metricName: `${this.name}_bucket`, labels: { outcome, le: '+Inf' }, value: count });
      values.push({ metricName: `${this.name}_sum`, labels: { outcome }, value: sum });
      values.push({ metricName: `${this.name}_count`, labels: { outcome }, value: count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Nothing to reset: the counts are the server's (`registry.resetMetrics()` leaves them). */
  reset(): void {}
}
