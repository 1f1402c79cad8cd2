/**
 * lookup-process: the in-memory matcher that answers /v1/lookup, in a process of its own.
 *
 * 1M live patterns (quick: 50k; 70% numbers, 25% blocks, 5% open prefixes) are seeded into
 * PostgreSQL and read with the hub's own snapshot reader into src/domain/matcher.ts, as a node
 * does at start. Measured: lookups/s of `find` (the slots of every covering pattern, what the
 * lookup route decides on before it builds objects for the visible matches) over a fixed list of
 * numbers (a quarter exact hits, a quarter inside blocks, a quarter under prefixes, a quarter
 * misses), best of 3 rounds, and the memory it retains per pattern (V8 heap plus typed arrays,
 * after GC). Baseline, same process: `Map.get` of exact
 * number strings over the same patterns. Targets: ≥ 1.5× the Map's rate; ≤ 100 bytes/pattern.
 */
import { figure, target, type Figure } from '../lib/figures';
import type { Part, PartContext } from '../lib/part';
import { forkLoad } from '../lib/proc';

interface Result {
  patterns: number;
  queries: number;
  matched: number;
  matcherPerSecond: number;
  mapPerSecond: number;
  matcherBytesPerPattern: number;
  mapBytesPerPattern: number;
  objectBytesPerPattern: number;
}

export const lookupProcessPart: Part = {
  name: 'lookup-process',
  title: 'matcher lookups/s and bytes per pattern vs a Map of exact numbers',
  timeoutMs: { full: 5 * 60_000, quick: 40_000 },
  async run(ctx: PartContext): Promise<Figure[]> {
    const patterns = ctx.quick ? 50_000 : 1_000_000;
    const url = await ctx.shared.seededDatabase(patterns, ctx.quick ? 10_000 : 100_000);
    const profileDir = ctx.profileDir('matcher');
    const bench = await forkLoad(ctx.scope, 'matcherBench', {
      deadlineMs: ctx.quick ? 35_000 : 4 * 60_000,
      nodeArgs: ['--expose-gc', '--max-old-space-size=8192'],
    });
    const r = await bench.call<Result>('run', { url, queries: ctx.quick ? 100_000 : 1_000_000, roundMs: ctx.quick ? 250 : 2000, profileDir });
    await bench.stop();
    ctx.detail(
      `${r.patterns.toLocaleString('en-US')} patterns; ${r.queries.toLocaleString('en-US')} query numbers (${r.matched.toLocaleString('en-US')} matches in the last pass); ` +
        `matcher ${Math.round(r.matcherPerSecond).toLocaleString('en-US')}/s, Map.get ${Math.round(r.mapPerSecond).toLocaleString('en-US')}/s (best of 3 rounds each)`,
    );
    ctx.detail(
      `memory per pattern (V8 heap + typed arrays, after GC): matcher ${r.matcherBytesPerPattern.toFixed(0)} B; ` +
        `Map ${r.mapBytesPerPattern.toFixed(0)} B, of which the Pattern objects alone ${r.objectBytesPerPattern.toFixed(0)} B`,
    );
    return [
      figure({ part: 'lookup-process', name: 'lookups/s in process', value: r.matcherPerSecond, unit: 'lookups/s', baselineName: 'Map.get of exact numbers', baseline: r.mapPerSecond, target: target.ratioAtLeast(1.5) }),
      figure({
        part: 'lookup-process',
        name: 'memory per pattern',
        value: r.matcherBytesPerPattern,
        unit: 'B',
        baselineName: 'Map of the same patterns',
        baseline: r.mapBytesPerPattern,
        target: target.valueAtMost(100, 'B'),
        note: `the same patterns as objects: ${r.objectBytesPerPattern.toFixed(0)} B`,
      }),
    ];
  },
};
