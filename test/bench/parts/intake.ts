/**
 * intake: indicators/s through POST /v1/indicators, against PostgreSQL's own write rate.
 *
 * The hub (child process, fresh scratch database) takes 200k indicators (quick: 20k) in batches of
 * 1,000 from 4 concurrent HTTP clients in a load process: eight partner forms in turn, 10% repeats
 * (which come back duplicate or corroborated). Baseline, same run: COPY of every row the hub wrote
 * for them (patterns, reports, sightings, changes, audit_events), read back with COPY TO, into
 * bare tables (same columns, no keys or indexes) of the same database, expressed in indicators/s.
 * Target: the hub reaches ≥ 0.3× that rate.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { cpuMeter, cpuText, postgresCpuSeconds } from '../lib/cpu';
import { scratchDatabase } from '../lib/db';
import { connect, drain } from '../lib/pg';
import { figure, target, type Figure } from '../lib/figures';
import { startHub } from '../lib/hub';
import type { Part, PartContext } from '../lib/part';
import { forkLoad } from '../lib/proc';
import { percentile } from '../lib/stats';

const TABLES = ['patterns', 'reports', 'sightings', 'changes', 'audit_events'];

export const intakePart: Part = {
  name: 'intake',
  title: 'indicators/s through POST /v1/indicators vs COPY of the same rows',
  timeoutMs: { full: 8 * 60_000, quick: 45_000 },
  async run(ctx: PartContext): Promise<Figure[]> {
    const total = ctx.quick ? 20_000 : 200_000;
    const batch = 1000;
    const clients = 4;
    const url = await scratchDatabase(ctx.scope);
    const [hub, load] = await Promise.all([
      startHub(ctx.scope, { databaseUrl: url, profileDir: ctx.profileDir('hub') }),
      forkLoad(ctx.scope, 'intakeClient', { deadlineMs: ctx.quick ? 40_000 : 7 * 60_000 }),
    ]);
    const keys = await Promise.all(Array.from({ length: clients }, () => hub.partner(['submitter'], 'PK').then((p) => p.key)));
    ctx.log(`submitting ${total.toLocaleString('en-US')} indicators in batches of ${batch} from ${clients} clients`);
    const cpu = cpuMeter({ hub: [hub.pid], client: [load.pid] });
    const r = await load.call<{
      elapsedMs: number;
      requests: number;
      summary: Record<string, number>;
      failed: number;
      failures: string[];
      latencies: number[];
    }>('run', { base: hub.base, keys, total, batch, repeatRate: 0.1 });
    const used = cpu.stop();
    await load.stop();
    if (r.failed > 0) throw new Error(`${r.failed} intake requests failed, e.g. ${r.failures.join(' | ')}`);
    const hubRate = total / (r.elapsedMs / 1000);
    ctx.log(`hub: ${Math.round(hubRate)} indicators/s (${(r.elapsedMs / 1000).toFixed(1)} s)`);

    const pgBefore = postgresCpuSeconds();
    const copy = await copyBaseline(url);
    const copyCpu = postgresCpuSeconds() - pgBefore;
    const copyRate = total / (copy.ms / 1000);
    ctx.log(`COPY: ${copy.rows.toLocaleString('en-US')} rows in ${(copy.ms / 1000).toFixed(2)} s = ${Math.round(copyRate)} indicators/s`);
    ctx.detail(
      `${total.toLocaleString('en-US')} indicators, ${r.requests} batches of ${batch}, ${clients} concurrent clients (one submitter partner each), 10% repeats; ` +
        `outcomes ${Object.entries(r.summary).map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`).join(', ')}`,
    );
    ctx.detail(
      `hub: ${(r.elapsedMs / 1000).toFixed(1)} s; batch latency p50 ${percentile(r.latencies, 50).toFixed(0)} ms, p99 ${percentile(r.latencies, 99).toFixed(0)} ms; ` +
        `CPU meanwhile: ${cpuText(used)}; PostgreSQL CPU during the COPY baseline: ${copyCpu.toFixed(1)} s`,
    );
    ctx.detail(
      `rows the hub wrote: ${Object.entries(copy.perTable).map(([t, n]) => `${t} ${n.toLocaleString('en-US')}`).join(', ')}; ` +
        `COPY FROM STDIN of all ${copy.rows.toLocaleString('en-US')} into bare tables: ${(copy.ms / 1000).toFixed(2)} s (${Math.round(copy.rows / (copy.ms / 1000)).toLocaleString('en-US')} rows/s)`,
    );
    await hub.stop();
    return [
      figure({ part: 'intake', name: 'intake rate', value: hubRate, unit: 'indicators/s', baselineName: 'COPY of the same rows', baseline: copyRate, target: target.ratioAtLeast(0.3) }),
    ];
  },
};

/** Reads every row the hub wrote (COPY TO), then times COPY FROM STDIN of them into bare copies of the tables. */
async function copyBaseline(url: string): Promise<{ ms: number; rows: number; perTable: Record<string, number> }> {
  const db = connect(url);
  try {
    await db.unsafe('create schema bare');
    const dumps = new Map<string, Buffer[]>();
    const perTable: Record<string, number> = {};
    for (const t of TABLES) {
      await db.unsafe(`create table bare.${t} (like public.${t})`);
      const chunks = await drain(await db.unsafe(`copy public.${t} to stdout`).readable());
      dumps.set(t, chunks);
      perTable[t] = chunks.reduce((n, c) => n + countNewlines(c), 0);
    }
    await db.unsafe('checkpoint');
    const started = performance.now();
    for (const t of TABLES) await pipeline(Readable.from(dumps.get(t)!), await db.unsafe(`copy bare.${t} from stdin`).writable());
    const ms = performance.now() - started;
    return { ms, rows: Object.values(perTable).reduce((a, b) => a + b, 0), perTable };
  } finally {
    await db.end();
  }
}

function countNewlines(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) n++;
  return n;
}
