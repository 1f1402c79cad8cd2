import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IntakeResponse } from '../../schemas/indicators';
import type { PatternDetail, PatternHistory } from '../../schemas/patterns';
import { json, startTestHub, type TestHub } from '../support/harness';

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub();
});
afterAll(async () => {
  await t?.close();
});

async function submit(key: string, indicators: unknown[], headers: Record<string, string> = {}) {
  const init = json({ indicators });
  const res = await t.request('/v1/indicators', { ...init, key, headers: { ...(init.headers as object), ...headers } });
  return { status: res.status, body: (await res.json() as any) as IntakeResponse, headers: res.headers };
}

describe('intake: mixed batches', () => {
  it('accepts the valid items and rejects the others with stable codes, in input order', async () => {
    const p = await t.partner();
    const { status, body } = await submit(p.key, [
      { pattern: '+92 300 555 0001', category: 'wangiri', confidence: 80 },
      { pattern: 'not a number', category: 'wangiri' },
      { pattern: '+92 300 555 0002', category: 'no_such_category' },
      { pattern: '+92300555XXXX', category: 'scam_call_center' },
      { pattern: '+92*', category: 'irsf' },
      { pattern: '+923005550003', category: 'robocall', confidence: 500 },
      { pattern: '+923005550010-+923005550019', category: 'robocall' },
    ]);
    expect(status).toBe(200);
    expect(body.summary).toEqual({ created: 3, corroborated: 0, duplicate: 0, rejected: 4 });
    expect(body.results.map((r) => r.status)).toEqual(['created', 'rejected', 'rejected', 'created', 'rejected', 'rejected', 'created']);
    expect(body.results.map((r) => r.error?.code)).toEqual([
      undefined,
      'invalid_pattern',
      'unknown_category',
      undefined,
      'pattern_too_broad',
      'invalid_confidence',
      undefined,
    ]);
    expect(body.results[0]!.patterns).toEqual([{ id: expect.any(String), key: '+923005550001' }]);
    expect(body.results[3]!.patterns![0]!.key).toBe('+92300555XXXX');
    expect(body.results[6]!.patterns!.map((x) => x.key)).toEqual(['+92300555001X']);
    expect(body.seq).toBeGreaterThanOrEqual(3);
  });

  it('a batch of only bad items is answered 200 with every item rejected and changes nothing', async () => {
    const p = await t.partner();
    const before = await (await t.request('/v1/feed/snapshot', { key: p.key })).json() as any;
    const { status, body } = await submit(p.key, [{ pattern: '', category: 'wangiri' }, { category: 'wangiri' }, 42]);
    expect(status).toBe(200);
    expect(body.summary.rejected).toBe(3);
    expect(body.seq).toBe(before.seq);
    const after = await (await t.request('/v1/feed/snapshot', { key: p.key })).json() as any;
    expect(after).toEqual(before);
  });

  it('national numbers use the item country, else the partner country; a partner without one gets country_required semantics', async () => {
    const gb = await t.partner({ country: 'GB' });
    const { body } = await submit(gb.key, [
      { pattern: '020 7946 0123', category: 'scam_call_center' },
      { pattern: '0300 5550123', country: 'PK', category: 'scam_call_center' },
    ]);
    expect(body.results.map((r) => r.patterns?.[0]?.key)).toEqual(['+442079460123', '+923005550123']);
  });
});

