import type { Measurement } from './runner.js';
import { V2_LABEL } from './plan.js';
import { LIMITS_BASELINE, PACED_DELIVERIES_PER_SEC, ROOM_MEMBERS } from './scale-plan.js';
import { median } from './stats.js';

/** How a scenario's rows are shown: which figures, and which one is compared across peers. */
interface TableSpec {
  readonly title: string;
  /** The peer each row is compared with (per round), and the figure compared. */
  readonly baseline: string;
  readonly ratioOf: string;
  readonly columns: ReadonlyArray<readonly [header: string, figure: string, digits: number]>;
  /** Also compare this figure (e.g. p99) with the baseline. */
  readonly secondRatioOf?: string;
  /**
   * Scale scenarios: what the size column counts, and which size of the baseline a row is
   * compared with: its own (default) or the smallest (a curve with no raw ws equivalent).
   */
  readonly sizeHeader?: string;
  readonly baselineSize?: 'same' | 'smallest';
}

function payloadTable(title: string): TableSpec {
  return {
    title,
    baseline: 'raw-ws',
    ratioOf: 'callsPerSec',
    secondRatioOf: 'p99',
    columns: [
      ['calls/s', 'callsPerSec', 0],
      ['p99 ms', 'p99', 2],
      ['server CPU µs/call', 'serverCpuUsPerCall', 1],
      ['load-gen CPU %', 'loadgenCpuPct', 0],
    ],
  };
}

