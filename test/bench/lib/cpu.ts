/**
 * CPU accounting from /proc. How busy the machine is: other people's test runs on a 2-core
 * machine skew every figure, so a full run waits (bounded) for a quiet machine before each part
 * and records what it found. And the CPU seconds each process (and PostgreSQL) spent during a
 * measurement, which tells where the time went.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { sleep } from './scope';

function ticks(): { busy: number; total: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number) as number[];
    const busy = user! + nice! + system! + irq! + softirq! + (steal ?? 0);
    return { busy, total: busy + idle! + iowait! };
  } catch {
    return { busy: 0, total: 0 };
  }
}

/** Share of all CPU time spent busy over the next `ms` (0..1; 0 where /proc is unavailable). */
export async function busyShare(ms = 1000): Promise<number> {
  const a = ticks();
  await sleep(ms);
  const b = ticks();
  return b.total > a.total ? (b.busy - a.busy) / (b.total - a.total) : 0;
}

/** Waits until less than `threshold` of the CPU is busy, at most `maxWaitMs`; returns the last share seen. */
export async function waitForQuiet(threshold: number, maxWaitMs: number): Promise<{ share: number; waitedMs: number }> {
  const started = performance.now();
  let share = await busyShare();
  while (share >= threshold && performance.now() - started < maxWaitMs) share = await busyShare(2000);
  return { share, waitedMs: performance.now() - started };
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const HZ = 100;

/** CPU seconds a process has used so far (user + system); 0 when it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / HZ;
  } catch {
    return 0;
  }
}

/** CPU seconds of every PostgreSQL server process, ended backends included (through the postmaster's children times). */
export function postgresCpuSeconds(): number {
  let total = 0;
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return 0;
  }
  for (const pid of entries) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / HZ;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/** CPU seconds used by each named process (and PostgreSQL) between `start` and `stop`. */
export function cpuMeter(pids: Record<string, number[]>): { stop(): Record<string, number> } {
  const sum = (list: number[]) => list.reduce((n, pid) => n + cpuSeconds(pid), 0);
  const before = Object.fromEntries(Object.entries(pids).map(([k, list]) => [k, sum(list)]));
  const pgBefore = postgresCpuSeconds();
  return {
    stop() {
      const out: Record<string, number> = {};
      for (const [k, list] of Object.entries(pids)) out[k] = sum(list) - before[k]!;
      out.PostgreSQL = postgresCpuSeconds() - pgBefore;
      return out;
    },
  };
}

/** "hub 12.3 s, PostgreSQL 4.5 s" */
export function cpuText(used: Record<string, number>): string {
  return Object.entries(used)
    .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
    .join(', ');
}
