import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeedFilter, Snapshot } from '../../schemas/feed';
import type { IntakeResponse } from '../../schemas/indicators';
import type { ServerMessage } from '../../schemas/ws';
import { ChangeTail } from '../../src/feed/tail';
import type { StoredChange } from '../../src/store/changeLog';
import { byKey } from '../support/feedClient';
import { startTestHub, type TestHub } from '../support/harness';
import { WsSubscriber } from '../support/wsClient';

// A slice per 32 sockets, and positions every 20 ms: the position timer and the next batches'
// fan-outs run between the slices of a frame's hand-out.
let t: TestHub;
let base: string;
beforeAll(async () => {
  t = await startTestHub({ fanoutSliceMs: 0, wsPositionMs: 20 });
  base = await t.listen();
});
afterAll(async () => {
  await t?.close();
});

/** Every filter selects what it selects; the last selects nothing submitted here (positions only). */
const FILTERS: (FeedFilter | undefined)[] = [undefined, { category: ['wangiri'] }, { country: ['GB'] }];

/**
 * What a client may see of one live feed: seqs never go back, no change comes twice, and nothing
 * it is told it has (a position or a frame's seq) is followed by a change at or below it.
 */
function orderProblems(messages: readonly ServerMessage[]): string[] {
  const problems: string[] = [];
  let told = 0;
  const seen = new Set<number>();
  for (const m of messages) {
    if (m.type === 'changes') {
      for (const c of m.changes) {
        if (c.seq <= told) problems.push(`change ${c.seq} after being told ${told}`);
        if (seen.has(c.seq)) problems.push(`change ${c.seq} twice`);
        seen.add(c.seq);
      }
    }
    if (m.type === 'changes' || m.type === 'position' || m.type === 'live') {
      if (m.seq < told) problems.push(`${m.type} ${m.seq} after ${told}`);
      told = Math.max(told, m.seq);
    }
  }
  return problems;
}

describe('live fan-out in slices', () => {
  it('150 subscribers over 3 filters, 45 batches from 3 writers: each feed in order, no position ahead of its changes, each ends with its filtered snapshot', async () => {
    const writers = await Promise.all([0, 1, 2].map(() => t.partner({ roles: ['submitter'] })));
    const readers = await Promise.all(FILTERS.map(() => t.partner({ roles: ['subscriber'] })));
    const subs = Array.from({ length: 150 }, (_, i) => new WsSubscriber(base, readers[i % readers.length]!.key, FILTERS[i % FILTERS.length]));
    await Promise.all(subs.map((s) => s.connect({ since: 0 })));
    await Promise.all(subs.map((s) => s.until(() => s.live, 15_000, 'live')));

    let head = 0;
    await Promise.all(
      writers.map(async (w, wi) => {
        for (let b = 0; b < 15; b++) {
          const indicators = Array.from({ length: 20 }, (_, i) => ({
            pattern: `+92301${String(1_000_000 + wi * 100_000 + b * 100 + i)}`,
            category: (b + i) % 3 === 0 ? 'wangiri' : 'irsf',
            confidence: 60,
          }));
          const res = await fetch(`${base}/v1/indicators`, {
            method: 'POST',
            headers: { authorization: `Bearer ${w.key}`, 'content-type': 'application/json' },
            body: JSON.stringify({ indicators }),
          });
          expect(res.status).toBe(200);
          head = Math.max(head, ((await res.json()) as IntakeResponse).seq);
        }
      }),
    );
    await Promise.all(subs.map((s, i) => s.until(() => s.list.seq >= head, 20_000, `subscriber ${i} at head ${head}`)));

    for (const [f, filter] of FILTERS.entries()) {
      const q = new URLSearchParams();
      if (filter?.category) q.set('category', filter.category.join(','));
      if (filter?.country) q.set('country', filter.country.join(','));
      const snap = (await (await t.request(`/v1/feed/snapshot?${q}`, { key: readers[f]!.key })).json()) as Snapshot;
      expect(snap.seq).toBe(head);
      for (const [i, s] of subs.entries()) {
        if (i % FILTERS.length !== f) continue;
        expect(orderProblems(s.messages), `subscriber ${i} (${JSON.stringify(filter ?? {})})`).toEqual([]);
        expect(s.list.seq, `subscriber ${i}`).toBe(head);
        expect(s.list.sorted(), `subscriber ${i} (${JSON.stringify(filter ?? {})})`).toEqual(byKey(snap.patterns));
      }
    }
    // The filter that selects nothing here learnt the head from positions alone.
    expect(subs[2]!.messages.some((m) => m.type === 'changes')).toBe(false);
    for (const s of subs) s.close();
  });

  it('the tail reads no further while a listener is still handing changes on; then it reads the backlog in one page', async () => {
    const writer = await t.partner({ roles: ['submitter'] });
    const submit = async (from: number) => {
      const indicators = Array.from({ length: 5 }, (_, i) => ({ pattern: `+92302${String(1_000_000 + from + i)}`, category: 'irsf', confidence: 60 }));
      const res = await fetch(`${base}/v1/indicators`, {
        method: 'POST',
        headers: { authorization: `Bearer ${writer.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ indicators }),
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as IntakeResponse).seq;
    };
    const calls: StoredChange[][] = [];
    let release: (() => void) | null = null;
    const tail = new ChangeTail(t.database, { log: pino({ level: 'silent' }), pollMs: 50 });
    tail.add({
      onChanges: (rows) => void calls.push([...rows]),
      // Busy after the first page given to it, until released.
      settled: () => (calls.length === 1 ? new Promise<void>((r) => (release = r)) : undefined),
    });
    await tail.start();
    try {
      const first = await submit(0);
      await expect.poll(() => calls.length, { timeout: 5000 }).toBe(1);
      expect(calls[0]!.at(-1)!.seq).toBe(first);
      await submit(100);
      const third = await submit(200);
      // Woken by NOTIFY and by the 50 ms poll meanwhile: nothing is read while the listener is busy.
      await new Promise((r) => setTimeout(r, 400));
      expect(calls.length).toBe(1);
      expect(tail.position).toBe(first);
      release!();
      await expect.poll(() => calls.length, { timeout: 5000 }).toBe(2);
      expect(calls[1]!.map((c) => c.seq)).toEqual(Array.from({ length: third - first }, (_, i) => first + 1 + i));
    } finally {
      await tail.stop();
    }
  });
});
