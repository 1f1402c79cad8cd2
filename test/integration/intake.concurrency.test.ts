import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangesResponse, Snapshot } from '../../schemas/feed';
import type { IntakeResponse } from '../../schemas/indicators';
import type { PatternDetail } from '../../schemas/patterns';
import { rows } from '../../src/store/sql';
import { json, startTestHub, type TestHub } from '../support/harness';

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub();
});
afterAll(async () => {
  await t?.close();
});

const SHARED = Array.from({ length: 40 }, (_, i) => `+92311${String(1_000_000 + i)}`);

async function submit(key: string, indicators: unknown[]): Promise<IntakeResponse> {
  const res = await t.request('/v1/indicators', { ...json({ indicators }), key });
  if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}`);
  return (await res.json()) as IntakeResponse;
}

describe('concurrent batches on the same keys', () => {
  it('lose no report or sighting, and each batch gets one contiguous run of seqs', async () => {
    const writers = await Promise.all([0, 1, 2, 3].map(() => t.partner()));
    const batches = 5;
    const answers = await Promise.all(
      writers.map(async (w, wi) => {
        const mine: IntakeResponse[] = [];
        for (let b = 0; b < batches; b++) {
          // Every batch touches every shared key, plus keys of its own, in a different order each time.
          const shared = [...SHARED.slice((b * 7 + wi) % SHARED.length), ...SHARED.slice(0, (b * 7 + wi) % SHARED.length)];
          const own = Array.from({ length: 20 }, (_, i) => `+92312${wi}${b}${String(10_000 + i)}`);
          mine.push(await submit(w.key, [...shared, ...own].map((pattern, i) => ({ pattern, category: 'wangiri', confidence: 40 + ((i + wi) % 50) }))));
        }
        return mine;
      }),
    );

    // Every shared pattern has all four reporters, each with every one of its sightings.
    const head = answers.flat().reduce((m, a) => Math.max(m, a.seq), 0);
    for (const key of SHARED) {
      const id = answers[0]![0]!.results.find((r) => r.patterns?.[0]?.key === key)!.patterns![0]!.id;
      const detail = (await (await t.request(`/v1/patterns/${id}`, { key: t.operatorKey })).json()) as PatternDetail;
      expect(detail.reporters).toBe(4);
      expect(detail.reports.map((r) => r.sightings)).toEqual([batches, batches, batches, batches]);
    }
    const counted = await rows<{ n: unknown }>(
      t.database.db,
      sql`select count(*) as n from sightings s join patterns p on p.id = s.pattern_id where p.key in ${sql`(${sql.join(SHARED.map((k) => sql`${k}`), sql`, `)})`}`,
    );
    expect(Number(counted[0]!.n)).toBe(SHARED.length * writers.length * batches);

    // Each batch's changes are one contiguous run of seqs ending at the seq it answered, and the
    // runs of all batches tile 1..head: seqs were assigned under one lock, batch by batch.
    const reader = await t.partner({ roles: ['subscriber'] });
    const seen: ChangesResponse['changes'] = [];
    for (let since = 0; ; ) {
      const page = (await (await t.request(`/v1/feed/changes?since=${since}&limit=1000`, { key: reader.key })).json()) as ChangesResponse;
      seen.push(...page.changes);
      since = page.next;
      if (!page.hasMore) break;
    }
    expect(seen.map((c) => c.seq)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
    const ends = answers.flat().map((a) => a.seq).sort((x, y) => x - y);
    expect(new Set(ends).size).toBe(ends.length);
    let from = 1;
    for (const end of ends) {
      const touched = answers.flat().find((a) => a.seq === end)!.results.length;
      expect(end - from + 1).toBe(touched); // every item of these batches touches one pattern
      from = end + 1;
    }
    expect(from - 1).toBe(head);

    // The log replays to the snapshot: the last change of each key is the pattern's state.
    const snap = (await (await t.request('/v1/feed/snapshot', { key: reader.key })).json()) as Snapshot;
    const last = new Map(seen.map((c) => [c.pattern.key, c.pattern]));
    expect(snap.patterns.filter((p) => SHARED.includes(p.key)).map((p) => last.get(p.key))).toEqual(snap.patterns.filter((p) => SHARED.includes(p.key)));
  });

  it('takes batches of the largest size, 10,000 new keys each, side by side', async () => {
    // A lock per key would hold 40,000 locks at once: more than PostgreSQL's lock table has room for.
    const answers = await Promise.all(
      [0, 1, 2, 3].map(async (w) => {
        const p = await t.partner();
        return submit(p.key, Array.from({ length: 10_000 }, (_, i) => ({ pattern: `+9231${3 + w}${String(1_000_000 + i)}`, category: 'irsf' })));
      }),
    );
    for (const a of answers) expect(a.summary).toEqual({ created: 10_000, corroborated: 0, duplicate: 0, rejected: 0 });
  });
});
