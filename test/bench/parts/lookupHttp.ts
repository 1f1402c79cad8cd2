/**
 * lookup-http: GET /v1/lookup requests/s, keep-alive, 4 connections (autocannon, in a load
 * process), against the hub holding 1M patterns (quick: 50k). The numbers cycle through exact
 * hits, numbers in blocks, under prefixes and misses, written in E.164. Baseline, same run and
 * load: a bare Hono route on @hono/node-server answering a constant (the hub's answer for one of
 * those numbers, so the same bytes). Each side gets an untimed warm-up first, then they take
 * turns: 5 rounds of 6 s each (quick: 1 of 1 s), bare first, and each side's best round is its
 * figure, so a spell of noise from other tenants of the host (seen to slow one side's rounds
 * by 20–25% for tens of seconds) does not decide the ratio. Target: ≥ 0.7×.
 */
import { cpuMeter, cpuText } from '../lib/cpu';
import { figure, target, type Figure } from '../lib/figures';
import { seededHits } from '../lib/db';
import type { Part, PartContext } from '../lib/part';
import { forkLoad } from '../lib/proc';

interface Load {
  perSecond: number;
  total: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

export const lookupHttpPart: Part = {
  name: 'lookup-http',
  title: 'GET /v1/lookup requests/s vs a bare Hono route',
  timeoutMs: { full: 5 * 60_000, quick: 40_000 },
  async run(ctx: PartContext): Promise<Figure[]> {
    const patterns = ctx.quick ? 50_000 : 1_000_000;
    const seconds = ctx.quick ? 1 : 6;
    const rounds = ctx.quick ? 1 : 5;
    const warmup = ctx.quick ? 0.5 : 3;
    const deadlineMs = ctx.quick ? 35_000 : 4 * 60_000;
    const changes = ctx.quick ? 10_000 : 100_000;
    const [hub, load, bare] = await Promise.all([
      ctx.shared.seededHub(ctx, patterns, changes),
      forkLoad(ctx.scope, 'httpLoad', { deadlineMs }),
      forkLoad(ctx.scope, 'bareHono', { deadlineMs }),
    ]);
    const { key } = await hub.partner(['subscriber'], 'GB');
    const paths: string[] = [];
    for (let i = 0; i < 64; i++) {
      const [exact, inBlock, underPrefix] = seededHits(i * 997);
      for (const n of [exact, inBlock, underPrefix, `33612${String(i).padStart(6, '0')}`]) paths.push(`/v1/lookup?number=%2B${n}`);
    }
    const headers = { authorization: `Bearer ${key}` };
    const sample = await fetch(`${hub.base}${paths[0]}`, { headers });
    if (sample.status !== 200) throw new Error(`lookup answered ${sample.status}: ${await sample.text()}`);
    const answer = (await sample.json()) as unknown;
    type Round = Load & { cpu: Record<string, number> };
    const drive = async (who: string, base: string, serverPid: number): Promise<Round> => {
      const cpu = cpuMeter({ server: [serverPid], autocannon: [load.pid] });
      const r = await load.call<Load>('run', { base, paths, headers, connections: 4, seconds });
      if (r.errors || r.non2xx) throw new Error(`${who}: ${r.errors} errors, ${r.non2xx} non-2xx answers`);
      return { ...r, cpu: cpu.stop() };
    };
    const bareBase = `http://127.0.0.1:${await bare.call<number>('listen', answer)}`;
    for (const base of [bareBase, hub.base]) await load.call('run', { base, paths, headers, connections: 4, seconds: warmup });
    const got: Record<'bare Hono' | 'hub', Round[]> = { 'bare Hono': [], hub: [] };
    for (let round = 0; round < rounds; round++) {
      got['bare Hono'].push(await drive('bare Hono', bareBase, bare.pid));
      got.hub.push(await drive('hub', hub.base, hub.pid));
    }
    const best = (rs: Round[]) => rs.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
    const [measured, baseline] = [best(got.hub), best(got['bare Hono'])];
    for (const [who, rs, r] of [['bare Hono', got['bare Hono'], baseline], ['hub', got.hub, measured]] as const) {
      ctx.detail(
        `${who}: ${Math.round(r.perSecond).toLocaleString('en-US')} requests/s in its best ${seconds} s round (rounds: ${rs.map((x) => Math.round(x.perSecond).toLocaleString('en-US')).join(', ')}), ` +
          `latency p50 ${r.p50} ms, p99 ${r.p99} ms (${r.total.toLocaleString('en-US')} requests); CPU: ${cpuText(r.cpu)}`,
      );
    }
    ctx.detail(`hub holding ${patterns.toLocaleString('en-US')} patterns; ${paths.length} distinct numbers in turn; 4 keep-alive connections; ${warmup} s untimed warm-up each; rounds taken in turn, bare first`);
    return [
      figure({ part: 'lookup-http', name: 'lookups/s over HTTP', value: measured.perSecond, unit: 'req/s', baselineName: 'bare Hono constant', baseline: baseline.perSecond, target: target.ratioAtLeast(0.7) }),
    ];
  },
};