describe('intake: dedup and corroboration across partners', () => {
  it('three partners sending the same number in different formats make one pattern with three reporters', async () => {
    const [a, b, c] = [await t.partner(), await t.partner(), await t.partner({ country: 'GB' })];
    const r1 = await submit(a.key, [{ pattern: '+92 (300) 777-0001', category: 'wangiri', confidence: 60 }]);
    const r2 = await submit(b.key, [{ pattern: '0300 7770001', category: 'scam_call_center', confidence: 60 }]);
    const r3 = await submit(c.key, [{ pattern: 'tel:+92-300-777-0001', category: 'wangiri', confidence: 60 }]);
    const r4 = await submit(a.key, [{ pattern: '0092 300 7770001', category: 'wangiri', confidence: 60 }]);
    expect([r1, r2, r3, r4].map((r) => r.body.results[0]!.status)).toEqual(['created', 'corroborated', 'corroborated', 'duplicate']);
    const ids = new Set([r1, r2, r3, r4].map((r) => r.body.results[0]!.patterns![0]!.id));
    expect(ids.size).toBe(1);
    const id = [...ids][0]!;
    const detail = (await (await t.request(`/v1/patterns/${id}`, { key: t.operatorKey })).json() as any) as PatternDetail;
    expect(detail.key).toBe('+923007770001');
    expect(detail.reporters).toBe(3);
    expect(detail.categories).toEqual(['scam_call_center', 'wangiri']);
    // noisy-OR of three independent 60s: 1 - 0.4^3 = 93.6
    expect(detail.confidence).toBe(93);
    expect(detail.action).toBe('block');
    expect(detail.reports.map((r) => r.partnerId).sort()).toEqual([a.id, b.id, c.id].sort());
    expect(detail.reports.find((r) => r.partnerId === a.id)!.sightings).toBe(2);
  });

  it('a duplicate moves lastSeen and never raises confidence', async () => {
    const p = await t.partner();
    const first = await submit(p.key, [{ pattern: '+923007770002', category: 'robocall', confidence: 40, observedAt: '2026-01-01T00:00:00Z' }]);
    const id = first.body.results[0]!.patterns![0]!.id;
    const before = (await (await t.request(`/v1/patterns/${id}`, { key: p.key })).json() as any) as PatternDetail;
    const again = await submit(p.key, [{ pattern: '+923007770002', category: 'robocall', confidence: 40 }]);
    expect(again.body.results[0]!.status).toBe('duplicate');
    const after = (await (await t.request(`/v1/patterns/${id}`, { key: p.key })).json() as any) as PatternDetail;
    expect(after.confidence).toBe(before.confidence);
    expect(after.reporters).toBe(1);
    expect(after.lastSeen > before.lastSeen).toBe(true);
    expect(after.firstSeen).toBe('2026-01-01T00:00:00.000Z');
  });

  it('non-operators see reports without who made them', async () => {
    const p = await t.partner();
    const { body } = await submit(p.key, [{ pattern: '+923007770003', category: 'robocall' }]);
    const detail = (await (await t.request(`/v1/patterns/${body.results[0]!.patterns![0]!.id}`, { key: p.key })).json() as any) as PatternDetail;
    expect(detail.reports).toHaveLength(1);
    expect(detail.reports[0]).not.toHaveProperty('partnerId');
    expect(detail.reports[0]).not.toHaveProperty('partnerName');
  });
});

describe('intake: CSV and NDJSON', () => {
  it('reads CSV with a header row naming the fields, empty cells as absent', async () => {
    const p = await t.partner();
    const csv = 'pattern,category,confidence,country\n+923008880001,wangiri,70,\n0300 8880002,robocall,,PK\nbad,wangiri,,\n';
    const res = await t.request('/v1/indicators', { method: 'POST', key: p.key, headers: { 'content-type': 'text/csv' }, body: csv });
    expect(res.status).toBe(200);
    const body = (await res.json() as any) as IntakeResponse;
    expect(body.results.map((r) => r.status)).toEqual(['created', 'created', 'rejected']);
    expect(body.results[1]!.patterns![0]!.key).toBe('+923008880002');
  });

  it('reads NDJSON, one item per line; a line that is not JSON is one rejected item', async () => {
    const p = await t.partner();
    const nd = [
      JSON.stringify({ pattern: '+923008880003', category: 'smishing' }),
      '{not json',
      '',
      JSON.stringify({ pattern: '+92300888XXXX', category: 'irsf' }),
    ].join('\n');
    const res = await t.request('/v1/indicators', { method: 'POST', key: p.key, headers: { 'content-type': 'application/x-ndjson' }, body: nd });
    const body = (await res.json() as any) as IntakeResponse;
    expect(body.results.map((r) => [r.status, r.error?.code])).toEqual([
      ['created', undefined],
      ['rejected', 'invalid_json'],
      ['created', undefined],
    ]);
  });
});

