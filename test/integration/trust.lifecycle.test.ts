import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../schemas/feed';
import type { IntakeResponse } from '../../schemas/indicators';
import type { Pattern, PatternHistory } from '../../schemas/patterns';
import { json, startTestHub, type TestHub } from '../support/harness';
import { byKey } from '../support/feedClient';
import { WsSubscriber } from '../support/wsClient';

// The hub's clock, moved by the tests (expiry, certificate lapses).
let now = Date.parse('2026-11-25T12:00:00.000Z');
const DAY = 86_400_000;
let t: TestHub;
let base: string;
let op: string;
beforeAll(async () => {
  t = await startTestHub({ clock: () => new Date(now), wsPositionMs: 100 });
  base = await t.listen();
  op = t.operatorKey;
});
afterAll(async () => {
  await t?.close();
});

async function submit(key: string, indicators: unknown[]): Promise<IntakeResponse> {
  const res = await t.request('/v1/indicators', { ...json(indicators.length ? { indicators } : {}), key });
  expect(res.status).toBe(200);
  return (await res.json() as any) as IntakeResponse;
}
const post = (path: string, key: string, body: unknown) => t.request(path, { ...json(body), key });
const pattern = async (id: string) => (await (await t.request(`/v1/patterns/${id}`, { key: op })).json() as any) as Pattern;
const subscriber = async () => {
  const s = new WsSubscriber(base, (await t.partner({ roles: ['subscriber'] })).key);
  await s.connect();
  await s.until(() => s.live);
  return s;
};

describe('expiry', () => {
  it('validUntil defaults per category; the sweeper expires it into a remove a live subscriber receives; a new sighting revives it', async () => {
    const p = await t.partner();
    const s = await subscriber();
    const r = await submit(p.key, [{ pattern: '+923005100001', category: 'wangiri', confidence: 90 }]);
    const id = r.results[0]!.patterns![0]!.id;
    expect((await pattern(id)).validUntil).toBe(new Date(now + 30 * DAY).toISOString());
    await s.until(() => s.list.byKey.has('+923005100001'));

    now += 29 * DAY;
    expect((await t.hub.sweep()).expired).toBe(0);
    now += 2 * DAY;
    expect((await t.hub.sweep()).expired).toBeGreaterThanOrEqual(1);
    await s.until(() => !s.list.byKey.has('+923005100001'), 5000, 'remove after expiry');
    expect((await pattern(id)).status).toBe('expired');
    const look = await (await t.request('/v1/lookup?number=%2B923005100001', { key: op })).json() as any;
    expect(look.verdict).toBe('allow');

    await submit(p.key, [{ pattern: '+923005100001', category: 'wangiri', confidence: 90 }]);
    await s.until(() => s.list.byKey.get('+923005100001')?.status === 'active', 5000, 'revived');
    expect((await pattern(id)).validUntil).toBe(new Date(now + 30 * DAY).toISOString());
    const history = (await (await t.request(`/v1/patterns/${id}/history`, { key: op })).json() as any) as PatternHistory;
    expect(history.events.map((e) => e.event)).toEqual(['created', 'expired', 'duplicate']);
    s.close();
  });
});

describe('revocation', () => {
  it('an operator or the only reporter revokes with a reason; anyone else is 403; revoked stays out of every feed', async () => {
    const [a, b] = [await t.partner(), await t.partner()];
    const s = await subscriber();
    const mine = (await submit(a.key, [{ pattern: '+923005200001', category: 'irsf', confidence: 90 }])).results[0]!.patterns![0]!.id;
    const shared = (await submit(a.key, [{ pattern: '+923005200002', category: 'irsf', confidence: 90 }])).results[0]!.patterns![0]!.id;
    await submit(b.key, [{ pattern: '+923005200002', category: 'irsf', confidence: 90 }]);
    await s.until(() => s.list.byKey.has('+923005200002'));

    expect((await post(`/v1/patterns/${mine}/revoke`, b.key, { reason: 'not mine' })).status).toBe(403);
    expect((await post(`/v1/patterns/${shared}/revoke`, a.key, { reason: 'two reporters' })).status).toBe(403);
    const own = await post(`/v1/patterns/${mine}/revoke`, a.key, { reason: 'submitted by mistake' });
    expect(own.status).toBe(200);
    expect((await own.json() as any).status).toBe('revoked');
    expect((await post(`/v1/patterns/${shared}/revoke`, op, { reason: 'false positive' })).status).toBe(200);
    expect((await post(`/v1/patterns/${shared}/revoke`, op, {})).status).toBe(400);
    await s.until(() => !s.list.byKey.has('+923005200001') && !s.list.byKey.has('+923005200002'), 5000, 'removes');

    // A new sighting is recorded but does not bring a revoked pattern back.
    const again = await submit(b.key, [{ pattern: '+923005200001', category: 'irsf', confidence: 90 }]);
    expect(again.results[0]!.status).toBe('corroborated');
    expect((await pattern(mine)).status).toBe('revoked');
    const history = (await (await t.request(`/v1/patterns/${mine}/history`, { key: op })).json() as any) as PatternHistory;
    expect(history.events.find((e) => e.event === 'revoked')!.detail).toMatchObject({ reason: 'submitted by mistake' });
    s.close();
  });
});

