/**
 * `npm run bench [-- <part>...] [--quick] [--profile]`: the hub's performance figures, each
 * beside a baseline measured in the same run on this machine (see README.md here).
 *
 * The hub runs as a child process on real PostgreSQL (scratch databases on DATABASE_URL's server,
 * dropped afterwards); load comes from separate processes on 127.0.0.1, each with a deadline.
 * Every part has a hard time limit. The table is printed and written to results.json and
 * RESULTS.md (results.quick.json / RESULTS.quick.md in quick mode).
 */
import { spawn, execSync } from 'node:child_process';
import { busyShare, waitForQuiet } from './lib/cpu';
import { failed, type Figure } from './lib/figures';
import { describeMachine } from './lib/machine';
import { makeProfileDir, SharedFixtures, type Part, type PartContext } from './lib/part';
import { newestProfile, summarizeProfile } from './lib/profile';
import { table, writeResults, resultPaths, type PartRecord } from './lib/report';
import { Scope, withTimeout } from './lib/scope';
import { catchupPart } from './parts/catchup';
import { coldStartPart } from './parts/coldStart';
import { fanoutPart } from './parts/fanout';
import { intakePart } from './parts/intake';
import { lookupHttpPart } from './parts/lookupHttp';
import { lookupProcessPart } from './parts/lookupProcess';
import { memoryPart } from './parts/memory';
import { snapshotPart } from './parts/snapshot';

const PARTS: Part[] = [intakePart, fanoutPart, lookupProcessPart, lookupHttpPart, catchupPart, snapshotPart, memoryPart, coldStartPart];
const ORDER = PARTS.map((p) => p.name);
const ALIASES: Record<string, string[]> = {
  'fan-out': ['fanout'],
  lookup: ['lookup-process', 'lookup-http'],
  'catch-up': ['catchup'],
  'cold-start': ['coldstart'],
};
const WANTED_FDS = 65536;
/** A part starts once less than this share of all CPU time is busy (or after a minute of waiting). */
const QUIET_SHARE = 0.2;

function usage(): string {
  return `usage: npm run bench [-- [part...] [--quick] [--profile]]\n  parts: ${ORDER.join(', ')} (also: ${Object.keys(ALIASES).join(', ')})\n  --quick    scaled down, under a minute: a smoke check (writes results.quick.json)\n  --profile  CPU-profile the hubs (and baselines) while measured; hottest functions go to RESULTS.md, the figures of such a run are kept apart`;
}

function parseArgs(argv: string[]): { parts: Part[]; quick: boolean; profile: boolean } {
  const names: string[] = [];
  let quick = false;
  let profile = false;
  for (const a of argv) {
    if (a === '--quick') quick = true;
    else if (a === '--profile') profile = true;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(usage() + '\n');
      process.exit(0);
    } else if (ORDER.includes(a)) names.push(a);
    else if (ALIASES[a]) names.push(...ALIASES[a]);
    else {
      process.stderr.write(`unknown argument ${a}\n${usage()}\n`);
      process.exit(2);
    }
  }
  const chosen = names.length ? ORDER.filter((n) => names.includes(n)) : ORDER;
  return { parts: PARTS.filter((p) => chosen.includes(p.name)), quick, profile };
}

/** 5,000 and 10,000 sockets need more open files than many shells allow: re-run under a raised limit. */
function reexecWithMoreFiles(): boolean {
  if (process.env.BENCH_FDS_RAISED) return false;
  let current = 0;
  try {
    current = Number(execSync('ulimit -n', { shell: '/bin/bash', encoding: 'utf8' }).trim());
  } catch {
    return false;
  }
  if (!(current < WANTED_FDS)) return false;
  const script = `ulimit -n ${WANTED_FDS} 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"`;
  const child = spawn('bash', ['-c', script, process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_FDS_RAISED: '1' },
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 130 : 1)));
  return true;
}

