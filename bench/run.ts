import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_CHARTS_DIR, type ResultsFile, writeCharts } from './charts.js';
import { machine, openFilesLimit, raiseOpenFilesLimit } from './proc-stats.js';
import { markdown, scaleTargets, summarize, targets } from './report.js';
import { type Entry, plan } from './plan.js';
import { type Measurement, runEntry } from './runner.js';
import { SCALE_SCENARIOS, SCALE_SIZES, scalePlan } from './scale-plan.js';
import { RedisClusterServers } from '../test/support/redis-cluster-servers.js';

/**
 * `npm run bench`: every scenario against every peer, round-robin (each round runs every
 * (scenario, peer) once), then medians, per-round ratios to raw ws, and the targets. The scale
 * part (`--only scale`, or some of its scenarios by name) runs each scenario at several sizes
 * (`--sizes full`, the default, or `--sizes smoke`) and renders its curves as SVG charts.
 */
async function main(): Promise<void> {
  const only = onlyScenarios();
  // The cluster scenario's sharded row runs on a three-master Redis Cluster of the suite's own.
  const redisCluster = !only || only.includes('cluster') ? await startRedisCluster() : undefined;
  try {
    await runSuite(
      only,
      redisCluster?.seeds.map(({ host, port }) => `${host}:${port}`),
    );
  } finally {
    await redisCluster?.destroy();
  }
}

/** `--only`'s scenarios (`scale` names the whole scale part); undefined: the suite without the scale part. */
function onlyScenarios(): string[] | undefined {
  const { values } = parseArgs({ options: { only: { type: 'string' } }, strict: false });
  return typeof values.only === 'string'
    ? values.only.split(',').flatMap((name) => (name === 'scale' ? [...SCALE_SCENARIOS] : [name]))
    : undefined;
}

async function startRedisCluster(): Promise<RedisClusterServers | undefined> {
  try {
    return await RedisClusterServers.start(3);
  } catch (error) {
    console.log(`note: no Redis Cluster row (${error instanceof Error ? error.message : String(error)})`);
    return undefined;
  }
}