describe('disputes', () => {
  it('a disputed pattern is at most flag; restore returns it as it was; revoke removes it from every feed', async () => {
    const [a, b, c] = [await t.partner(), await t.partner(), await t.partner({ roles: ['subscriber'] })];
    const s = await subscriber();
    const id = (await submit(a.key, [{ pattern: '+923005300001', category: 'scam_call_center', confidence: 95 }])).results[0]!.patterns![0]!.id;
    const before = await pattern(id);
    expect(before.action).toBe('block');

    const opened = await post(`/v1/patterns/${id}/disputes`, c.key, { reason: 'this is our customer service line' });
    expect(opened.status).toBe(201);
    const dispute = await opened.json() as any;
    expect(dispute).toMatchObject({ status: 'open', pattern: { status: 'disputed', action: 'flag' } });
    await s.until(() => s.list.byKey.get('+923005300001')?.action === 'flag', 5000, 'flag on the feed');
    // still disputed when corroborated
    await submit(b.key, [{ pattern: '+923005300001', category: 'scam_call_center', confidence: 95 }]);
    expect((await pattern(id)).action).toBe('flag');

    const list = await (await t.request('/v1/disputes?status=open', { key: op })).json() as any;
    expect(list.disputes.map((d: { id: string }) => d.id)).toContain(dispute.id);
    expect((await t.request('/v1/disputes', { key: a.key })).status).toBe(403);

    const restored = await post(`/v1/disputes/${dispute.id}/resolve`, op, { outcome: 'restore', note: 'verified fraud' });
    expect(restored.status).toBe(200);
    expect((await restored.json() as any).disputes[0]).toMatchObject({ status: 'restored', note: 'verified fraud' });
    expect(await pattern(id)).toMatchObject({ status: 'active', action: 'block', reporters: 2 });
    await s.until(() => s.list.byKey.get('+923005300001')?.action === 'block', 5000, 'block again');
    expect((await post(`/v1/disputes/${dispute.id}/resolve`, op, { outcome: 'revoke', note: 'again' })).status).toBe(409);

    const second = await (await post(`/v1/patterns/${id}/disputes`, c.key, { reason: 'still ours' })).json() as any;
    const revoked = await post(`/v1/disputes/${second.id}/resolve`, op, { outcome: 'revoke', note: 'certified line' });
    expect(revoked.status).toBe(200);
    expect((await pattern(id)).status).toBe('revoked');
    await s.until(() => !s.list.byKey.has('+923005300001'), 5000, 'removed');
    expect((await post(`/v1/patterns/${id}/disputes`, c.key, { reason: 'x' })).status).toBe(409);
    const history = (await (await t.request(`/v1/patterns/${id}/history`, { key: op })).json() as any) as PatternHistory;
    expect(history.events.map((e) => e.event)).toEqual(['created', 'disputed', 'corroborated', 'restored', 'disputed', 'revoked']);
    s.close();
  });

  it('disputing an unknown pattern is 404; a bad body is 400', async () => {
    const p = await t.partner();
    expect((await post('/v1/patterns/00000000-0000-4000-8000-000000000000/disputes', p.key, { reason: 'x' })).status).toBe(404);
    expect((await post('/v1/disputes/00000000-0000-4000-8000-000000000000/resolve', op, { outcome: 'revoke', note: 'x' })).status).toBe(404);
    expect((await post('/v1/disputes/00000000-0000-4000-8000-000000000000/resolve', op, { outcome: 'maybe', note: 'x' })).status).toBe(400);
  });
});

