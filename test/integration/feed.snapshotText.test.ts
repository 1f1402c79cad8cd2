import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATEGORIES } from '../../schemas/common';
import type { FeedFilter } from '../../schemas/feed';
import type { IntakeResponse } from '../../schemas/indicators';
import type { Pattern } from '../../schemas/patterns';
import { filterView, selects } from '../../src/domain/feed';
import type { Viewer } from '../../src/domain/visibility';
import { readSnapshot } from '../../src/store/feed';
import { readSnapshotLines } from '../../src/store/snapshotLines';
import { rows } from '../../src/store/sql';
import { json, startTestHub, type TestHub } from '../support/harness';

// The snapshot's text is built by PostgreSQL and filtered in SQL; these tests hold it to the bytes
// the hub wrote before: readSnapshot, the pure `selects`, then JSON.stringify of each Pattern.

const ODD = 'a"b\\c\td\ne\u0001\u001ff\u007fé€𝄞';
let t: TestHub;
type Who = { id: string; key: string };
const READERS = ['south', 'member', 'both', 'outsider', 'operator'] as const;
const readers: Record<string, Who & { isOperator: boolean }> = {};

beforeAll(async () => {
  t = await startTestHub();
  const south = await t.partner({ roles: ['submitter', 'subscriber'] });
  const gulf = await t.partner({ roles: ['submitter', 'subscriber'], country: 'AE' });
  const member = await t.partner({ roles: ['subscriber'] });
  const both = await t.partner({ roles: ['subscriber'], country: 'GB' });
  const outsider = await t.partner({ roles: ['subscriber'] });
  const operator = await t.partner({ roles: ['operator', 'subscriber'] });
  for (const [name, members] of [['south-asia', [south.id, member.id, both.id]], ['gulf', [gulf.id, both.id]]] as const) {
    const res = await t.request('/v1/communities', { ...json({ name, members }), key: t.operatorKey });
    expect(res.status).toBe(201);
  }
  Object.assign(readers, {
    south: { ...south, isOperator: false },
    member: { ...member, isOperator: false },
    both: { ...both, isOperator: false },
    outsider: { ...outsider, isOperator: false },
    operator: { ...operator, isOperator: true },
  });
  const tlps = ['clear', 'green', 'amber', 'red'] as const;
  const indicators = (from: number, country: string, prefix: string) =>
    Array.from({ length: 24 }, (_, i) => ({
      pattern: i % 6 === 4 ? `${prefix}${from + i}1XXX` : i % 6 === 5 ? `${prefix}${from + i}*` : `${prefix}${from + i}1234`,
      category: CATEGORIES[i % CATEGORIES.length],
      confidence: 20 + ((i * 7) % 80),
      tlp: tlps[i % 4],
      country,
    }));
  await submit(south.key, indicators(100, 'PK', '+92300'));
  await submit(gulf.key, indicators(200, 'AE', '+97150'));
  await submit(south.key, indicators(300, 'GB', '+44770'));
  // Corroborations: an amber pattern reported in both communities, and one made clear by another.
  await submit(gulf.key, indicators(100, 'PK', '+92300').slice(0, 8).map((x) => ({ ...x, category: 'robocall', tlp: 'amber' })));
  await submit(south.key, indicators(200, 'AE', '+97150').slice(8, 12).map((x) => ({ ...x, tlp: 'green' })));
  // States intake does not reach at once: every status, no country, no validUntil.
  const db = t.database.db;
  await db.execute(sql`update patterns set status = 'disputed' where key like '+92300101%' or key like '+97150206%'`);
  await db.execute(sql`update patterns set status = 'held' where key like '+92300102%'`);
  await db.execute(sql`update patterns set status = 'expired' where key like '+44770303%'`);
  await db.execute(sql`update patterns set status = 'revoked' where key like '+97150207%'`);
  await db.execute(sql`update patterns set country = null where key like '+92300108%' or key like '+44770310%'`);
  await db.execute(sql`update patterns set valid_until = null where key like '+92300109%' or key like '+97150211%'`);
  // Text no intake writes, but the encoders must still get right: quotes, backslashes, control characters, non-ASCII.
  await db.execute(sql`update patterns set prefix = prefix || ${ODD}, categories = categories || array[${ODD}] where key like '+92300105%' or key like '+44770311%'`);
});
afterAll(async () => {
  await t?.close();
});

async function submit(key: string, indicators: unknown[]): Promise<void> {
  const res = await t.request('/v1/indicators', { ...json({ indicators }), key });
  expect(res.status).toBe(200);
  const body = (await res.json()) as IntakeResponse;
  expect(body.summary.rejected).toBe(0);
}

/** The snapshot as the hub computed it before PostgreSQL wrote the text. */
async function reference(viewer: Viewer, filter: FeedFilter): Promise<{ seq: number; patterns: Pattern[] }> {
  const patterns: Pattern[] = [];
  const seq = await readSnapshot(t.database.db, {
    partnerId: viewer.partnerId,
    keepFor: (view) => {
      const reader = { ...viewer, communities: view.communities };
      return (p, audience) => selects(filter, reader, filterView(p, audience));
    },
    onPage: (page) => void patterns.push(...page),
  });
  return { seq, patterns };
}

