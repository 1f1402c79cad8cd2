/**
 * catchup: a subscriber 100k changes behind (quick: 10k) resumes, over the WebSocket feed
 * (subscribe with `since` until `live`) and by pulling /v1/feed/changes (limit 10,000, until
 * `hasMore` is false), from a load process that parses every message. The hub holds 1M patterns
 * (quick: 50k) whose last changes are in the log. Baseline, same run: one SQL read of the same
 * change rows (postgres.js, jsonb parsed). Each is run twice after one untimed SQL read that warms
 * the cache; the best run counts. Target: ≤ 5× the SQL read, on both paths.
 */
import { figure, target, type Figure } from '../lib/figures';
import type { Part, PartContext } from '../lib/part';
import { forkLoad } from '../lib/proc';

export const catchupPart: Part = {
  name: 'catchup',
  title: 'resuming 100k changes behind, over WebSocket and pull, vs one SQL read',
  timeoutMs: { full: 5 * 60_000, quick: 40_000 },
  async run(ctx: PartContext): Promise<Figure[]> {
    const patterns = ctx.quick ? 50_000 : 1_000_000;
    const behind = ctx.quick ? 10_000 : 100_000;
    const url = await ctx.shared.seededDatabase(patterns, behind);
    const since = patterns - behind;
    const [hub, client] = await Promise.all([
      ctx.shared.seededHub(ctx, patterns, behind),
      forkLoad(ctx.scope, 'catchupClient', { deadlineMs: ctx.quick ? 35_000 : 4 * 60_000 }),
    ]);
    const { key } = await hub.partner(['subscriber'], 'GB');
    await client.call('sql', { url, since });
    const best = async (cmd: string, arg: object) => {
      const runs: { ms: number; changes: number }[] = [];
      for (let i = 0; i < 2; i++) runs.push(await client.call<{ ms: number; changes: number }>(cmd, arg));
      for (const r of runs) if (r.changes !== behind) throw new Error(`${cmd}: got ${r.changes} changes, expected ${behind}`);
      return Math.min(...runs.map((r) => r.ms));
    };
    const ws = await best('ws', { base: hub.base, key, since });
    const pull = await best('pull', { base: hub.base, key, since, limit: 10_000 });
    const sql = await best('sql', { url, since });
    ctx.detail(`${behind.toLocaleString('en-US')} changes behind (since ${since.toLocaleString('en-US')}, head ${patterns.toLocaleString('en-US')}); WebSocket ${(ws / 1000).toFixed(2)} s, pull ${(pull / 1000).toFixed(2)} s, SQL ${(sql / 1000).toFixed(2)} s (best of 2 each)`);
    return [
      figure({ part: 'catchup', name: 'catch-up over WebSocket', value: ws / 1000, unit: 's', baselineName: 'one SQL read', baseline: sql / 1000, target: target.ratioAtMost(5) }),
      figure({ part: 'catchup', name: 'catch-up over pull', value: pull / 1000, unit: 's', baselineName: 'one SQL read', baseline: sql / 1000, target: target.ratioAtMost(5) }),
    ];
  },
};