describe('intake: Idempotency-Key', () => {
  it('replays the first answer and has no second effect', async () => {
    const p = await t.partner();
    const items = [{ pattern: '+923009990001', category: 'wangiri' }, { pattern: 'junk', category: 'wangiri' }];
    const first = await submit(p.key, items, { 'idempotency-key': 'batch-0001' });
    const head1 = (await (await t.request('/v1/feed/changes?since=0&limit=1', { key: p.key })).json() as any).next;
    const second = await submit(p.key, items, { 'idempotency-key': 'batch-0001' });
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const detail = (await (await t.request(`/v1/patterns/${first.body.results[0]!.patterns![0]!.id}`, { key: t.operatorKey })).json() as any) as PatternDetail;
    expect(detail.reports[0]!.sightings).toBe(1);
    expect(head1).toBeLessThanOrEqual(first.body.seq);
  });

  it('concurrent retries with one key commit once', async () => {
    const p = await t.partner();
    const items = [{ pattern: '+923009990002', category: 'wangiri' }];
    const answers = await Promise.all([1, 2, 3, 4].map(() => submit(p.key, items, { 'idempotency-key': 'race-1' })));
    expect(new Set(answers.map((a) => JSON.stringify(a.body))).size).toBe(1);
    const detail = (await (await t.request(`/v1/patterns/${answers[0]!.body.results[0]!.patterns![0]!.id}`, { key: t.operatorKey })).json() as any) as PatternDetail;
    expect(detail.reports[0]!.sightings).toBe(1);
  });

  it('the same key with a different body is 422, and keys are per partner', async () => {
    const [p, q] = [await t.partner(), await t.partner()];
    await submit(p.key, [{ pattern: '+923009990003', category: 'wangiri' }], { 'idempotency-key': 'k-1' });
    const clash = await t.request('/v1/indicators', {
      ...json({ indicators: [{ pattern: '+923009990004', category: 'wangiri' }] }),
      key: p.key,
      headers: { 'content-type': 'application/json', 'idempotency-key': 'k-1' },
    });
    expect(clash.status).toBe(422);
    expect((await clash.json() as any).code).toBe('idempotency_key_reused');
    const other = await submit(q.key, [{ pattern: '+923009990004', category: 'wangiri' }], { 'idempotency-key': 'k-1' });
    expect(other.body.results[0]!.status).toBe('created');
  });
});

describe('history', () => {
  it('every state change has an audit event, oldest first, for operators only', async () => {
    const [a, b] = [await t.partner(), await t.partner()];
    const r = await submit(a.key, [{ pattern: '+923001110001', category: 'wangiri' }]);
    await submit(b.key, [{ pattern: '+923001110001', category: 'wangiri' }]);
    await submit(a.key, [{ pattern: '+923001110001', category: 'wangiri' }]);
    const id = r.body.results[0]!.patterns![0]!.id;
    const res = await t.request(`/v1/patterns/${id}/history`, { key: t.operatorKey });
    const history = (await res.json() as any) as PatternHistory;
    expect(history.events.map((e) => e.event)).toEqual(['created', 'corroborated', 'duplicate']);
    expect(history.events.map((e) => e.partnerId)).toEqual([a.id, b.id, a.id]);
    const seqs = history.events.map((e) => e.seq!);
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
    expect((await t.request(`/v1/patterns/${id}/history`, { key: a.key })).status).toBe(403);
  });

  it('keeps the raw input of every sighting', async () => {
    const p = await t.partner();
    // Quotes, backslashes, braces and commas: the rows travel as array literals (store/sql.ts arrayOf).
    const raw = { pattern: '  +92 300 111 0002 ', category: 'wangiri', evidence: 'called "400" {subscribers}, at 3am \\ \u0000 NULL', ref: 'case-77', extra: { any: ['thing'] } };
    await submit(p.key, [raw]);
    const { rows } = await import('../../src/store/sql');
    const { sql } = await import('drizzle-orm');
    const found = await rows<{ raw: string }>(t.database.db, sql`select raw from sightings s join patterns p on p.id = s.pattern_id where p.key = '+923001110002'`);
    expect(found.map((f) => JSON.parse(f.raw))).toEqual([raw]);
    expect(found.map((f) => f.raw)).toEqual([JSON.stringify(raw)]);
  });
});
