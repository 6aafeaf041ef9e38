import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Measurement } from './runner.js';
import { median } from './stats.js';

/** What a run writes to bench/results/latest.json, and the charts read. */
export interface ResultsFile {
  readonly machine: string;
  readonly command: string;
  /** The scale part's sizes: `smoke` runs are checks of the code, never results. */
  readonly sizes?: 'full' | 'smoke';
  readonly notes?: readonly string[];
  readonly measurements: readonly Measurement[];
}

/** One curve chart: figures of a scale scenario over its sizes, one series per row label (and figure). */
interface ChartSpec {
  readonly file: string;
  readonly scenario: string;
  readonly title: string;
  readonly x: string;
  readonly y: string;
  /** [figure, series suffix]: with several figures, each label gets one series per figure. */
  readonly figures: ReadonlyArray<readonly [figure: string, suffix: string]>;
}

export const CHARTS: readonly ChartSpec[] = [
  {
    file: 'scale-sessions-rss',
    scenario: 'scale-sessions',
    title: 'RSS per idle session',
    x: 'sessions',
    y: 'RSS KB/session',
    figures: [['rssKbPerSession', '']],
  },
  {
    file: 'scale-sessions-heap',
    scenario: 'scale-sessions',
    title: 'Heap per idle session',
    x: 'sessions',
    y: 'heap KB/session',
    figures: [['heapKbPerSession', '']],
  },
  {
    file: 'scale-connect-cpu',
    scenario: 'scale-connect',
    title: 'Server CPU per connect',
    x: 'sessions',
    y: 'server CPU µs/connect',
    figures: [['serverCpuUsPerConnect', '']],
  },
  {
    file: 'scale-connect-rate',
    scenario: 'scale-connect',
    title: 'Connects per second',
    x: 'sessions',
    y: 'connects/s',
    figures: [['connectsPerSec', '']],
  },
  {
    file: 'scale-fanout-deliveries',
    scenario: 'scale-fanout',
    title: 'Fan-out to one topic: deliveries per second',
    x: 'subscribers',
    y: 'deliveries/s',
    figures: [['deliveriesPerSec', '']],
  },
  {
    file: 'scale-fanout-cpu',
    scenario: 'scale-fanout',
    title: 'Fan-out to one topic: server CPU per delivery',
    x: 'subscribers',
    y: 'server CPU µs/delivery',
    figures: [['serverCpuUsPerDelivery', '']],
  },
  {
    file: 'scale-paced-p99',
    scenario: 'scale-paced',
    title: 'Fan-out at a constant delivery rate: p99 latency',
    x: 'subscribers',
    y: 'p99 publish-to-delivery ms',
    figures: [['p99', '']],
  },
  {
    file: 'scale-rooms-publishes',
    scenario: 'scale-rooms',
    title: 'Chat rooms of 5: publishes per second',
    x: 'rooms',
    y: 'publishes/s',
    figures: [['publishesPerSec', '']],
  },
  {
    file: 'scale-rooms-cpu',
    scenario: 'scale-rooms',
    title: 'Chat rooms of 5: server CPU per delivery',
    x: 'rooms',
    y: 'server CPU µs/delivery',
    figures: [['serverCpuUsPerDelivery', '']],
  },
  {
    file: 'scale-rules-cpu',
    scenario: 'scale-rules',
    title: 'Subscribe and publish cost against the number of rules',
    x: 'prefix patterns (topic rules and permissions)',
    y: 'server CPU µs per operation',
    figures: [
      ['serverCpuUsPerSubscribe', 'subscribe + unsubscribe'],
      ['serverCpuUsPerPublish', 'publish'],
    ],
  },
  {
    file: 'scale-limits-rss',
    scenario: 'scale-limits',
    title: 'RSS per session at the limits (1024 subscriptions, 256 prefixes)',
    x: 'sessions',
    y: 'RSS KB/session',
    figures: [['rssKbPerSession', '']],
  },
  {
    file: 'scale-limits-heap',
    scenario: 'scale-limits',
    title: 'Heap per session at the limits (1024 subscriptions, 256 prefixes)',
    x: 'sessions',
    y: 'heap KB/session',
    figures: [['heapKbPerSession', '']],
  },
];

