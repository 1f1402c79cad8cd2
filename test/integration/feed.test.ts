import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangesResponse, Snapshot } from '../../schemas/feed';
import type { IntakeResponse } from '../../schemas/indicators';
import { pruneChanges } from '../../src/store/changeLog';
import { json, startTestHub, type TestHub } from '../support/harness';

let t: TestHub;
let sub: { id: string; key: string };
beforeAll(async () => {
  t = await startTestHub();
  sub = await t.partner();
});
afterAll(async () => {
  await t?.close();
});

async function submit(key: string, indicators: unknown[]): Promise<IntakeResponse> {
  const res = await t.request('/v1/indicators', { ...json({ indicators }), key });
  expect(res.status).toBe(200);
  return (await res.json() as any) as IntakeResponse;
}
const changes = async (query: string, key = sub.key) => {
  const res = await t.request(`/v1/feed/changes?${query}`, { key });
  return { status: res.status, body: (await res.json() as any) as ChangesResponse & { code?: string } };
};

describe('snapshot', () => {
  it('JSON and streamed NDJSON carry the same patterns at the same seq', async () => {
    await submit(sub.key, [
      { pattern: '+923002220001', category: 'wangiri' },
      { pattern: '+92300222XXXX', category: 'irsf' },
      { pattern: '+92300223*', category: 'robocall' },
    ]);
    const asJson = (await (await t.request('/v1/feed/snapshot', { key: sub.key })).json() as any) as Snapshot;
    const res = await t.request('/v1/feed/snapshot', { key: sub.key, headers: { accept: 'application/x-ndjson' } });
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toEqual({ seq: asJson.seq });
    expect(lines.slice(1)).toEqual(asJson.patterns);
    expect(res.headers.get('etag')).toBeTruthy();
    expect(asJson.patterns.map((p) => p.key)).toEqual(expect.arrayContaining(['+923002220001', '+92300222XXXX', '+92300223*']));
  });

  it('ETag / If-None-Match: 304 while nothing changed, 200 after a change', async () => {
    const first = await t.request('/v1/feed/snapshot', { key: sub.key });
    const etag = first.headers.get('etag')!;
    const again = await t.request('/v1/feed/snapshot', { key: sub.key, headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    // a different filter is a different representation
    const filtered = await t.request('/v1/feed/snapshot?country=GB', { key: sub.key, headers: { 'if-none-match': etag } });
    expect(filtered.status).toBe(200);
    await submit(sub.key, [{ pattern: '+923002220002', category: 'wangiri' }]);
    const after = await t.request('/v1/feed/snapshot', { key: sub.key, headers: { 'if-none-match': etag } });
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(etag);
  });
});

describe('changes', () => {
  it('pages with limit, next and hasMore, in seq order', async () => {
    const { body: all } = await changes('since=0&limit=10000');
    const { body: page1 } = await changes('since=0&limit=2');
    expect(page1.changes.map((c) => c.seq)).toEqual([1, 2]);
    expect(page1.next).toBe(2);
    expect(page1.hasMore).toBe(true);
    const { body: rest } = await changes(`since=${page1.next}&limit=10000`);
    expect([...page1.changes, ...rest.changes]).toEqual(all.changes);
    expect(rest.hasMore).toBe(false);
  });

  it('a filtered reader gets a remove when a pattern stops matching, and next passes what it was not sent', async () => {
    const a = await t.partner();
    const b = await t.partner();
    const r = await submit(a.key, [{ pattern: '+923002230001', category: 'scam_call_center', confidence: 50 }]);
    const start = r.seq - 1;
    const { body: before } = await changes(`since=${start}&action=flag`);
    expect(before.changes.map((c) => [c.op, c.pattern.key])).toEqual([['upsert', '+923002230001']]);
    // a second partner corroborates: 1-(0.5*0.4)=80 -> block, so it leaves the flag-only list
    const r2 = await submit(b.key, [{ pattern: '+923002230001', category: 'scam_call_center', confidence: 60 }]);
    const { body: after } = await changes(`since=${before.next}&action=flag`);
    expect(after.changes.map((c) => [c.op, c.pattern.key, c.pattern.action])).toEqual([['remove', '+923002230001', 'block']]);
    // an unrelated change the filter does not select still moves next
    const r3 = await submit(a.key, [{ pattern: '+442079460999', category: 'irsf', confidence: 90 }]);
    const { body: skipped } = await changes(`since=${after.next}&country=PK`);
    expect(skipped.changes).toEqual([]);
    expect(skipped.next).toBe(r3.seq);
    expect(r3.seq).toBeGreaterThan(r2.seq);
  });

  it('since past the head is 410 resync_required', async () => {
    const { status, body } = await changes('since=999999999');
    expect(status).toBe(410);
    expect(body.code).toBe('resync_required');
  });

  it('wait long-polls until a change commits', async () => {
    const { body: now } = await changes('since=0&limit=10000');
    const started = Date.now();
    const polling = changes(`since=${now.next}&wait=10`);
    await new Promise((r) => setTimeout(r, 300));
    const r = await submit(sub.key, [{ pattern: '+923002240001', category: 'wangiri' }]);
    const { body } = await polling;
    expect(body.changes.map((c) => c.seq)).toEqual([r.seq]);
    expect(Date.now() - started).toBeLessThan(8000);
  });

  it('wait returns empty when nothing commits in time', async () => {
    const { body: now } = await changes('since=0&limit=10000');
    const started = Date.now();
    const { status, body } = await changes(`since=${now.next}&wait=1`);
    expect(status).toBe(200);
    expect(body).toEqual({ changes: [], next: now.next, hasMore: false });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it.each(['since=-1', 'since=abc', 'limit=0&since=0', 'limit=10001&since=0', 'wait=61&since=0', 'since=0&action=nuke', 'since=0&category=fraud', 'since=0&country=PAK', ''])(
    'bad query %s is 400 invalid_request',
    async (q) => {
      const { status, body } = await changes(q);
      expect(status).toBe(400);
      expect(body.code).toBe('invalid_request');
    },
  );

  it('past retention is 410 resync_required (runs last: it prunes the log)', async () => {
    await submit(sub.key, [{ pattern: '+923002250001', category: 'wangiri' }]);
    const pruned = await pruneChanges(t.database.db, new Date(Date.now() + 60_000));
    expect(pruned).toBeGreaterThan(0);
    const { status, body } = await changes('since=0');
    expect(status).toBe(410);
    expect(body.code).toBe('resync_required');
    const fromHere = await changes(`since=${pruned}`);
    expect(fromHere.status).toBe(200);
    expect(fromHere.body.changes.length).toBe(1);
  });
});

describe('visibility on every channel', () => {
  it('amber and red patterns reach operators only: not the snapshot, changes, lookup or pattern reads of a subscriber', async () => {
    const opSub = await t.partner({ roles: ['operator', 'subscriber'] });
    const r = await submit(sub.key, [
      { pattern: '+923002260001', category: 'wangiri', tlp: 'red' },
      { pattern: '+923002260002', category: 'wangiri', tlp: 'amber' },
      { pattern: '+923002260003', category: 'wangiri', tlp: 'clear' },
    ]);
    const hidden = ['+923002260001', '+923002260002'];
    const snap = (await (await t.request('/v1/feed/snapshot', { key: sub.key })).json() as any) as Snapshot;
    expect(snap.patterns.map((p) => p.key)).toContain('+923002260003');
    expect(snap.patterns.map((p) => p.key)).not.toEqual(expect.arrayContaining([hidden[0]]));
    expect(snap.patterns.map((p) => p.key)).not.toEqual(expect.arrayContaining([hidden[1]]));
    const { body } = await changes(`since=${r.seq - 3}`);
    expect(body.changes.map((c) => c.pattern.key)).toEqual(['+923002260003']);
    const { body: opBody } = await changes(`since=${r.seq - 3}`, opSub.key);
    expect(opBody.changes.map((c) => c.pattern.key)).toEqual(['+923002260001', '+923002260002', '+923002260003']);
    await t.hub.tail.waitFor(r.seq - 1, 5000);
    const look = await (await t.request('/v1/lookup?number=%2B923002260001', { key: sub.key })).json() as any;
    expect(look).toMatchObject({ verdict: 'allow', matches: [] });
    const opLook = await (await t.request('/v1/lookup?number=%2B923002260001', { key: opSub.key })).json() as any;
    expect(opLook.matches).toHaveLength(1);
    const read = await t.request(`/v1/patterns/${r.results[0]!.patterns![0]!.id}`, { key: sub.key });
    expect(read.status).toBe(404);
  });
});
