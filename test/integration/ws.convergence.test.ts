import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeedFilter, Snapshot } from '../../schemas/feed';
import type { IntakeResponse } from '../../schemas/indicators';
import { startTestHub, type TestHub } from '../support/harness';
import { byKey } from '../support/feedClient';
import { WsSubscriber } from '../support/wsClient';

let t: TestHub;
let base: string;
beforeAll(async () => {
  t = await startTestHub({ wsPositionMs: 100 });
  base = await t.listen();
});
afterAll(async () => {
  await t?.close();
});

const FILTERS: (FeedFilter | undefined)[] = [
  undefined,
  { country: ['PK'] },
  { country: ['GB'] },
  { category: ['wangiri'] },
  { category: ['irsf', 'robocall'] },
  { minConfidence: 70 },
  { action: 'flag' },
  { action: 'block', country: ['PK'] },
  { minConfidence: 40, category: ['wangiri', 'spoofed_cli'] },
  { country: ['PK', 'GB'], action: 'flag' },
];
const CATEGORIES = ['wangiri', 'irsf', 'robocall', 'spoofed_cli', 'scam_call_center'];

/** A deterministic pseudo-random sequence, so a failure can be replayed. */
function rng(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

describe('invariant 1: convergence over WebSocket with disconnects and resumes', () => {
  it('20 subscribers with different filters each end with exactly their filtered snapshot, no change twice', async () => {
    const random = rng(20261125);
    const writers = await Promise.all([0, 1, 2, 3].map(() => t.partner({ roles: ['submitter'] })));
    const subs = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => new WsSubscriber(base, (await t.partner({ roles: ['subscriber'] })).key, FILTERS[i % FILTERS.length])),
    );
    await Promise.all(subs.map((s) => s.connect()));
    await Promise.all(subs.map((s) => s.until(() => s.live, 15_000, 'live')));

    // After each batch a writer drops a random subscriber (terminate or clean close); it resumes from its seq.
    let reconnects = 0;
    const resuming: Promise<void>[] = [];
    const busy = new Set<WsSubscriber>();
    const disrupt = () => {
      const s = subs[Math.floor(random() * subs.length)]!;
      if (busy.has(s) || s.ws?.readyState !== 1) return;
      busy.add(s);
      if (random() < 0.5) s.terminate();
      else s.close();
      resuming.push(
        s
          .until(() => s.closeCode !== null, 5000, 'closed')
          .then(() => new Promise((r) => setTimeout(r, random() * 50)))
          .then(() => s.connect({ since: 'resume' }))
          .then(() => {
            reconnects++;
            busy.delete(s);
          }),
      );
    };

    let changes = 0;
    let head = 0;
    await Promise.all(
      writers.map(async (w, wi) => {
        for (let b = 0; b < 25; b++) {
          const indicators = Array.from({ length: 50 }, (_, i) => {
            const n = Math.floor(random() * 1500);
            const gb = n % 5 === 0;
            return {
              pattern: gb ? `+4420794${String(60000 + n)}` : `+92300${String(2_000_000 + n)}`,
              category: CATEGORIES[(n + wi + i) % CATEGORIES.length],
              confidence: 20 + Math.floor(random() * 80),
            };
          });
          const res = await fetch(`${base}/v1/indicators`, {
            method: 'POST',
            headers: { authorization: `Bearer ${w.key}`, 'content-type': 'application/json' },
            body: JSON.stringify({ indicators }),
          });
          expect(res.status).toBe(200);
          const body = (await res.json()) as IntakeResponse;
          changes += body.summary.created + body.summary.corroborated + body.summary.duplicate;
          head = Math.max(head, body.seq);
          if (random() < 0.6) disrupt();
        }
      }),
    );
    await Promise.all(resuming);
    expect(changes).toBe(5000);
    expect(reconnects).toBeGreaterThanOrEqual(20);

    for (const [i, s] of subs.entries()) {
      if (s.ws?.readyState !== 1) await s.connect({ since: 'resume' });
      await s.until(() => s.list.seq >= head && s.live, 20_000, `subscriber ${i} at head`);
    }
    const reader = await t.partner({ roles: ['subscriber'] });
    for (const [i, s] of subs.entries()) {
      const q = new URLSearchParams();
      const f = s.filter ?? {};
      if (f.country) q.set('country', f.country.join(','));
      if (f.category) q.set('category', f.category.join(','));
      if (f.minConfidence !== undefined) q.set('minConfidence', String(f.minConfidence));
      if (f.action) q.set('action', f.action);
      const snap = (await (await t.request(`/v1/feed/snapshot?${q}`, { key: reader.key })).json()) as Snapshot;
      expect(snap.seq, `subscriber ${i}`).toBe(head);
      expect(s.list.seq, `subscriber ${i}`).toBe(head);
      expect(s.list.sorted(), `subscriber ${i} (${JSON.stringify(f)})`).toEqual(byKey(snap.patterns));
      expect(new Set(s.list.seenSeqs).size, `subscriber ${i} saw a change twice`).toBe(s.list.seenSeqs.length);
      s.close();
    }
  });
});
