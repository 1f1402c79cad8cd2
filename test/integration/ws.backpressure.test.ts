import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../schemas/feed';
import type { IntakeResponse } from '../../schemas/indicators';
import { startTestHub, type TestHub } from '../support/harness';
import { byKey } from '../support/feedClient';
import { WsSubscriber } from '../support/wsClient';

let t: TestHub;
let base: string;
beforeAll(async () => {
  t = await startTestHub({ wsMaxBufferedBytes: 256 * 1024, wsPositionMs: 200 });
  base = await t.listen();
});
afterAll(async () => {
  await t?.close();
});

const metric = async (name: string) => {
  const text = await (await t.request('/metrics')).text();
  const m = new RegExp(`^${name} (\\d+(?:\\.\\d+)?)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
};

async function submitBatch(key: string, from: number, count: number): Promise<{ body: IntakeResponse; at: number }> {
  const indicators = Array.from({ length: count }, (_, i) => ({
    pattern: `+92300${String(3_000_000 + from + i)}`,
    category: 'wangiri',
    confidence: 60,
  }));
  const res = await fetch(`${base}/v1/indicators`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ indicators }),
  });
  return { body: (await res.json()) as IntakeResponse, at: Date.now() };
}

describe('backpressure', () => {
  it('a subscriber that stops reading is closed with 4008, the others keep their delivery time, and it resumes without loss', async () => {
    const submitter = await t.partner({ roles: ['submitter'] });
    const slow = new WsSubscriber(base, (await t.partner({ roles: ['subscriber'] })).key);
    const fast = await Promise.all([0, 1, 2].map(async () => new WsSubscriber(base, (await t.partner({ roles: ['subscriber'] })).key)));
    for (const s of [slow, ...fast]) await s.connect();
    await Promise.all([slow, ...fast].map((s) => s.until(() => s.live)));
    const closesBefore = await metric('hub_ws_slow_consumer_closes_total');

    // Record when each fast subscriber sees each batch's seq.
    const seen = new Map<number, number>();
    const watch = setInterval(() => {
      const seq = Math.min(...fast.map((f) => f.list.seq));
      if (!seen.has(seq)) seen.set(seq, Date.now());
    }, 2);

    slow.pause();
    const delays: number[] = [];
    let head = 0;
    // Push until the slow one's buffer (kernel buffers first, then ours) passes 256 KB.
    for (let b = 0; b < 40 && slow.closeCode === null && (await metric('hub_ws_slow_consumer_closes_total')) === closesBefore; b++) {
      const { body, at } = await submitBatch(submitter.key, b * 1000, 1000);
      head = body.seq;
      await Promise.all(fast.map((f) => f.until(() => f.list.seq >= head, 10_000, 'fast subscriber')));
      delays.push(Date.now() - at);
    }
    console.log(`slow subscriber closed after ${delays.length} batches of 1000; fast subscribers' worst delay ${Math.max(...delays)} ms`);
    clearInterval(watch);
    expect(await metric('hub_ws_slow_consumer_closes_total')).toBe(closesBefore + 1);
    // The fast ones got every batch promptly while the slow one was stuck.
    expect(Math.max(...delays)).toBeLessThan(2000);
    for (const f of fast) expect(f.closeCode).toBeNull();

    // The slow one reads again: it finds the data it was sent, then the 4008 close.
    slow.resume();
    await slow.until(() => slow.closeCode !== null, 15_000, 'close after resume');
    expect(slow.closeCode).toBe(4008);
    const behind = slow.list.seq;
    expect(behind).toBeLessThan(head);
    await slow.connect({ since: 'resume' });
    await slow.until(() => slow.live && slow.list.seq >= head, 15_000, 'slow caught up');
    const snap = (await (await t.request('/v1/feed/snapshot', { key: (await t.partner({ roles: ['subscriber'] })).key })).json()) as Snapshot;
    expect(slow.list.sorted()).toEqual(byKey(snap.patterns));
    expect(new Set(slow.list.seenSeqs).size).toBe(slow.list.seenSeqs.length);
    for (const s of [slow, ...fast]) s.close();
  });

  it('fan-out cost: each change is read from the log once and serialized once per distinct filter, not per socket', async () => {
    const submitter = await t.partner({ roles: ['submitter'] });
    const subs = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => new WsSubscriber(base, (await t.partner({ roles: ['subscriber'] })).key, i % 2 ? { country: ['PK'] } : undefined)),
    );
    // From the head: this test is about live fan-out, not snapshots.
    const { seq: head } = (await (await t.request('/v1/feed/snapshot?country=ZZ', { key: (await t.partner({ roles: ['subscriber'] })).key })).json()) as Snapshot;
    for (const s of subs) {
      s.list.seq = head;
      await s.connect({ since: head });
    }
    await Promise.all(subs.map((s) => s.until(() => s.live)));
    const readBefore = await metric('hub_feed_log_rows_read_total');
    const serializedBefore = await metric('hub_ws_messages_serialized_total');
    const { body } = await submitBatch(submitter.key, 900_000, 10);
    await Promise.all(subs.map((s) => s.until(() => s.list.seq >= body.seq)));
    const messages = subs.map((s) => s.messages.filter((m) => m.type === 'changes' && m.seq === body.seq).length);
    expect(messages.every((n) => n === 1)).toBe(true);
    expect((await metric('hub_feed_log_rows_read_total')) - readBefore).toBe(10);
    expect((await metric('hub_ws_messages_serialized_total')) - serializedBefore).toBe(2);
    for (const s of subs) s.close();
  });
});
