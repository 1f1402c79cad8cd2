import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangesResponse, Snapshot } from '../../schemas/feed';
import { startTestHub, type TestHub } from '../support/harness';
import { LocalList, byKey, pullAll } from '../support/feedClient';

let t: TestHub;
let base: string;
beforeAll(async () => {
  t = await startTestHub();
  base = await t.listen();
});
afterAll(async () => {
  await t?.close();
});

const CATEGORIES = ['wangiri', 'irsf', 'robocall', 'spoofed_cli'] as const;

/** Writer w submits `batches` batches over HTTP; numbers overlap across writers so corroboration races too. */
async function writer(key: string, w: number, batches: number): Promise<void> {
  for (let b = 0; b < batches; b++) {
    const indicators = Array.from({ length: 25 }, (_, i) => {
      const n = (b * 25 + i + w * 7) % 300; // shared space: writers corroborate each other's numbers
      return { pattern: `+92300${String(1_000_000 + n)}`, category: CATEGORIES[(n + w) % 4], confidence: 30 + ((n * 7 + w) % 70) };
    });
    if (b % 3 === 0) indicators.push({ pattern: `+4420794${String(60000 + b * 10 + w)}`, category: 'irsf', confidence: 90 });
    const res = await fetch(`${base}/v1/indicators`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ indicators }),
    });
    if (res.status !== 200) throw new Error(`writer ${w}: ${res.status} ${await res.text()}`);
  }
}

describe('invariant 2: no gaps, no duplicates under concurrent writers and readers', () => {
  it('a reader polling changes while 4 writers submit ends with exactly the server snapshot', async () => {
    const writers = await Promise.all([0, 1, 2, 3].map(() => t.partner()));
    const reader = await t.partner({ roles: ['subscriber'] });
    const filtered = await t.partner({ roles: ['subscriber'] });
    const all = new LocalList();
    const onlyPk = new LocalList();
    const pkQuery = '&country=PK&category=wangiri,irsf&minConfidence=40';
    let writing = true;
    const polling = (async () => {
      let rounds = 0;
      while (writing || rounds < 2) {
        if (!writing) rounds++;
        await pullAll(base, reader.key, all, '', 37);
        await pullAll(base, filtered.key, onlyPk, pkQuery, 11);
        // long-poll a little so the reader also sleeps and wakes on commits
        const res = await fetch(`${base}/v1/feed/changes?since=${all.seq}&wait=1&limit=5`, { headers: { authorization: `Bearer ${reader.key}` } });
        const page = (await res.json()) as ChangesResponse;
        all.apply(page.changes, page.next);
      }
    })();
    await Promise.all(writers.map((w, i) => writer(w.key, i, 12)));
    writing = false;
    await polling;

    const snap = (await (await fetch(`${base}/v1/feed/snapshot`, { headers: { authorization: `Bearer ${reader.key}` } })).json()) as Snapshot;
    expect(all.seq).toBe(snap.seq);
    expect(all.sorted()).toEqual(byKey(snap.patterns));
    // unfiltered: every seq 1..head exactly once, in order
    expect(all.seenSeqs).toEqual(Array.from({ length: snap.seq }, (_, i) => i + 1));
    expect(snap.patterns.length).toBeGreaterThan(300);

    const fsnap = (await (await fetch(`${base}/v1/feed/snapshot?${pkQuery.slice(1)}`, { headers: { authorization: `Bearer ${filtered.key}` } })).json()) as Snapshot;
    expect(onlyPk.seq).toBe(fsnap.seq);
    expect(onlyPk.sorted()).toEqual(byKey(fsnap.patterns));
    expect(new Set(onlyPk.seenSeqs).size).toBe(onlyPk.seenSeqs.length);
    expect(fsnap.patterns.every((p) => p.country === 'PK' && p.confidence >= 40)).toBe(true);
    expect(fsnap.patterns.length).toBeGreaterThan(0);
  });
});
