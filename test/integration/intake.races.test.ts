import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client';
import { prepareIndicator, type AcceptedItem } from '../../src/domain/indicators';
import { DEFAULT_TRUST_RULES } from '../../src/domain/trust';
import { writeIntake, type IntakeOutcome } from '../../src/store/intake';
import { rows } from '../../src/store/sql';
import { createScratchDatabase, TEST_DATABASE_URL } from '../support/db';

/**
 * Intake batches decide without locking the patterns they touch and settle them under the
 * change-log head (store/intake.ts). These tests make batches overlap for certain: a connection of
 * the test holds the head while the batches write their reports and sightings, then lets go.
 * Two `Database`s on one PostgreSQL stand for two hub nodes.
 */
describe.skipIf(!TEST_DATABASE_URL)('intake batches racing for the same keys', () => {
  let nodeA: Database;
  let nodeB: Database;
  let admin: postgres.Sql;
  let drop: () => Promise<void>;
  let url: string;
  beforeAll(async () => {
    ({ url, drop } = await createScratchDatabase());
    nodeA = await openDatabase({ url, poolSize: 4 });
    nodeB = await openDatabase({ url, poolSize: 4 });
    admin = postgres(url, { max: 2, onnotice: () => {} });
  });
  afterAll(async () => {
    await Promise.all([nodeA?.close(), nodeB?.close(), admin?.end()]);
    await drop?.();
  });

  const NOW = '2026-11-26T00:00:00.000Z';
  let series = 0;
  /** Numbers no earlier test used. */
  const numbers = (n: number) => {
    const base = 3_000_000 + 1000 * series++;
    return Array.from({ length: n }, (_, i) => `+92301${String(base + i).padStart(7, '0')}`);
  };
  const items = (patterns: readonly string[], tlp?: string): AcceptedItem[] =>
    patterns.map((pattern, index) => {
      const r = prepareIndicator(index, { pattern, category: 'wangiri', confidence: 80, ...(tlp ? { tlp } : {}) }, 'PK', NOW);
      if (!r.ok) throw new Error(`${pattern}: ${r.rejection.code}`);
      return r.item;
    });
  const submit = (db: Database, partnerId: string, patterns: readonly string[], tlp?: string) => {
    let outcome: IntakeOutcome | undefined;
    return writeIntake(db.db, {
      partnerId,
      batchId: randomUUID(),
      items: items(patterns, tlp),
      now: NOW,
      rules: DEFAULT_TRUST_RULES,
      answer: (o) => {
        outcome = o;
        return { status: 200, body: null, requestHash: '' };
      },
    }).then((w) => ({ ...w, outcome: outcome! }));
  };

  /** Runs the submissions while the head is held until `waiting` of them wait on a lock, then lets them go. */
  async function overlapping<T>(waiting: number, submissions: () => Promise<T>[]): Promise<T[]> {
    const holder = await admin.reserve();
    try {
      await holder`begin`;
      await holder`select head from feed_state where id = 1 for update`;
      const running = Promise.all(submissions());
      for (const started = Date.now(); ; ) {
        const [w] = await admin`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`;
        if (w!.n >= waiting) break;
        if (Date.now() - started > 20_000) throw new Error(`only ${w!.n} of ${waiting} batches reached a lock`);
        await new Promise((r) => setTimeout(r, 20));
      }
      await holder`commit`;
      return await running;
    } finally {
      holder.release();
    }
  }

  async function state(keys: readonly string[]) {
    const patterns = await rows<{ id: string; key: string; reporters: number; seq: unknown }>(
      nodeA.db,
      sql`select id, key, reporters, seq from patterns where key in ${sql`(${sql.join(keys.map((k) => sql`${k}`), sql`, `)})`} order by key`,
    );
    const ids = patterns.map((p) => p.id);
    const list = sql`(${sql.join(ids.map((id) => sql`${id}::uuid`), sql`, `)})`;
    const reports = await rows<{ pattern_id: string; partner_id: string; sightings: number }>(nodeA.db, sql`select pattern_id, partner_id, sightings from reports where pattern_id in ${list}`);
    const sightings = await rows<{ pattern_id: string; n: unknown }>(nodeA.db, sql`select pattern_id, count(*) as n from sightings where pattern_id in ${list} group by pattern_id`);
    // Reports and sightings written under an id that no pattern has (a lost race that was kept).
    const [orphans] = await rows<{ n: unknown }>(
      nodeA.db,
      sql`select (select count(*) from reports r where not exists (select 1 from patterns p where p.id = r.pattern_id)) +
                 (select count(*) from sightings s where not exists (select 1 from patterns p where p.id = s.pattern_id)) as n`,
    );
    return { patterns, reports, sightings: new Map(sightings.map((s) => [s.pattern_id, Number(s.n)])), orphans: Number(orphans!.n) };
  }

  it.each([
    ['on one hub node', () => [nodeA, nodeA]],
    ['on two hub nodes', () => [nodeA, nodeB]],
  ])('two batches %s that both create the same keys: the second to settle moves its report and sightings to the first one\'s patterns', async (_, nodes) => {
    const [first, second] = nodes();
    const shared = numbers(50);
    const [own1, own2] = [numbers(10), numbers(10)];
    const [p1, p2] = [randomUUID(), randomUUID()];
    const [a, b] = await overlapping(2, () => [submit(first!, p1, [...shared, ...own1]), submit(second!, p2, [...own2, ...shared])]);
    const s = await state([...shared, ...own1, ...own2]);
    expect(s.patterns).toHaveLength(70);
    expect(s.orphans).toBe(0);
    const byKey = new Map(s.patterns.map((p) => [p.key, p]));
    for (const key of shared) {
      const p = byKey.get(key)!;
      expect(p.reporters).toBe(2);
      expect(s.sightings.get(p.id)).toBe(2);
      expect(s.reports.filter((r) => r.pattern_id === p.id).map((r) => r.partner_id).sort()).toEqual([p1, p2].sort());
    }
    for (const key of [...own1, ...own2]) expect([byKey.get(key)!.reporters, s.sightings.get(byKey.get(key)!.id)]).toEqual([1, 1]);
    // Each answer names the patterns as committed; one batch created the shared keys, the other corroborated them.
    const sharedStatuses: string[] = [];
    for (const [w, at] of [[a!, 0], [b!, 10]] as const) {
      expect(shared.map((_, i) => w.outcome.patterns.get(at + i)![0]!.id)).toEqual(shared.map((key) => byKey.get(key)!.id));
      sharedStatuses.push([...new Set(shared.map((_, i) => w.outcome.statuses.get(at + i)))].join());
    }
    expect(sharedStatuses.sort()).toEqual(['corroborated', 'created']);
  });

  it('a batch whose patterns another partner changed meanwhile settles them with both reports', async () => {
    const keys = numbers(40);
    const [p1, p2, p3] = [randomUUID(), randomUUID(), randomUUID()];
    await submit(nodeA, p1, keys);
    const [a, b] = await overlapping(2, () => [submit(nodeA, p2, keys), submit(nodeB, p3, keys)]);
    const s = await state(keys);
    expect(s.patterns.every((p) => p.reporters === 3)).toBe(true);
    expect(s.patterns.every((p) => s.sightings.get(p.id) === 3)).toBe(true);
    expect(s.reports.every((r) => r.sightings === 1)).toBe(true);
    // Each is a new reporter on every pattern, whether or not it had to settle again.
    for (const w of [a!, b!]) expect(new Set(w.outcome.statuses.values())).toEqual(new Set(['corroborated']));
    // The change log holds each batch's changes as one run of seqs, the later on top of the earlier.
    expect(Math.abs(a!.outcome.head - b!.outcome.head)).toBe(40);
  });

  it('an amber pattern that another partner changed meanwhile is seen by the communities of every amber reporter', async () => {
    const keys = numbers(20);
    const [p1, p2] = [randomUUID(), randomUUID()];
    const [c1, c2] = [randomUUID(), randomUUID()];
    for (const [partner, community] of [[p1, c1], [p2, c2]] as const) {
      await admin`insert into partners (id, name, country, roles, key_hash) values (${partner}, ${partner}, 'PK', ${['submitter']}, ${partner})`;
      await admin`insert into communities (id, name, created_at) values (${community}, ${community}, now())`;
      await admin`insert into community_members (community_id, partner_id) values (${community}, ${partner})`;
    }
    await overlapping(2, () => [submit(nodeA, p1, keys, 'amber'), submit(nodeB, p2, keys, 'amber')]);
    const audiences = await admin`select distinct audience from patterns where key = any(${keys})`;
    expect(audiences.map((r) => r.audience)).toEqual([[c1, c2].sort()]);
  });

  it("one partner's batches on the same keys run one after another: the second is a duplicate, counted once more", async () => {
    const keys = numbers(30);
    const partner = randomUUID();
    const [a, b] = await overlapping(2, () => [submit(nodeA, partner, keys), submit(nodeA, partner, keys)]);
    const statuses = [a!, b!].map((w) => [...new Set(w.outcome.statuses.values())].join()).sort();
    expect(statuses).toEqual(['created', 'duplicate']);
    const s = await state(keys);
    expect(s.patterns.every((p) => p.reporters === 1)).toBe(true);
    expect(s.reports.every((r) => r.sightings === 2)).toBe(true);
    expect(s.orphans).toBe(0);
  });
});