async function runSuite(only: string[] | undefined, redisClusterNodes: string[] | undefined): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      warmup: { type: 'string', default: '1000' },
      measure: { type: 'string', default: '3000' },
      only: { type: 'string' },
      peers: { type: 'string' },
      write: { type: 'string' },
      profile: { type: 'boolean', default: false },
      sizes: { type: 'string', default: 'full' },
      charts: { type: 'string', default: DEFAULT_CHARTS_DIR },
    },
  });
  const rounds = Number(values.rounds);
  if (values.sizes !== 'full' && values.sizes !== 'smoke') throw new Error(`--sizes is full or smoke, not ${values.sizes}`);
  const sizes = values.sizes;
  const planOptions = {
    warmupMs: Number(values.warmup),
    measureMs: Number(values.measure),
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    redisClusterNodes,
    channelPrefix: `bench-${randomBytes(4).toString('hex')}`,
  };
  const scaling = only?.some((name) => (SCALE_SCENARIOS as readonly string[]).includes(name)) ?? false;
  // The largest scale size needs that many connections open in the peer and in the load generator.
  const largest = Math.max(...Object.values(SCALE_SIZES[sizes]).flat());
  const openFiles = scaling ? raiseOpenFilesLimit(largest + 1024) : openFilesLimit();
  const planned = scaling ? scalePlan(planOptions, SCALE_SIZES[sizes], openFiles) : { entries: [], notes: [] };
  // Each note starts with the scenarios it is about: only those of the selected ones.
  const scale = {
    ...planned,
    notes: planned.notes.filter((note) => only?.some((name) => note.startsWith(name) || note.includes(` ${name}`))),
  };
  const entries = [...plan(planOptions), ...scale.entries]
    .filter((entry) => (only ? only.includes(entry.scenario) : !entry.scenario.startsWith('scale-')))
    .filter((entry) => !values.peers || values.peers.split(',').includes(entry.label))
    .map((entry) => (values.profile ? withProfile(entry) : entry));
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
  console.log(`nest-wamp benchmark on ${machine()}: ${entries.length} runs × ${rounds} rounds`);
  if (scaling) console.log(`scale sizes: ${sizes}; open files limit ${openFiles}`);
  for (const note of scale.notes) console.log(`note: ${note}`);

  const measurements: Measurement[] = [];
  const started = Date.now();
  for (let round = 1; round <= rounds; round++) {
    for (const entry of entries) {
      const measurement = await runEntry(entry, round);
      measurements.push(measurement);
      const shown = Object.entries(measurement.figures)
        .map(([name, value]) => `${name}=${Number.isInteger(value) ? value : value.toFixed(2)}`)
        .join(' ');
      const size = entry.size === undefined ? '' : ` ×${entry.size}`;
      console.log(`round ${round} ${entry.scenario.padEnd(11)} ${`${entry.label}${size}`.padEnd(28)} ${shown}`);
    }
  }

  const summary = summarize(measurements);
  const scaleOnly = entries.every((entry) => entry.size !== undefined);
  const report = [
    `Machine: ${machine()}. Command: \`${command}\` (${rounds} rounds, ${Math.round((Date.now() - started) / 1000)} s).`,
    'Peers and the load generator are separate processes on loopback; the peer is pinned to core 0 and the load generator to core 1 (`taskset`), except in the cluster scenario. Figures are medians over the rounds; ratios are the median of per-round ratios.',
    ...(scaling && sizes === 'smoke'
      ? ['', '**Smoke run: tiny sizes, to check that the code runs end to end. These figures are not results.**']
      : []),
    ...(scale.notes.length > 0 ? ['', ...scale.notes.map((note) => `- ${note}`)] : []),
    '',
    ...(scaleOnly ? [] : [targets(summary), '']),
    ...(scaling ? [scaleTargets(summary), ''] : []),
    markdown(summary),
  ].join('\n');
  console.log(`\n${report}\n`);
  const resultsDir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  mkdirSync(resultsDir, { recursive: true });
  const results: ResultsFile = { machine: machine(), command, sizes: scaling ? sizes : undefined, notes: scale.notes, measurements };
  writeFileSync(`${resultsDir}latest.json`, JSON.stringify(results, null, 2));
  if (scaling) {
    const charts = await writeCharts(results, values.charts);
    console.log(`charts: ${charts.join(', ')}`);
  }
  if (values.write) writeReport(values.write, scaleOnly ? 'scale' : 'suite', report);
}

/**
 * Writes the report into `file`: between its `<!-- bench:<part>:start -->` and
 * `<!-- bench:<part>:end -->` lines when it has them (BENCHMARKS.md keeps the suite's tables and
 * the scale part's apart), the whole file otherwise.
 */
function writeReport(file: string, part: 'suite' | 'scale', report: string): void {
  const start = `<!-- bench:${part}:start -->`;
  const end = `<!-- bench:${part}:end -->`;
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  if (from === -1 || to < from) {
    writeFileSync(file, `${report}\n`);
    return;
  }
  writeFileSync(file, `${current.slice(0, from + start.length)}\n${report}\n${current.slice(to)}`);
}

/**
 * Each peer process writes a V8 CPU profile (for Chrome DevTools or speedscope) to
 * bench/results/profiles/<scenario>-<peer>/, one file per process and round.
 */
function withProfile(entry: Entry): Entry {
  const dir = fileURLToPath(new URL(`../../bench/results/profiles/${slug(entry)}/`, import.meta.url));
  mkdirSync(dir, { recursive: true });
  return { ...entry, peerNodeArgs: [...(entry.peerNodeArgs ?? []), '--cpu-prof', `--cpu-prof-dir=${dir}`] };
}

function slug(entry: Entry): string {
  return `${entry.scenario}-${entry.label}`.replace(/[^a-z0-9×]+/gi, '-').replace(/-+$/, '');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