export const TABLES: Record<string, TableSpec> = {
  rpc: {
    title: 'rpc: 32 connections × 8 calls in flight, 16-byte payload',
    baseline: 'raw-ws',
    ratioOf: 'callsPerSec',
    secondRatioOf: 'p99',
    columns: [
      ['calls/s', 'callsPerSec', 0],
      ['p50 ms', 'p50', 2],
      ['p99 ms', 'p99', 2],
      ['server CPU µs/call', 'serverCpuUsPerCall', 1],
      ['server CPU %', 'serverCpuPct', 0],
      ['load-gen CPU %', 'loadgenCpuPct', 0],
    ],
  },
  'payload-1k': payloadTable('payload: the rpc scenario with 1 KB payloads'),
  'payload-64k': payloadTable('payload: the rpc scenario with 64 KB payloads'),
  fanout: {
    title: 'fanout: 200 subscribers, closed loop (4 events in flight)',
    baseline: 'raw-ws',
    ratioOf: 'deliveriesPerSec',
    columns: [
      ['deliveries/s', 'deliveriesPerSec', 0],
      ['server CPU µs/delivery', 'serverCpuUsPerDelivery', 2],
      ['server CPU %', 'serverCpuPct', 0],
      ['load-gen CPU %', 'loadgenCpuPct', 0],
    ],
  },
  paced: {
    title: 'fanout, paced: 250 events/s to 200 subscribers, publish-to-delivery latency',
    baseline: 'raw-ws',
    ratioOf: 'p99',
    columns: [
      ['p50 ms', 'p50', 2],
      ['p99 ms', 'p99', 2],
      ['deliveries', 'deliveries', 0],
      ['load-gen CPU %', 'loadgenCpuPct', 0],
    ],
  },
  conns: {
    title:
      'conns, memory: 2000 → 5000 idle sessions (nest-wamp: each authenticated anonymously with WAMP-CRA), the peer with a 1 MB young generation; RSS over all 5000 against none, heap as the slope 2000 → 5000 (after a GC each), CPU over 2000 → 5000',
    baseline: 'raw-ws',
    ratioOf: 'rssKbPerSession',
    secondRatioOf: 'heapKbPerSession',
    columns: [
      ['RSS KB/session', 'rssKbPerSession', 2],
      ['heap KB/session', 'heapKbPerSession', 2],
      ['server CPU µs/connect, 1 MB young generation', 'serverCpuUsPerConnect', 0],
    ],
  },
  connect: {
    title:
      "connect: the same 2000 → 5000 sessions with Node's default settings and no forced GC; server CPU over 2000 → 5000 in one window (WAMP: the handshake, WELCOME and anonymous WAMP-CRA)",
    baseline: 'raw-ws',
    ratioOf: 'serverCpuUsPerConnect',
    columns: [
      ['server CPU µs/connect', 'serverCpuUsPerConnect', 0],
      ['connects/s', 'connectsPerSec', 0],
    ],
  },
  churn: {
    title: 'churn: rpc, then 5000 connect/disconnects, then rpc again',
    baseline: 'raw-ws',
    ratioOf: 'afterOverBefore',
    columns: [
      ['calls/s before', 'beforeCallsPerSec', 0],
      ['calls/s after', 'afterCallsPerSec', 0],
      ['after / before', 'afterOverBefore', 3],
      ['server CPU µs/cycle', 'serverCpuUsPerChurn', 0],
    ],
  },
  cluster: {
    title: 'cluster: fanout to 200 subscribers spread over the instances, publisher on the first (unpinned)',
    baseline: 'nest-wamp ×1',
    ratioOf: 'deliveriesPerSec',
    columns: [
      ['deliveries/s', 'deliveriesPerSec', 0],
      ['server CPU %', 'serverCpuPct', 0],
      ['load-gen CPU %', 'loadgenCpuPct', 0],
    ],
  },
  loadgen: {
    title: 'load generator: one process or two, rpc against raw ws',
    baseline: 'raw-ws, 1 generator',
    ratioOf: 'callsPerSec',
    columns: [['calls/s', 'callsPerSec', 0]],
  },
  'scale-sessions': {
    title:
      'scale-sessions, memory: idle sessions from 40 % of the size to all of it (nest-wamp: each authenticated anonymously with WAMP-CRA), the peer with a 1 MB young generation; RSS over all against none, heap as the slope (after a GC each)',
    sizeHeader: 'sessions',
    baseline: 'raw-ws',
    ratioOf: 'rssKbPerSession',
    secondRatioOf: 'heapKbPerSession',
    columns: [
      ['RSS KB/session', 'rssKbPerSession', 2],
      ['heap KB/session', 'heapKbPerSession', 2],
      ['server CPU µs/connect, 1 MB young generation', 'serverCpuUsPerConnect', 0],
    ],
  },
  'scale-connect': {
    title:
      "scale-connect: the same sessions with Node's default settings and no forced GC; server CPU over 40 % → 100 % of the size in one window (WAMP: the handshake, WELCOME and anonymous WAMP-CRA)",
    sizeHeader: 'sessions',
    baseline: 'raw-ws',
    ratioOf: 'serverCpuUsPerConnect',
    columns: [
      ['server CPU µs/connect', 'serverCpuUsPerConnect', 0],
      ['connects/s', 'connectsPerSec', 0],
    ],
  },
  'scale-fanout': {
    title: 'scale-fanout: one topic, closed loop (4 events in flight)',
    sizeHeader: 'subscribers',
    baseline: 'raw-ws',
    ratioOf: 'deliveriesPerSec',
    secondRatioOf: 'serverCpuUsPerDelivery',
    columns: [
      ['deliveries/s', 'deliveriesPerSec', 0],
      ['server CPU µs/delivery', 'serverCpuUsPerDelivery', 2],
      ['server CPU %', 'serverCpuPct', 0],
      ['load-gen CPU %', 'loadgenCpuPct', 0],
    ],
  },
  'scale-paced': {
    title: `scale-paced: one topic, ${PACED_DELIVERIES_PER_SEC.toLocaleString('en-US')} deliveries/s whatever the subscribers (${PACED_DELIVERIES_PER_SEC.toLocaleString('en-US')} / subscribers events/s), publish-to-delivery latency`,
    sizeHeader: 'subscribers',
    baseline: 'raw-ws',
    ratioOf: 'p99',
    columns: [
      ['p50 ms', 'p50', 2],
      ['p99 ms', 'p99', 2],
      ['deliveries', 'deliveries', 0],
      ['load-gen CPU %', 'loadgenCpuPct', 0],
    ],
  },
  'scale-rooms': {
    title: `scale-rooms: chat rooms of ${ROOM_MEMBERS} subscribers (as many subscriber connections as rooms, each in ${ROOM_MEMBERS} rooms), 16 publishers publishing to the rooms in turn, closed loop (64 events in flight)`,
    sizeHeader: 'rooms',
    baseline: 'raw-ws',
    ratioOf: 'publishesPerSec',
    secondRatioOf: 'serverCpuUsPerDelivery',
    columns: [
      ['publishes/s', 'publishesPerSec', 0],
      ['deliveries/s', 'deliveriesPerSec', 0],
      ['server CPU µs/delivery', 'serverCpuUsPerDelivery', 2],
      ['server CPU %', 'serverCpuPct', 0],
      ['load-gen CPU %', 'loadgenCpuPct', 0],
    ],
  },
  'scale-rules': {
    title:
      'scale-rules: nest-wamp with that many prefix patterns as topic rules and as the (anonymous) permission map; 8 sessions subscribe to and unsubscribe from 50 topics under the middle pattern, then publish 50 events to a topic of their own under it, per round trip',
    sizeHeader: 'rules',
    baseline: 'nest-wamp',
    baselineSize: 'smallest',
    ratioOf: 'serverCpuUsPerSubscribe',
    secondRatioOf: 'serverCpuUsPerPublish',
    columns: [
      ['subscribes/s', 'subscribesPerSec', 0],
      ['server CPU µs/(subscribe + unsubscribe)', 'serverCpuUsPerSubscribe', 2],
      ['publishes/s', 'publishesPerSec', 0],
      ['server CPU µs/publish', 'serverCpuUsPerPublish', 2],
    ],
  },
  'scale-limits': {
    title:
      'scale-limits, memory: sessions at their limits (each in the same 1024 rooms; nest-wamp also with 256 CURI prefixes, authenticated anonymously), from 40 % of the size to all of it, the peer with a 1 MB young generation; as scale-sessions',
    sizeHeader: 'sessions',
    baseline: LIMITS_BASELINE,
    ratioOf: 'rssKbPerSession',
    secondRatioOf: 'heapKbPerSession',
    columns: [
      ['RSS KB/session', 'rssKbPerSession', 1],
      ['heap KB/session', 'heapKbPerSession', 1],
      ['server CPU µs/session set up', 'serverCpuUsPerConnect', 0],
    ],
  },
};