async function main(): Promise<void> {
  if (reexecWithMoreFiles()) return;
  const { parts, quick, profile } = parseArgs(process.argv.slice(2));
  const mode = quick ? 'quick' : 'full';
  const t0 = performance.now();
  const log = (m: string) => process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${m}\n`);
  const runScope = new Scope();
  let partScope: Scope | null = null;
  let interrupted = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (interrupted) process.exit(130);
      interrupted = true;
      log(`${sig}: cleaning up`);
      void (async () => {
        await partScope?.close();
        await runScope.close();
        process.exit(130);
      })();
    });
  }
  // The whole run is bounded too (the sum of the parts' limits), whatever happens.
  const budget = parts.reduce((n, p) => n + (quick ? p.timeoutMs.quick : p.timeoutMs.full + 60_000), 60_000);
  setTimeout(() => {
    log(`the run passed its ${Math.round(budget / 1000)} s budget: stopping`);
    void Promise.all([partScope?.close(), runScope.close()]).finally(() => process.exit(4));
  }, budget).unref();

  const machine = await describeMachine();
  log(`${mode} run of ${parts.map((p) => p.name).join(', ')} on ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, PostgreSQL ${machine.postgres}, ulimit -n ${machine.openFiles}`);
  const shared = new SharedFixtures(runScope, log);
  const figures: Figure[] = [];
  const records: PartRecord[] = [];
  try {
    for (const part of parts) {
      const scope = new Scope();
      partScope = scope;
      const details: string[] = [];
      const profileDirs: { label: string; dir: string }[] = [];
      const ctx: PartContext = {
        part: part.name,
        quick,
        profile,
        scope,
        shared,
        log: (m) => log(`${part.name}: ${m}`),
        detail: (m) => details.push(m),
        profileDir: (label) => {
          if (!profile) return undefined;
          const dir = makeProfileDir(part.name, label);
          profileDirs.push({ label, dir });
          return dir;
        },
      };
      // Other processes on this small machine skew every figure: wait (bounded) for a quiet one.
      const quiet = quick ? { share: await busyShare(300), waitedMs: 0 } : await waitForQuiet(QUIET_SHARE, 60_000);
      const busy = `${Math.round(quiet.share * 100)}% of the CPU was busy before it started${quiet.waitedMs > 1500 ? ` (after waiting ${Math.round(quiet.waitedMs / 1000)} s for a quieter machine)` : ''}`;
      details.push(busy);
      if (quiet.share >= QUIET_SHARE) log(`${part.name}: the machine is busy: ${busy}; figures may be skewed`);
      const started = performance.now();
      const limit = quick ? part.timeoutMs.quick : part.timeoutMs.full;
      log(`${part.name}: ${part.title} (limit ${Math.round(limit / 1000)} s)`);
      let got: Figure[] = [];
      let error: string | undefined;
      try {
        got = await withTimeout(part.run(ctx), limit, part.name);
      } catch (err) {
        error = (err as Error).message.split('\n').slice(0, 6).join(' ');
        log(`${part.name} FAILED: ${(err as Error).stack ?? error}`);
        got = [failed(part.name, 'part', error)];
      }
      await scope.close();
      partScope = null;
      const profiles = profileDirs.flatMap(({ label, dir }) => {
        const file = newestProfile(dir);
        if (!file) return [];
        try {
          return [{ label, ...summarizeProfile(file) }];
        } catch (err) {
          log(`${part.name}: could not read profile ${file}: ${(err as Error).message}`);
          return [];
        }
      });
      for (const p of profiles) log(`${part.name}: profile of ${p.label}: ${p.functions.slice(0, 5).map((f) => `${f.fn} ${f.where} ${f.pct.toFixed(1)}%`).join('; ')}`);
      const seconds = (performance.now() - started) / 1000;
      log(`${part.name}: done in ${seconds.toFixed(1)} s`);
      figures.push(...got);
      records.push({ part: part.name, title: part.title, at: new Date().toISOString(), seconds, details, profiles, ...(error ? { error } : {}) });
    }
  } finally {
    await runScope.close();
  }
  const results = writeResults(mode, machine, ORDER, records, figures, profile);
  process.stdout.write(`\n${table(results.figures)}\n\n`);
  if (profile) process.stdout.write(`This run, under the profiler (kept apart from the figures above):\n${table(figures)}\n\n`);
  const paths = resultPaths(mode);
  log(`wrote ${paths.json} and ${paths.md} in ${((performance.now() - t0) / 1000).toFixed(0)} s total`);
  const missed = figures.filter((f) => f.met === false);
  if (missed.length) log(`targets missed: ${missed.map((f) => `${f.part} / ${f.name}`).join('; ')}`);
  // Missed targets are findings, not failures; a part that could not measure is.
  process.exit(records.some((r) => r.error) ? 1 : 0);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
