import type { Measurement } from './runner.js';
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
};

/** Medians per (scenario, label) and per-round ratios to the baseline. */
export function summarize(measurements: Measurement[]) {
  const scenarios = [...new Set(measurements.map((measurement) => measurement.scenario))];
  return scenarios.map((scenario) => {
    const spec = TABLES[scenario];
    const rows = measurements.filter((measurement) => measurement.scenario === scenario);
    const labels = [...new Set(rows.map((row) => row.label))];
    const rounds = [...new Set(rows.map((row) => row.round))].sort((a, b) => a - b);
    const figure = (label: string, round: number, name: string) =>
      rows.find((row) => row.label === label && row.round === round)?.figures[name] ?? Number.NaN;
    const ratios = (label: string, name: string) => rounds.map((round) => figure(label, round, name) / figure(spec.baseline, round, name));
    return {
      scenario,
      spec,
      rows: labels.map((label) => ({
        label,
        medians: Object.fromEntries(spec.columns.map(([, name]) => [name, median(rounds.map((round) => figure(label, round, name)))])),
        ratios: ratios(label, spec.ratioOf),
        ratio: median(ratios(label, spec.ratioOf)),
        secondRatio: spec.secondRatioOf ? median(ratios(label, spec.secondRatioOf)) : undefined,
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
      const headers = [
        'peer',
        ...spec.columns.map(([header]) => header),
        `× ${spec.baseline} (${spec.ratioOf})`,
        ...(spec.secondRatioOf ? [`× ${spec.baseline} (${spec.secondRatioOf})`] : []),
        'per-round ×',
      ];
      const lines = rows.map((row) => [
        row.label,
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
  ];
  const lines = checks
    .filter(([, value]) => value !== undefined)
    .map(([name, value, ok, target]) => `| ${name} | ${target} | ${format(value, 2)} | ${ok(value!) ? 'met' : 'missed'} |`);
  return ['| target (nest-wamp vs raw ws) | wanted | measured | |', '| --- | --- | --- | --- |', ...lines].join('\n');
}