const query = (f: FeedFilter) =>
  new URLSearchParams(
    Object.entries(f).map(([k, v]): [string, string] => [k, Array.isArray(v) ? v.join(',') : String(v)]),
  ).toString();

const FILTERS: FeedFilter[] = [
  {},
  { country: ['PK'] },
  { country: ['GB', 'AE'], action: 'block' },
  { category: ['robocall', 'wangiri'] },
  { minConfidence: 60 },
  { action: 'flag', minConfidence: 30, category: ['irsf', 'smishing', 'other'], country: ['PK', 'AE'] },
];

describe('snapshot text built by PostgreSQL', () => {
  it('the data covers what the comparison must: every TLP, every status, nulls, several communities', async () => {
    const all = await reference({ partnerId: readers.operator!.id, isOperator: true, communities: [] }, {});
    const seen = (f: (p: Pattern) => unknown) => new Set(all.patterns.map(f));
    expect([...seen((p) => p.tlp)].sort()).toEqual(['amber', 'clear', 'green', 'red']);
    expect([...seen((p) => p.status)].sort()).toEqual(['active', 'disputed']);
    expect(seen((p) => p.kind).size).toBe(3);
    expect(seen((p) => p.country).has(null)).toBe(true);
    expect(seen((p) => p.validUntil).has(null)).toBe(true);
    expect(seen((p) => p.length).has(null)).toBe(true);
    expect(all.patterns.some((p) => p.categories.length > 1 && p.tlp === 'amber')).toBe(true);
    expect(all.patterns.filter((p) => p.prefix.endsWith(ODD) && p.categories.includes(ODD as never))).toHaveLength(2);
  });

  it.each(READERS)('NDJSON and JSON bodies are byte for byte what they were, for %s, with each filter', async (name) => {
    const who = readers[name]!;
    for (const filter of FILTERS) {
      const expected = await reference({ partnerId: who.id, isOperator: who.isOperator, communities: [] }, filter);
      const path = `/v1/feed/snapshot?${query(filter)}`;
      const ndjson = await t.request(path, { key: who.key, headers: { accept: 'application/x-ndjson' } });
      expect(ndjson.status).toBe(200);
      const lines = [JSON.stringify({ seq: expected.seq }), ...expected.patterns.map((p) => JSON.stringify(p))];
      expect(await ndjson.text(), `${name} ${path}`).toBe(lines.join('\n') + '\n');
      expect(ndjson.headers.get('hub-seq')).toBe(String(expected.seq));
      const doc = await t.request(path, { key: who.key });
      expect(doc.headers.get('content-type')).toBe('application/json');
      expect(await doc.text(), `${name} ${path}`).toBe(JSON.stringify(expected));
      expect(doc.headers.get('etag')).toBe(ndjson.headers.get('etag'));
      expect(doc.headers.get('etag')).toMatch(new RegExp(`^"${expected.seq}-`));
    }
  });

  it('readSnapshot tells how many live patterns it holds before the first page (a node sizes its matcher by it)', async () => {
    const events: string[] = [];
    let delivered = 0;
    await readSnapshot(t.database.db, {
      keepFor: () => () => true,
      onCount: (live) => void events.push(`count ${live}`),
      onPage: (page) => {
        if (delivered === 0) events.push('first page');
        delivered += page.length;
      },
    });
    const [stored] = await rows<{ n: number; live: number }>(t.database.db, sql`select count(*)::int as n, count(*) filter (where status in ('active', 'disputed'))::int as live from patterns`);
    // The data holds patterns that are not live (withdrawn, expired): they are not counted.
    expect(stored!.n).toBeGreaterThan(stored!.live);
    expect(events).toEqual([`count ${delivered}`, 'first page']);
    expect(delivered).toBe(stored!.live);
  });

  it('the SQL selection equals `selects` for any reader, filter and page size', async () => {
    const lists = <T>(values: readonly T[]) => fc.option(fc.uniqueArray(fc.constantFrom(...values), { maxLength: values.length }), { nil: undefined });
    const filter = fc.record(
      {
        country: lists(['PK', 'GB', 'AE', 'US']),
        category: lists(CATEGORIES),
        minConfidence: fc.integer({ min: 0, max: 100 }),
        action: fc.constantFrom('block' as const, 'flag' as const),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...READERS), fc.boolean(), filter, fc.integer({ min: 1, max: 9 }), fc.constantFrom('\n', ','), async (name, isOperator, f, pageSize, separator) => {
        const clean = Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)) as FeedFilter;
        const viewer = { partnerId: readers[name]!.id, isOperator, communities: [] };
        const expected = await reference(viewer, clean);
        const pages: string[] = [];
        const seq = await readSnapshotLines(t.database.db, { viewer, filter: clean, separator, pageSize, onPage: (text) => void pages.push(text) });
        expect(seq).toBe(expected.seq);
        expect(pages.every((p) => p.length > 0)).toBe(true);
        expect(pages.join(separator)).toBe(expected.patterns.map((p) => JSON.stringify(p)).join(separator));
      }),
      { numRuns: 60 },
    );
  });
});
