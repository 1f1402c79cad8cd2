/**
 * In-process lookup benchmark (run with --expose-gc): loads every live pattern from the database
 * exactly as a hub node does at start (src/store/feed.ts readSnapshot into src/domain/matcher.ts
 * PrefixMatcher), measures the heap the matcher retains per pattern, then the lookup rate of
 * `find` (every covering pattern, as slots: what a lookup decides on before it builds any object)
 * against `Map.get` of the exact number strings (the object it already holds), on the same query list.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { openDatabase } from '../../../src/db/client';
import { PrefixMatcher } from '../../../src/domain/matcher';
import { readSnapshot } from '../../../src/store/feed';
import type { Pattern } from '../../../schemas/patterns';
import { serveParent } from '../lib/child';
import { seededHits } from '../lib/db';

const gc = (globalThis as { gc?: () => void }).gc;

function heap(): number {
  if (!gc) throw new Error('run with --expose-gc');
  for (let i = 0; i < 3; i++) gc();
  // Typed arrays keep their bytes outside the V8 heap: count both.
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Lookups per second of `fn` over `queries`, best of the rounds, each about `ms` long. */
function rate(queries: string[], fn: (q: string) => number, ms: number): { perSecond: number; sink: number } {
  let sink = 0;
  let done = 0;
  const started = performance.now();
  let now = started;
  while (now - started < ms) {
    for (let i = 0; i < queries.length; i++) sink += fn(queries[i]!);
    done += queries.length;
    now = performance.now();
  }
  return { perSecond: done / ((now - started) / 1000), sink };
}

async function run(arg: { url: string; queries: number; roundMs: number; profileDir?: string }) {
  const database = await openDatabase({ url: arg.url, poolSize: 1 });
  const readAll = (onPattern: (p: Pattern) => void) => readSnapshot(database.db, { keepFor: () => () => true, onPage: (page) => page.forEach(onPattern) });

  // What a hub node keeps: the matcher over the patterns as read from the database.
  const h0 = heap();
  const matcher = new PrefixMatcher();
  await readAll((p) => matcher.upsert(p));
  matcher.trim();
  const h1 = heap();
  // The baseline: a Map of the exact number strings over its own copy of the same patterns.
  const map = new Map<string, Pattern>();
  await readAll((p) => map.set(p.prefix, p));
  await database.close();
  const h2 = heap();
  const n = matcher.size;
  // The pattern objects alone: held by an array of exactly n slots (8 bytes each) instead of the Map.
  let values: Pattern[] = [...map.values()];
  map.clear();
  const objects = heap() - h1 - 8 * n;
  for (const p of values) map.set(p.prefix, p);
  values = [];

  // Equal shares of: exact numbers, numbers inside blocks, numbers under open prefixes, misses.
  const queries: string[] = [];
  for (let i = 0; queries.length < arg.queries; i++) {
    const [exact, inBlock, underPrefix] = seededHits(i % Math.max(1, Math.floor(n / 20)));
    queries.push(exact!, inBlock!, underPrefix!, `33${String(1000000000 + ((i * 7919) % 8999999999))}`);
  }
  const rounds: { matcher: number[]; map: number[] } = { matcher: [], map: [] };
  let matched = 0;
  // Only the lookups are profiled (not the loading), when asked.
  const profiler = arg.profileDir ? await profileFrom(arg.profileDir) : null;
  for (let r = 0; r < 3; r++) {
    rounds.map.push(rate(queries, (q) => (map.get(q) ? 1 : 0), arg.roundMs).perSecond);
    const slots: number[] = [];
    const got = rate(queries, (q) => matcher.find(q, slots), arg.roundMs);
    rounds.matcher.push(got.perSecond);
    matched = got.sink;
  }
  await profiler?.();
  return {
    patterns: n,
    queries: queries.length,
    matched,
    matcherPerSecond: Math.max(...rounds.matcher),
    mapPerSecond: Math.max(...rounds.map),
    matcherBytesPerPattern: (h1 - h0) / n,
    mapBytesPerPattern: (h2 - h1) / n,
    objectBytesPerPattern: objects / n,
  };
}

/** Starts the V8 profiler in this process; the returned function stops it and writes the profile into `dir`. */
async function profileFrom(dir: string): Promise<() => Promise<void>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(join(dir, `CPU.${Date.now()}.0.${process.pid}.0.001.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  };
}

serveParent('matcherBench', { run });