/**
 * Medians per (scenario, label, size) and per-round ratios to the baseline (the baseline's label
 * at the same size, or at the smallest when the spec says so).
 */
export function summarize(measurements: Measurement[]) {
  const scenarios = [...new Set(measurements.map((measurement) => measurement.scenario))];
  return scenarios.map((scenario) => {
    const spec = TABLES[scenario];
    const rows = measurements.filter((measurement) => measurement.scenario === scenario);
    const keys = [...new Map(rows.map((row) => [`${row.label}\u0000${row.size}`, { label: row.label, size: row.size }])).values()];
    const rounds = [...new Set(rows.map((row) => row.round))].sort((a, b) => a - b);
    const smallest = rows.reduce<number | undefined>(
      (least, row) => (row.size === undefined || (least ?? Infinity) <= row.size ? least : row.size),
      undefined,
    );
    /** One figure of one round, NaN where that run is missing. */
    const figure = (label: string, size: number | undefined, round: number, name: string) =>
      rows.find((row) => row.label === label && row.size === size && row.round === round)?.figures[name] ?? Number.NaN;
    /** Per-round ratios of a figure between two rows. */
    const ratiosBetween = (label: string, size: number | undefined, baseLabel: string, baseSize: number | undefined, name: string) =>
      rounds.map((round) => figure(label, size, round, name) / figure(baseLabel, baseSize, round, name));
    const ratios = (label: string, size: number | undefined, name: string) =>
      ratiosBetween(label, size, spec.baseline, spec.baselineSize === 'smallest' ? smallest : size, name);
    return {
      scenario,
      spec,
      rounds,
      ratiosBetween,
      rows: keys.map(({ label, size }) => ({
        label,
        size,
        medians: Object.fromEntries(
          spec.columns.map(([, name]) => [name, median(rounds.map((round) => figure(label, size, round, name)))]),
        ),
        ratios: ratios(label, size, spec.ratioOf),
        ratio: median(ratios(label, size, spec.ratioOf)),
        secondRatio: spec.secondRatioOf ? median(ratios(label, size, spec.secondRatioOf)) : undefined,
      })),
    };
  });
}

