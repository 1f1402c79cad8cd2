/**
 * coldstart: embedded PGlite start-up, from spawn to the "listening" line (no DATABASE_URL).
 * Empty: a fresh data directory (a first `npm start`: the database is created and migrated),
 * median of 3 starts (quick: 1). With 1M patterns (quick: 10k): the last of those directories,
 * seeded like the PostgreSQL parts (patterns + the last changes); the hub also loads every live
 * pattern into its matcher. Baseline, same run: `PGlite.create()` alone on the same kind of directory, in a
 * child process started the same way (node --import tsx), from spawn to open. Target (empty):
 * ≤ 1.5×; the 1M start is for information.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { figure, target, type Figure } from '../lib/figures';
import { startHub } from '../lib/hub';
import type { Part, PartContext } from '../lib/part';
import { forkLoad, LOAD_DIR, ROOT } from '../lib/proc';
import { Scope, track } from '../lib/scope';
import { median } from '../lib/stats';

export const coldStartPart: Part = {
  name: 'coldstart',
  title: 'embedded PGlite hub start-up, empty and with 1M patterns, vs PGlite.create() alone',
  timeoutMs: { full: 8 * 60_000, quick: 45_000 },
  async run(ctx: PartContext): Promise<Figure[]> {
    const patterns = ctx.quick ? 10_000 : 1_000_000;
    const runs = ctx.quick ? 1 : 3;
    const dir = (label: string) => {
      const d = join(tmpdir(), `hub-bench-${label}-${randomBytes(4).toString('hex')}`);
      ctx.scope.defer(`data dir ${d}`, () => rmSync(d, { recursive: true, force: true }));
      return d;
    };
    const hubStart = async (dataDir: string, profileDir?: string) => {
      const scope = new Scope();
      try {
        return (await startHub(scope, { dataDir, timeoutMs: 5 * 60_000, ...(profileDir ? { profileDir, profileStartup: true } : {}) })).startMs;
      } finally {
        await scope.close();
      }
    };
    const emptyHub: number[] = [];
    const emptyCreate: number[] = [];
    let seeded = '';
    for (let i = 0; i < runs; i++) {
      emptyCreate.push(await pgliteCreate(dir('create')));
      seeded = dir('hub');
      emptyHub.push(await hubStart(seeded));
    }
    ctx.log(`empty: hub ${median(emptyHub).toFixed(0)} ms, PGlite.create ${median(emptyCreate).toFixed(0)} ms`);

    // The last empty hub's directory (created and migrated by the hub itself) gets the patterns.
    const seeder = await forkLoad(ctx.scope, 'pgliteSeed', { deadlineMs: 4 * 60_000 });
    const seedStarted = performance.now();
    await seeder.call('seed', { dir: seeded, patterns, changes: ctx.quick ? 1000 : 10_000 });
    await seeder.stop();
    ctx.log(`seeded PGlite with ${patterns.toLocaleString('en-US')} patterns in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);
    const fullCreate = await pgliteCreate(seeded);
    const fullHub = await hubStart(seeded, ctx.profileDir('hub-seeded'));
    ctx.detail(`empty (fresh data directory), ${runs} run(s): hub ${emptyHub.map((m) => (m / 1000).toFixed(2)).join(', ')} s; PGlite.create ${emptyCreate.map((m) => (m / 1000).toFixed(2)).join(', ')} s`);
    ctx.detail(`${patterns.toLocaleString('en-US')} patterns: hub ${(fullHub / 1000).toFixed(2)} s; PGlite.create on the same directory ${(fullCreate / 1000).toFixed(2)} s`);
    return [
      figure({ part: 'coldstart', name: 'cold start, empty', value: median(emptyHub) / 1000, unit: 's', baselineName: 'PGlite.create() alone', baseline: median(emptyCreate) / 1000, target: target.ratioAtMost(1.5) }),
      figure({ part: 'coldstart', name: `cold start, ${ctx.quick ? '10k' : '1M'} patterns`, value: fullHub / 1000, unit: 's', baselineName: 'PGlite.create() alone', baseline: fullCreate / 1000, target: target.info() }),
    ];
  },
};

/** Spawn-to-open time of PGlite.create(dir) alone in a fresh process. */
function pgliteCreate(dir: string): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', `${LOAD_DIR}pgliteOpen.ts`, dir], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  track(child);
  return new Promise((resolve, reject) => {
    let err = '';
    let at = 0;
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      if (!at && err.includes('created')) at = performance.now() - started;
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (at) resolve(at);
      else reject(new Error(`PGlite.create exited ${code}: ${err}`));
    });
  });
}