interface Point {
  readonly size: number;
  readonly value: number;
  readonly series: string;
  readonly kind: 'median' | 'round';
}

/** The points of one chart: the median of each series at each size, and every round's value. */
function pointsOf(chart: ChartSpec, measurements: readonly Measurement[]): Point[] {
  const points: Point[] = [];
  const rows = measurements.filter((measurement) => measurement.scenario === chart.scenario && measurement.size !== undefined);
  for (const [figure, suffix] of chart.figures) {
    const seriesOf = (label: string) => (suffix ? `${label}, ${suffix}` : label);
    const groups = new Map<string, { size: number; series: string; values: number[] }>();
    for (const row of rows) {
      const value = row.figures[figure];
      if (value === undefined || !Number.isFinite(value)) continue;
      const series = seriesOf(row.label);
      points.push({ size: row.size!, value, series, kind: 'round' });
      const key = `${series}\u0000${row.size}`;
      const group = groups.get(key) ?? { size: row.size!, series, values: [] };
      group.values.push(value);
      groups.set(key, group);
    }
    for (const group of groups.values())
      points.push({ size: group.size, value: median(group.values), series: group.series, kind: 'median' });
  }
  return points;
}

/** Renders one chart as SVG with vega-lite and vega (no browser: the view renders headless, `renderer: 'none'`). */
export async function renderChart(chart: ChartSpec, results: ResultsFile): Promise<string | undefined> {
  const points = pointsOf(chart, results.measurements);
  if (points.length === 0) return undefined;
  const rounds = new Set(results.measurements.map((measurement) => measurement.round)).size;
  const smoke = results.sizes === 'smoke';
  const subtitle = [
    `median of ${rounds} round${rounds === 1 ? '' : 's'} (line), each round (dots); ${results.machine}`,
    ...(smoke ? ['SMOKE DATA: tiny sizes on a busy machine, a check of the code, not results'] : []),
  ];
  const x = { field: 'size', type: 'quantitative', title: chart.x, scale: { type: 'log' }, axis: { grid: true } } as const;
  const y = { field: 'value', type: 'quantitative', title: chart.y } as const;
  const color = { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom', columns: 1, labelLimit: 480 } } as const;
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: chart.title, subtitle, subtitleColor: smoke ? '#b00020' : '#555', anchor: 'start' },
    width: 520,
    height: 280,
    data: { values: points as unknown as Array<Record<string, unknown>> },
    layer: [
      {
        transform: [{ filter: "datum.kind === 'median'" }],
        mark: { type: 'line', point: { size: 50 } },
        encoding: { x, y, color },
      },
      {
        transform: [{ filter: "datum.kind === 'round'" }],
        mark: { type: 'point', opacity: 0.45, size: 20 },
        encoding: { x, y, color },
      },
    ],
    config: { font: 'sans-serif', background: 'white' },
  };
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** Renders every chart that has data in `results` into `outDir`; returns the files written. */
export async function writeCharts(results: ResultsFile, outDir: string): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  for (const chart of CHARTS) {
    const svg = await renderChart(chart, results);
    if (svg === undefined) continue;
    writeFileSync(`${outDir}/${chart.file}.svg`, `${svg}\n`);
    written.push(`${outDir}/${chart.file}.svg`);
  }
  return written;
}

export const DEFAULT_CHARTS_DIR = fileURLToPath(new URL('../../bench/charts', import.meta.url));
export const DEFAULT_RESULTS = fileURLToPath(new URL('../../bench/results/latest.json', import.meta.url));

/** `node dist/bench/charts.js [results.json] [--out dir]`: the charts of a results file (default: the last run's). */
async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { out: { type: 'string', default: DEFAULT_CHARTS_DIR } } });
  const results = JSON.parse(readFileSync(positionals[0] ?? DEFAULT_RESULTS, 'utf8')) as ResultsFile;
  const written = await writeCharts(results, values.out);
  console.log(written.length > 0 ? `charts: ${written.join(', ')}` : 'no scale measurements in these results: no chart');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