export type Summary = ReturnType<typeof summarize>;

const format = (value: number | undefined, digits: number) =>
  value === undefined || !Number.isFinite(value)
    ? '-'
    : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export function markdown(summary: Summary): string {
  return summary
    .map(({ spec, rows }) => {
      const sized = spec.sizeHeader !== undefined;
      const baseline = spec.baselineSize === 'smallest' ? `${spec.baseline} at the fewest ${spec.sizeHeader}` : spec.baseline;
      const headers = [
        'peer',
        ...(sized ? [spec.sizeHeader!] : []),
        ...spec.columns.map(([header]) => header),
        `× ${baseline} (${spec.ratioOf})`,
        ...(spec.secondRatioOf ? [`× ${baseline} (${spec.secondRatioOf})`] : []),
        'per-round ×',
      ];
      const lines = rows.map((row) => [
        row.label,
        ...(sized ? [format(row.size, 0)] : []),
        ...spec.columns.map(([, name, digits]) => format(row.medians[name], digits)),
        format(row.ratio, 2),
        ...(spec.secondRatioOf ? [format(row.secondRatio, 2)] : []),
        row.ratios.map((ratio) => format(ratio, 2)).join(' / '),
      ]);
      return [
        `#### ${spec.title}`,
        '',
        `| ${headers.join(' | ')} |`,
        `| ${headers.map(() => '---').join(' | ')} |`,
        ...lines.map((line) => `| ${line.join(' | ')} |`),
      ].join('\n');
    })
    .join('\n\n');
}

/** The targets, checked against the medians. */
export function targets(summary: Summary): string {
  const row = (scenario: string, label: string) =>
    summary.find((table) => table.scenario === scenario)?.rows.find((entry) => entry.label === label);
  // WAMP v2 against WAMP v1, both served by the same nest-wamp peer: the median of per-round ratios.
  const v2OverV1 = (scenario: string, figure: string): number | undefined => {
    const table = summary.find((entry) => entry.scenario === scenario);
    if (!row(scenario, 'nest-wamp') || !row(scenario, V2_LABEL)) return undefined;
    return median(table!.ratiosBetween(V2_LABEL, undefined, 'nest-wamp', undefined, figure));
  };
  const checks: Array<[string, number | undefined, (value: number) => boolean, string]> = [
    ['rpc calls/s, bare', row('rpc', 'nest-wamp')?.ratio, (v) => v >= 0.9, '≥ ×0.90'],
    ['rpc calls/s, guard + interceptor', row('rpc', 'nest-wamp-guarded')?.ratio, (v) => v >= 0.8, '≥ ×0.80'],
    ['rpc p99, bare', row('rpc', 'nest-wamp')?.secondRatio, (v) => v <= 1.2, '≤ ×1.2'],
    ['fanout deliveries/s', row('fanout', 'nest-wamp')?.ratio, (v) => v >= 0.95, '≥ ×0.95'],
    ['fanout paced p99', row('paced', 'nest-wamp')?.ratio, (v) => v <= 1.2, '≤ ×1.2'],
    // RSS moves in pages and with the free room the V8 heap keeps, so it is noisy at a few KB per
    // session: the retained heap per session is checked as well.
    ['RSS per idle authenticated session', row('conns', 'nest-wamp')?.ratio, (v) => v <= 1.3, '≤ ×1.3'],
    ['heap per idle authenticated session', row('conns', 'nest-wamp')?.secondRatio, (v) => v <= 1.3, '≤ ×1.3'],
    ['server CPU per connect', row('connect', 'nest-wamp')?.ratio, (v) => v <= 1.5, '≤ ×1.5'],
    ['rpc after churn / before', row('churn', 'nest-wamp')?.medians.afterOverBefore, (v) => v >= 0.9, '≥ 0.90'],
    ['rpc calls/s, WAMP v2 client / v1 client', v2OverV1('rpc', 'callsPerSec'), (v) => v >= 0.9, '≥ ×0.90'],
    ['fanout deliveries/s, WAMP v2 subscribers / v1 subscribers', v2OverV1('fanout', 'deliveriesPerSec'), (v) => v >= 0.9, '≥ ×0.90'],
  ];
  const lines = checks
    .filter(([, value]) => value !== undefined)
    .map(([name, value, ok, target]) => `| ${name} | ${target} | ${format(value, 2)} | ${ok(value!) ? 'met' : 'missed'} |`);
  return ['| target (nest-wamp vs raw ws) | wanted | measured | |', '| --- | --- | --- | --- |', ...lines].join('\n');
}