describe('allowlist of certified legitimate numbers', () => {
  it('an allowlisted number reported by three partners is never pushed; lookup answers allow with the holder; the conflict is queued', async () => {
    const s = await subscriber();
    const added = await post('/v1/allowlist', op, { pattern: '+92 21 1112 2XXX', holder: 'Karachi Bank call centre', certificate: 'PTA-CC-2026-0042' });
    expect(added.status).toBe(201);
    const entry = await added.json() as any;
    expect(entry.keys).toEqual(['+922111122XXX']);
    const partners = [await t.partner(), await t.partner(), await t.partner()];
    let seq = 0;
    for (const p of partners) seq = (await submit(p.key, [{ pattern: '+922111122233', category: 'spoofed_cli', confidence: 90 }])).seq;
    await s.until(() => s.list.seq >= seq, 5000, 'position');
    expect(s.list.byKey.has('+922111122233')).toBe(false);
    expect(s.messages.flatMap((m) => (m.type === 'changes' ? m.changes : [])).some((c) => c.pattern.key === '+922111122233')).toBe(false);
    const look = await (await t.request('/v1/lookup?number=%2B922111122233', { key: partners[0]!.key })).json() as any;
    expect(look).toMatchObject({ verdict: 'allow', allowlisted: { holder: 'Karachi Bank call centre', certificate: 'PTA-CC-2026-0042' } });
    const conflicts = await (await t.request('/v1/conflicts', { key: op })).json() as any;
    const mine = conflicts.conflicts.find((c: { pattern: Pattern }) => c.pattern.key === '+922111122233');
    expect(mine.pattern).toMatchObject({ status: 'held', reporters: 3 });
    expect(mine.allowlist).toEqual([{ id: entry.id, holder: 'Karachi Bank call centre', certificate: 'PTA-CC-2026-0042' }]);
    s.close();
  });

  it('registering an entry holds patterns already in feeds (remove); removing it releases them (upsert)', async () => {
    const p = await t.partner();
    const s = await subscriber();
    await submit(p.key, [{ pattern: '+923005400001', category: 'robocall', confidence: 90 }, { pattern: '+92300540XXXX', category: 'robocall', confidence: 90 }]);
    await s.until(() => s.list.byKey.has('+923005400001') && s.list.byKey.has('+92300540XXXX'));
    const entry = await (await post('/v1/allowlist', op, { pattern: '+923005400001', holder: 'BPO Ltd', certificate: 'C-1' })).json() as any;
    expect(entry.held).toBe(2); // the number, and the block that covers it
    await s.until(() => !s.list.byKey.has('+923005400001') && !s.list.byKey.has('+92300540XXXX'), 5000, 'held');
    const list = await (await t.request('/v1/allowlist', { key: op })).json() as any;
    expect(list.entries.map((e: { id: string }) => e.id)).toContain(entry.id);
    expect((await t.request(`/v1/allowlist/${entry.id}`, { method: 'DELETE', key: op })).status).toBe(204);
    expect((await t.request(`/v1/allowlist/${entry.id}`, { method: 'DELETE', key: op })).status).toBe(404);
    await s.until(() => s.list.byKey.has('+923005400001') && s.list.byKey.has('+92300540XXXX'), 5000, 'released');
    const look = await (await t.request('/v1/lookup?number=%2B923005400001', { key: op })).json() as any;
    expect(look.verdict).toBe('block');
    const snap = (await (await t.request('/v1/feed/snapshot', { key: (await t.partner({ roles: ['subscriber'] })).key })).json() as any) as Snapshot;
    expect(s.list.sorted()).toEqual(byKey(snap.patterns));
    s.close();
  });

  it('an entry whose certificate lapses is dropped by the sweeper and releases what it held', async () => {
    const p = await t.partner();
    const entry = await (await post('/v1/allowlist', op, { pattern: '+923005500001', holder: 'Temp', certificate: 'T-1', validUntil: new Date(now + DAY).toISOString() })).json() as any;
    const id = (await submit(p.key, [{ pattern: '+923005500001', category: 'robocall', confidence: 90 }])).results[0]!.patterns![0]!.id;
    expect((await pattern(id)).status).toBe('held');
    now += 2 * DAY;
    expect((await t.hub.sweep()).lapsed).toBe(1);
    expect((await pattern(id)).status).toBe('active');
    const list = await (await t.request('/v1/allowlist', { key: op })).json() as any;
    expect(list.entries.map((e: { id: string }) => e.id)).not.toContain(entry.id);
  });

  it('a bad entry is 400', async () => {
    expect((await post('/v1/allowlist', op, { pattern: 'nope', holder: 'x', certificate: 'y' })).status).toBe(400);
    expect((await post('/v1/allowlist', op, { pattern: '+923001234567', holder: '', certificate: 'y' })).status).toBe(400);
    const p = await t.partner();
    expect((await post('/v1/allowlist', p.key, { pattern: '+923001234567', holder: 'x', certificate: 'y' })).status).toBe(403);
  });
});

describe('do-not-originate declarations', () => {
  it('a holder declares numbers inside its holdings: block with full confidence; outside its holdings is 422', async () => {
    const holder = await t.partner();
    expect((await post(`/v1/partners/${holder.id}/holdings`, op, { pattern: '+92 21 3333 XXXX' })).status).toBe(201);
    const holdings = await (await t.request(`/v1/partners/${holder.id}/holdings`, { key: op })).json() as any;
    expect(holdings.holdings.map((h: { key: string }) => h.key)).toEqual(['+92213333XXXX']);
    const declared = await post('/v1/dno', holder.key, { pattern: '021 3333 1000', country: 'PK' });
    expect(declared.status).toBe(201);
    const body = await declared.json() as any;
    expect(body.patterns.map((p: { key: string }) => p.key)).toEqual(['+922133331000']);
    expect(await pattern(body.patterns[0].id)).toMatchObject({ action: 'block', confidence: 100, reporters: 1, validUntil: null });
    await t.hub.tail.waitFor(body.seq - 1, 5000);
    const look = await (await t.request('/v1/lookup?number=%2B922133331000', { key: op })).json() as any;
    expect(look.verdict).toBe('block');
    const outside = await post('/v1/dno', holder.key, { pattern: '+922144441000' });
    expect(outside.status).toBe(422);
    expect((await outside.json() as any).code).toBe('not_in_holdings');
  });
});
