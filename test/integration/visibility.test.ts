import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangesResponse, Snapshot } from '../../schemas/feed';
import type { IntakeResponse } from '../../schemas/indicators';
import type { PatternDetail } from '../../schemas/patterns';
import { json, startTestHub, type TestHub } from '../support/harness';
import { WsSubscriber } from '../support/wsClient';

let t: TestHub;
let base: string;
type Who = { id: string; key: string };
let submitter: Who; // member of the community
let member: Who; // another member
let outsider: Who; // subscriber in no community with the submitter
let operator: Who; // operator + subscriber
const keys: Record<string, string> = {};
const ids: Record<string, string> = {};
const TLPS = ['clear', 'green', 'amber', 'red'] as const;

beforeAll(async () => {
  t = await startTestHub({ wsPositionMs: 100 });
  base = await t.listen();
  submitter = await t.partner({ roles: ['submitter', 'subscriber'] });
  member = await t.partner({ roles: ['subscriber'] });
  outsider = await t.partner({ roles: ['subscriber'] });
  operator = await t.partner({ roles: ['operator', 'subscriber'] });
  const res = await t.request('/v1/communities', { ...json({ name: 'south-asia', members: [submitter.id, member.id] }), key: t.operatorKey });
  expect(res.status).toBe(201);
  const body = (await (await t.request('/v1/indicators', {
    ...json({ indicators: TLPS.map((tlp, i) => ({ pattern: `+92300600000${i}`, category: 'wangiri', confidence: 90, tlp })) }),
    key: submitter.key,
  })).json()) as IntakeResponse;
  TLPS.forEach((tlp, i) => {
    keys[tlp] = body.results[i]!.patterns![0]!.key;
    ids[tlp] = body.results[i]!.patterns![0]!.id;
  });
  await t.hub.tail.waitFor(body.seq - 1, 5000);
});
afterAll(async () => {
  await t?.close();
});

/** What each kind of partner may see, by TLP. */
const MATRIX: Record<string, Record<(typeof TLPS)[number], boolean>> = {
  submitter: { clear: true, green: true, amber: true, red: false },
  member: { clear: true, green: true, amber: true, red: false },
  outsider: { clear: true, green: true, amber: false, red: false },
  operator: { clear: true, green: true, amber: true, red: true },
};
const who = () => ({ submitter, member, outsider, operator });

describe('visibility matrix: every TLP level, every kind of partner, every channel', () => {
  it.each(Object.keys(MATRIX))('%s', async (name) => {
    const p = who()[name as keyof ReturnType<typeof who>];
    const expected = TLPS.filter((tlp) => MATRIX[name]![tlp]).map((tlp) => keys[tlp]).sort();
    const mine = (list: { key: string }[]) => list.map((x) => x.key).filter((k) => Object.values(keys).includes(k)).sort();

    const snap = (await (await t.request('/v1/feed/snapshot', { key: p.key })).json()) as Snapshot;
    expect(mine(snap.patterns), 'snapshot').toEqual(expected);

    const changes = (await (await t.request('/v1/feed/changes?since=0&limit=10000', { key: p.key })).json()) as ChangesResponse;
    expect(mine(changes.changes.map((c) => c.pattern)), 'changes').toEqual(expected);

    const ws = new WsSubscriber(base, p.key);
    await ws.connect();
    await ws.until(() => ws.live);
    expect(mine(ws.list.sorted()), 'websocket').toEqual(expected);
    ws.close();

    for (const tlp of TLPS) {
      const look = (await (await t.request(`/v1/lookup?number=${encodeURIComponent(keys[tlp]!)}`, { key: p.key })).json()) as { matches: unknown[] };
      expect(look.matches.length, `lookup ${tlp}`).toBe(MATRIX[name]![tlp] ? 1 : 0);
      const read = await t.request(`/v1/patterns/${ids[tlp]}`, { key: p.key });
      expect(read.status, `pattern read ${tlp}`).toBe(MATRIX[name]![tlp] ? 200 : 404);
    }
    // the wire never carries the audience
    expect(JSON.stringify(snap)).not.toContain('audience');
  });

  it('a pattern is visible at its most open sighting; the hidden sighting stays hidden', async () => {
    const other = await t.partner({ roles: ['submitter'] });
    const r = (await (await t.request('/v1/indicators', { ...json({ indicators: [{ pattern: keys.red, category: 'irsf', confidence: 80, tlp: 'green' }] }), key: other.key })).json()) as IntakeResponse;
    await t.hub.tail.waitFor(r.seq - 1, 5000);
    const read = (await (await t.request(`/v1/patterns/${ids.red}`, { key: outsider.key })).json()) as PatternDetail;
    expect(read.tlp).toBe('green');
    expect(read.reports).toHaveLength(1); // the red report is not shown
    expect(read.reports[0]!.categories).toEqual(['irsf']);
    const asOperator = (await (await t.request(`/v1/patterns/${ids.red}`, { key: operator.key })).json()) as PatternDetail;
    expect(asOperator.reports).toHaveLength(2);
  });

  it('joining a community: the feeds of its members resync and then carry its amber patterns', async () => {
    const late = await t.partner({ roles: ['subscriber'] });
    const ws = new WsSubscriber(base, late.key);
    await ws.connect();
    await ws.until(() => ws.live);
    expect(ws.list.byKey.has(keys.amber!)).toBe(false);
    const pulledSeq = ((await (await t.request('/v1/feed/changes?since=0&limit=10000', { key: late.key })).json()) as ChangesResponse).next;
    const res = await t.request('/v1/communities', { ...json({ name: 'late-joiners', members: [late.id, submitter.id] }), key: t.operatorKey });
    expect(res.status).toBe(201);
    await ws.until(() => ws.closeCode !== null, 5000, 'resync close');
    expect(ws.messages.some((m) => m.type === 'error' && m.code === 'resync_required')).toBe(true);
    // A pull from before the change must resync too.
    const stale = await t.request(`/v1/feed/changes?since=${pulledSeq}`, { key: late.key });
    expect(stale.status).toBe(410);
    const fresh = new WsSubscriber(base, late.key);
    await fresh.connect();
    await fresh.until(() => fresh.live);
    expect(fresh.list.byKey.has(keys.amber!)).toBe(true);
    fresh.close();
  });
});
