/**
 * snapshot: GET /v1/feed/snapshot as NDJSON (Accept: application/x-ndjson) of 1M live patterns
 * (quick: 50k), read to the end by a load process, while the hub's RSS is sampled every 50 ms.
 * Baseline, same run: `COPY (SELECT <the same columns, ISO timestamps> FROM patterns WHERE status
 * IN ('active','disputed') ORDER BY key) TO STDOUT` of the same rows, after one untimed COPY that
 * warms the cache. Targets: ≤ 3× the COPY time; hub RSS ≤ 400 MB during the snapshot (its RSS
 * just before, with the lookup matcher loaded, is shown beside it).
 */
import { cpuMeter, cpuText } from '../lib/cpu';
import { figure, target, type Figure } from '../lib/figures';
import type { Part, PartContext } from '../lib/part';
import { forkLoad, sampleRss } from '../lib/proc';
import { sleep } from '../lib/scope';

const ISO = (col: string) => `to_char(${col} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const SNAPSHOT_QUERY = `select p.id, p.key, p.kind, p.prefix, p.length, p.country, p.categories, p.confidence, p.reporters, p.action,
  p.status, p.tlp, p.unallocated, ${ISO('p.first_seen')}, ${ISO('p.last_seen')}, ${ISO('p.valid_until')}, p.seq
  from patterns p where p.status in ('active', 'disputed') order by p.key`;

export const snapshotPart: Part = {
  name: 'snapshot',
  title: 'NDJSON snapshot of 1M patterns vs COPY TO STDOUT, and hub RSS',
  timeoutMs: { full: 5 * 60_000, quick: 40_000 },
  async run(ctx: PartContext): Promise<Figure[]> {
    const patterns = ctx.quick ? 50_000 : 1_000_000;
    const changes = ctx.quick ? 10_000 : 100_000;
    const url = await ctx.shared.seededDatabase(patterns, changes);
    const [hub, client] = await Promise.all([
      ctx.shared.seededHub(ctx, patterns, changes),
      forkLoad(ctx.scope, 'snapshotClient', { deadlineMs: ctx.quick ? 35_000 : 4 * 60_000 }),
    ]);
    const { key } = await hub.partner(['subscriber'], 'GB');
    await client.call('copy', { url, query: SNAPSHOT_QUERY });
    await sleep(ctx.quick ? 300 : 1000);
    const rssBefore = hub.rss();
    const sampler = sampleRss(hub.pid);
    const snapCpu = cpuMeter({ hub: [hub.pid], client: [client.pid] });
    const snap = await client.call<{ ms: number; lines: number; bytes: number }>('ndjson', { base: hub.base, key });
    const snapUsed = snapCpu.stop();
    const rssPeak = sampler.stop();
    const copyCpu = cpuMeter({ client: [client.pid] });
    const copy = await client.call<{ ms: number; lines: number; bytes: number }>('copy', { url, query: SNAPSHOT_QUERY });
    const copyUsed = copyCpu.stop();
    if (snap.lines !== patterns + 1) throw new Error(`snapshot: ${snap.lines} lines, expected ${patterns + 1}`);
    const mb = (b: number) => b / 1e6;
    ctx.detail(
      `NDJSON: ${snap.lines.toLocaleString('en-US')} lines, ${mb(snap.bytes).toFixed(0)} MB in ${(snap.ms / 1000).toFixed(2)} s; ` +
        `COPY: ${copy.lines.toLocaleString('en-US')} rows, ${mb(copy.bytes).toFixed(0)} MB in ${(copy.ms / 1000).toFixed(2)} s`,
    );
    ctx.detail(`CPU during the NDJSON snapshot: ${cpuText(snapUsed)}; during the COPY: ${cpuText(copyUsed)}`);
    ctx.detail(`hub RSS: ${mb(rssBefore).toFixed(0)} MB idle before the snapshot (${patterns.toLocaleString('en-US')} patterns in its matcher), peak ${mb(rssPeak).toFixed(0)} MB during it`);
    return [
      figure({ part: 'snapshot', name: 'NDJSON snapshot time', value: snap.ms / 1000, unit: 's', baselineName: 'COPY TO STDOUT', baseline: copy.ms / 1000, target: target.ratioAtMost(3) }),
      figure({ part: 'snapshot', name: 'hub RSS during snapshot', value: mb(rssPeak), unit: 'MB', baselineName: 'hub RSS just before', baseline: mb(rssBefore), target: target.valueAtMost(400, 'MB') }),
    ];
  },
};