/** The scale targets of the issue, checked against the medians of per-round ratios, size by size. */
export function scaleTargets(summary: Summary): string {
  const table = (scenario: string) => summary.find((entry) => entry.scenario === scenario);
  const sizesOf = (scenario: string, label: string) =>
    (table(scenario)?.rows ?? [])
      .filter((row) => row.label === label && row.size !== undefined)
      .map((row) => row.size!)
      .sort((a, b) => a - b);
  const lines: string[] = [];
  const check = (name: string, target: string, value: number, ok: (value: number) => boolean) => {
    if (Number.isFinite(value)) lines.push(`| ${name} | ${target} | ${format(value, 2)} | ${ok(value) ? 'met' : 'missed'} |`);
  };
  const row = (scenario: string, label: string, size: number) =>
    table(scenario)?.rows.find((entry) => entry.label === label && entry.size === size);
  for (const size of sizesOf('scale-sessions', 'nest-wamp')) {
    check(
      `RSS per idle authenticated session, ${format(size, 0)} sessions`,
      '≤ ×0.8',
      row('scale-sessions', 'nest-wamp', size)!.ratio,
      (v) => v <= 0.8,
    );
  }
  const connect = table('scale-connect');
  for (const size of sizesOf('scale-connect', 'nest-wamp')) {
    check(`server CPU per connect, ${format(size, 0)} sessions`, '≤ ×1.3', row('scale-connect', 'nest-wamp', size)!.ratio, (v) => v <= 1.3);
    const likeForLike = median(connect!.ratiosBetween('nest-wamp', size, 'raw-ws, WAMP-like exchange', size, 'serverCpuUsPerConnect'));
    check(`server CPU per connect vs raw ws doing the same exchange, ${format(size, 0)} sessions`, '≤ ×1.0', likeForLike, (v) => v <= 1.0);
  }
  const within = (scenario: string, label: string, figure: string, name: string, target: string, ok: (value: number) => boolean) => {
    const sizes = sizesOf(scenario, label);
    if (sizes.length < 2) return;
    const [least, most] = [sizes[0], sizes.at(-1)!];
    const ratio = median(table(scenario)!.ratiosBetween(label, most, label, least, figure));
    check(`${name}, ${format(most, 0)} against ${format(least, 0)}`, target, ratio, ok);
  };
  within('scale-fanout', 'nest-wamp', 'deliveriesPerSec', 'deliveries/s, subscribers', '≥ 0.90', (v) => v >= 0.9);
  within('scale-rules', 'nest-wamp', 'serverCpuUsPerSubscribe', 'server CPU per subscribe, rules', '≤ 1.10', (v) => v <= 1.1);
  within('scale-rules', 'nest-wamp', 'serverCpuUsPerPublish', 'server CPU per publish, rules', '≤ 1.10', (v) => v <= 1.1);
  return ['| scale target (nest-wamp) | wanted | measured | |', '| --- | --- | --- | --- |', ...lines].join('\n');
}
