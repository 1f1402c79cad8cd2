import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../schemas/feed';
import type { IntakeResponse } from '../../schemas/indicators';
import { json, startTestHub, type TestHub } from '../support/harness';
import { byKey } from '../support/feedClient';
import { WsSubscriber } from '../support/wsClient';

let t: TestHub;
let base: string;
let submitter: { id: string; key: string };
beforeAll(async () => {
  t = await startTestHub({ wsPositionMs: 200, wsHeartbeatMs: 250 });
  base = await t.listen();
  submitter = await t.partner({ roles: ['submitter'] });
});
afterAll(async () => {
  await t?.close();
});

async function submit(indicators: unknown[], key = submitter.key): Promise<IntakeResponse> {
  const res = await t.request('/v1/indicators', { ...json({ indicators }), key });
  return (await res.json()) as IntakeResponse;
}
const snapshotOf = async (key: string, query = '') =>
  (await (await t.request(`/v1/feed/snapshot${query}`, { key })).json()) as Snapshot;

describe('WebSocket feed: subscribe', () => {
  it('without since: snapshot chunks, then live, then changes as they commit', async () => {
    await submit([{ pattern: '+923004000001', category: 'wangiri' }, { pattern: '+92300400XXXX', category: 'irsf' }]);
    const p = await t.partner({ roles: ['subscriber'] });
    const s = new WsSubscriber(base, p.key);
    await s.connect();
    await s.until(() => s.live, 10_000, 'live');
    const types = s.messages.map((m) => m.type);
    expect(types[0]).toBe('snapshot');
    expect(types.indexOf('live')).toBeGreaterThan(types.lastIndexOf('snapshot'));
    expect(s.list.sorted()).toEqual(byKey((await snapshotOf(p.key)).patterns));
    const r = await submit([{ pattern: '+923004000002', category: 'wangiri', confidence: 90 }]);
    await s.until(() => s.list.seq >= r.seq, 5000, 'the new change');
    expect(s.list.byKey.get('+923004000002')?.action).toBe('block');
    const last = s.messages.at(-1)!;
    expect(last).toMatchObject({ type: 'changes', seq: r.seq });
    s.close();
  });

  it('with since: catch-up changes, then live; nothing twice', async () => {
    const p = await t.partner({ roles: ['subscriber'] });
    const from = (await snapshotOf(p.key)).seq;
    const r = await submit(Array.from({ length: 30 }, (_, i) => ({ pattern: `+92300401${String(i).padStart(4, '0')}`, category: 'robocall' })));
    const s = new WsSubscriber(base, p.key);
    s.list.seq = from;
    await s.connect({ since: from });
    await s.until(() => s.live && s.list.seq >= r.seq, 10_000, 'caught up');
    expect(s.messages.some((m) => m.type === 'snapshot')).toBe(false);
    expect(s.list.seenSeqs).toEqual(Array.from({ length: r.seq - from }, (_, i) => from + i + 1));
    s.close();
  });

  it('since past the head: error resync_required, then a snapshot subscribe on the same socket works', async () => {
    const p = await t.partner({ roles: ['subscriber'] });
    const s = new WsSubscriber(base, p.key);
    await s.connect({ since: 99_999_999 });
    await s.until(() => s.messages.length > 0);
    expect(s.messages[0]).toMatchObject({ type: 'error', code: 'resync_required' });
    s.ws!.send(JSON.stringify({ type: 'subscribe' }));
    await s.until(() => s.live, 10_000, 'live after resync');
    expect(s.closeCode).toBeNull();
    s.close();
  });

  it('filters on the server: a pattern that stops matching is sent as remove; idle subscribers get position', async () => {
    const p = await t.partner({ roles: ['subscriber'] });
    const other = await t.partner({ roles: ['submitter'] });
    const s = new WsSubscriber(base, p.key, { action: 'flag', country: ['PK'] });
    await s.connect();
    await s.until(() => s.live);
    const r1 = await submit([{ pattern: '+923004020001', category: 'scam_call_center', confidence: 50 }]);
    await s.until(() => s.list.byKey.has('+923004020001'), 5000, 'flagged pattern');
    await submit([{ pattern: '+923004020001', category: 'scam_call_center', confidence: 60 }], other.key);
    await s.until(() => !s.list.byKey.has('+923004020001'), 5000, 'remove');
    const removes = s.messages.flatMap((m) => (m.type === 'changes' ? m.changes : [])).filter((c) => c.op === 'remove');
    expect(removes.map((c) => c.pattern.key)).toEqual(['+923004020001']);
    // A GB change is not for this subscriber: it learns the new position without a change.
    const r3 = await submit([{ pattern: '+442079461111', category: 'irsf', confidence: 90 }]);
    await s.until(() => s.messages.some((m) => m.type === 'position' && m.seq >= r3.seq), 5000, 'position');
    expect(r3.seq).toBeGreaterThan(r1.seq);
    expect(s.list.sorted()).toEqual(byKey((await snapshotOf(p.key, '?action=flag&country=PK')).patterns));
    s.close();
  });

  it('acks move the partner position shown to operators, with connected and lag', async () => {
    const p = await t.partner({ roles: ['subscriber'] });
    const s = new WsSubscriber(base, p.key);
    await s.connect({ ackEvery: true });
    await s.until(() => s.live);
    const r = await submit([{ pattern: '+923004030001', category: 'wangiri' }]);
    await s.until(() => s.list.seq >= r.seq);
    const deadline = Date.now() + 5000;
    let mine: { ackedSeq: number; connected: number; lag: number } | undefined;
    while (Date.now() < deadline) {
      const list = await (await t.request('/v1/partners', { key: t.operatorKey })).json() as { partners: { id: string; ackedSeq: number; connected: number; lag: number }[] };
      mine = list.partners.find((x) => x.id === p.id);
      if (mine && mine.ackedSeq >= r.seq) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(mine).toMatchObject({ ackedSeq: r.seq, connected: 1, lag: 0 });
    s.close();
  });
});

describe('WebSocket feed: auth and bad messages', () => {
  const upgrade = (key?: string, path = '/v1/feed/ws') =>
    new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(base.replace('http', 'ws') + path, key ? { headers: { authorization: `Bearer ${key}` } } : {});
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => {
        ws.close();
        resolve(101);
      });
      ws.once('error', reject);
    });

  it('no key is 401, a wrong key 401, a wrong role 403, before the upgrade', async () => {
    expect(await upgrade()).toBe(401);
    expect(await upgrade('fph_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).toBe(401);
    const sub = await t.partner({ roles: ['submitter'] });
    expect(await upgrade(sub.key)).toBe(403);
    expect(await upgrade(sub.key, '/v1/feed/other')).toBe(404);
  });

  it('a partner disabled mid-stream is closed with 4001 at once, and its key stops working', async () => {
    const p = await t.partner({ roles: ['subscriber'] });
    const s = new WsSubscriber(base, p.key);
    await s.connect();
    await s.until(() => s.live);
    const res = await t.request(`/v1/partners/${p.id}/disable`, { method: 'POST', key: t.operatorKey });
    expect(res.status).toBe(200);
    await s.until(() => s.closeCode !== null, 3000, 'close');
    expect(s.closeCode).toBe(4001);
    expect(await upgrade(p.key)).toBe(401);
    await t.request(`/v1/partners/${p.id}/enable`, { method: 'POST', key: t.operatorKey });
    expect(await upgrade(p.key)).toBe(101);
  });

  it.each([
    ['not JSON', 'hello', 'bad_message'],
    ['an unknown type', JSON.stringify({ type: 'dance' }), 'bad_message'],
    ['a bad filter', JSON.stringify({ type: 'subscribe', filter: { action: 'nuke' } }), 'bad_message'],
    ['a negative since', JSON.stringify({ type: 'subscribe', since: -5 }), 'bad_message'],
    ['an oversized message', JSON.stringify({ type: 'subscribe', pad: 'x'.repeat(20_000) }), 'message_too_large'],
  ])('%s: error, then close 4400', async (_name, frame, code) => {
    const p = await t.partner({ roles: ['subscriber'] });
    const ws = new WebSocket(base.replace('http', 'ws') + '/v1/feed/ws', { headers: { authorization: `Bearer ${p.key}` } });
    await new Promise((r) => ws.once('open', r));
    const got: string[] = [];
    ws.on('message', (d) => got.push(d.toString()));
    const closed = new Promise<number>((r) => ws.once('close', (c) => r(c)));
    ws.send(frame);
    expect(await closed).toBe(4400);
    expect(JSON.parse(got[0]!)).toMatchObject({ type: 'error', code });
    // the hub is fine
    expect((await t.request('/healthz')).status).toBe(200);
  });

  it('heartbeats: a peer that stops answering pings is terminated; a live one stays', async () => {
    const p = await t.partner({ roles: ['subscriber'] });
    const open = (autoPong: boolean) =>
      new Promise<WebSocket>((resolve) => {
        const ws = new WebSocket(base.replace('http', 'ws') + '/v1/feed/ws', { headers: { authorization: `Bearer ${p.key}` }, autoPong });
        ws.once('open', () => resolve(ws));
      });
    const [dead, alive] = [await open(false), await open(true)];
    const started = Date.now();
    const code = await new Promise<number>((r) => dead.once('close', (c) => r(c)));
    expect(code).toBe(1006); // terminated, no close handshake
    expect(Date.now() - started).toBeLessThan(3000);
    expect(alive.readyState).toBe(WebSocket.OPEN);
    alive.close();
  });

  it('a second subscribe on a live connection is refused', async () => {
    const p = await t.partner({ roles: ['subscriber'] });
    const s = new WsSubscriber(base, p.key);
    await s.connect();
    await s.until(() => s.live);
    s.ws!.send(JSON.stringify({ type: 'subscribe' }));
    await s.until(() => s.closeCode !== null);
    expect(s.closeCode).toBe(4400);
  });
});
