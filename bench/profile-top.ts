import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * `node dist/bench/profile-top.js <dir or .cpuprofile>... [--top N]`: what a V8 CPU profile
 * (from `npm run bench -- --profile`) spent its time on, by function, self and total, summed
 * over every profile given. A text view of the flame graph, for notes and commit messages.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function profilesIn(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .flatMap((name) => profilesIn(join(path, name)))
    .filter((file) => file.endsWith('.cpuprofile'));
}

function frameName({ functionName, url, lineNumber }: ProfileNode['callFrame']): string {
  const where = url ? `${relative(process.cwd(), url.replace(/^file:\/\//, '')).replace(/^(\.\.\/)+/, '')}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'} ${where}`.trim();
}

function main(): void {
  const args = process.argv.slice(2);
  const topAt = args.indexOf('--top');
  const top = topAt === -1 ? 40 : Number(args.splice(topAt, 2)[1]);
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let allUs = 0;
  for (const file of args.flatMap(profilesIn)) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const parent = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
    const selfUs = new Map<number, number>();
    profile.samples.forEach((id, index) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
    for (const [id, us] of selfUs) {
      const node = byId.get(id)!;
      const name = frameName(node.callFrame);
      if (name.startsWith('(idle)')) continue;
      allUs += us;
      self.set(name, (self.get(name) ?? 0) + us);
      // Each function once per stack, so recursion does not count twice.
      const seen = new Set<string>();
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const frame = frameName(byId.get(at)!.callFrame);
        if (seen.has(frame)) continue;
        seen.add(frame);
        total.set(frame, (total.get(frame) ?? 0) + us);
      }
    }
  }
  const table = (title: string, values: Map<string, number>) => {
    console.log(`\n${title} (of ${(allUs / 1000).toFixed(0)} ms busy)`);
    for (const [name, us] of [...values].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(`${((us / allUs) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(1).padStart(8)} ms  ${name}`);
    }
  };
  table('self', self);
  table('total', total);
}

main();
