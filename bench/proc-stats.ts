import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system) a process has used, in milliseconds: the sum of its threads' run
 * time in nanoseconds from the scheduler (/proc/<pid>/task/<tid>/schedstat), or, on a kernel
 * without schedstat, from /proc/<pid>/stat, which counts in 10 ms ticks (too coarse for a
 * window of a few hundred milliseconds).
 */
export function cpuMs(pid: number): number {
  return threadsRunTimeMs(pid) ?? tickCpuMs(pid);
}

function threadsRunTimeMs(pid: number): number | undefined {
  let totalNs = 0;
  let threadsRead = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let schedstat: string;
    try {
      schedstat = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8');
    } catch {
      continue; // the thread ended since the listing
    }
    totalNs += Number(schedstat.slice(0, schedstat.indexOf(' ')));
    threadsRead++;
  }
  return threadsRead > 0 && Number.isFinite(totalNs) ? totalNs / 1e6 : undefined;
}

function tickCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which is in parentheses and may contain spaces).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** Resident set size of a process in KiB, read from /proc. */
export function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  return match ? Number(match[1]) : Number.NaN;
}

/** A short description of the machine, for the results. */
export function machine(): string {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown CPU';
  const cores = cpuinfo.split('\n').filter((line) => line.startsWith('processor')).length;
  const memKb = Number(/^MemTotal:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0);
  return `${cores} × ${model}, ${Math.round(memKb / 1024 / 1024)} GiB, Node ${process.version}`;
}

/** This process's hard limit on open files (what Node raises the soft limit to at startup, and children inherit). */
export function openFilesLimit(): number {
  const line = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  const hard = line?.[2];
  return hard === undefined ? 1024 : hard === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(hard);
}

/**
 * Raises this process's open-files limit (soft and hard) to `wanted` with prlimit(1), so that the
 * peers and load generators started after inherit it; raising the hard limit needs privilege
 * (CAP_SYS_RESOURCE), and without it the limit stays. Returns the limit now in force.
 */
export function raiseOpenFilesLimit(wanted: number): number {
  if (openFilesLimit() >= wanted) return openFilesLimit();
  try {
    execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${wanted}:${wanted}`], { stdio: 'ignore' });
  } catch {
    // not permitted here: the sizes that do not fit are clipped or left out, and the report says so
  }
  return openFilesLimit();
}
