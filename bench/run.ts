import { mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { machine } from './proc-stats.js';
import { markdown, summarize, targets } from './report.js';
import { type Entry, plan } from './plan.js';
import { type Measurement, runEntry } from './runner.js';

/**
 * `npm run bench`: every scenario against every peer, round-robin (each round runs every
 * (scenario, peer) once), then medians, per-round ratios to raw ws, and the targets.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      warmup: { type: 'string', default: '1000' },
      measure: { type: 'string', default: '3000' },
      only: { type: 'string' },
      peers: { type: 'string' },
      write: { type: 'string' },
      profile: { type: 'boolean', default: false },
    },
  });
  const rounds = Number(values.rounds);
  const entries = plan({
    warmupMs: Number(values.warmup),
    measureMs: Number(values.measure),
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    channelPrefix: `bench-${randomBytes(4).toString('hex')}`,
  })
    .filter((entry) => !values.only || values.only.split(',').includes(entry.scenario))
    .filter((entry) => !values.peers || values.peers.split(',').includes(entry.label))
    .map((entry) => (values.profile ? withProfile(entry) : entry));
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
  console.log(`nest-wamp benchmark on ${machine()}: ${entries.length} runs × ${rounds} rounds`);

  const measurements: Measurement[] = [];
  const started = Date.now();
  for (let round = 1; round <= rounds; round++) {
    for (const entry of entries) {
      const measurement = await runEntry(entry, round);
      measurements.push(measurement);
      const shown = Object.entries(measurement.figures)
        .map(([name, value]) => `${name}=${Number.isInteger(value) ? value : value.toFixed(2)}`)
        .join(' ');
      console.log(`round ${round} ${entry.scenario.padEnd(11)} ${entry.label.padEnd(28)} ${shown}`);
    }
  }

  const summary = summarize(measurements);
  const report = [
    `Machine: ${machine()}. Command: \`${command}\` (${rounds} rounds, ${Math.round((Date.now() - started) / 1000)} s).`,
    'Peers and the load generator are separate processes on loopback; the peer is pinned to core 0 and the load generator to core 1 (`taskset`), except in the cluster scenario. Figures are medians over the rounds; ratios are the median of per-round ratios.',
    '',
    targets(summary),
    '',
    markdown(summary),
  ].join('\n');
  console.log(`\n${report}\n`);
  const resultsDir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(`${resultsDir}latest.json`, JSON.stringify({ machine: machine(), command, measurements }, null, 2));
  if (values.write) writeFileSync(values.write, `${report}\n`);
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
