import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IntakeResponse } from '../../schemas/indicators';
import type { ServerMessage } from '../../schemas/ws';
import { readChanges, type StoredChange } from '../../src/store/changeLog';
import { startTestHub, type TestHub } from '../support/harness';
import { WsSubscriber } from '../support/wsClient';

// A slice per 32 sockets, and no positions during the test. The test is the node's tail: the hub's
// own tail is stopped, and the test hands the changes it reads from the log to the fan-out itself,
// so that the next changes arrive while a frame is half handed out, every time.
let t: TestHub;
let base: string;
beforeAll(async () => {
  t = await startTestHub({ fanoutSliceMs: 0, wsPositionMs: 60_000 });
  base = await t.listen();
});
afterAll(async () => {
  await t?.close();
});

type ChangesMessage = Extract<ServerMessage, { type: 'changes' }>;
const framesOf = (s: WsSubscriber) => s.messages.filter((m): m is ChangesMessage => m.type === 'changes');
const seqsOf = (frames: ChangesMessage[]) => frames.flatMap((f) => f.changes.map((c) => c.seq));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

let next = 0;
async function submit(key: string, count: number, category: string): Promise<number> {
  const indicators = Array.from({ length: count }, () => ({ pattern: `+92304${String(1_000_000 + next++)}`, category, confidence: 60 }));
  const res = await fetch(`${base}/v1/indicators`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ indicators }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as IntakeResponse).seq;
}

/** The changes after `after` up to `head`, as the tail reads them. */
async function read(after: number, head: number): Promise<{ rows: StoredChange[]; head: number }> {
  const rows = await readChanges(t.database.db, after, head, 10_000);
  expect(rows.map((r) => r.seq)).toEqual(range(after + 1, head));
  return { rows, head };
}

describe('changes that arrive while a frame is handed out join it', () => {
  let writer: { key: string };
  let all: WsSubscriber[];
  let irsf: WsSubscriber[];
  let start: number;

  beforeAll(async () => {
    writer = await t.partner({ roles: ['submitter'] });
    const reader = await t.partner({ roles: ['subscriber'] });
    await t.hub.tail.stop();
    start = t.hub.tail.position;
    all = Array.from({ length: 50 }, () => new WsSubscriber(base, reader.key));
    irsf = Array.from({ length: 50 }, () => new WsSubscriber(base, reader.key, { category: ['irsf'] }));
    for (const s of [...all, ...irsf]) s.list.seq = start;
    await Promise.all([...all, ...irsf].map((s) => s.connect({ since: start })));
    await Promise.all([...all, ...irsf].map((s) => s.until(() => s.live, 10_000, 'live')));
  });

  it('those not yet handed the frame get one frame with both; those handed it get the new changes alone; a filter that selects only the new ones gets them once', async () => {
    const first = await submit(writer.key, 5, 'wangiri');
    const second = await submit(writer.key, 5, 'irsf');
    const [a, b] = [await read(start, first), await read(first, second)];
    t.hub.feeds.onChanges(a.rows, a.head);
    // The first slice went out in the call above: 32 of the 50 unfiltered subscribers have the
    // first frame. The second batch comes before the next slice.
    t.hub.feeds.onChanges(b.rows, b.head);
    await Promise.all([...all, ...irsf].map((s) => s.until(() => s.list.seq >= second, 10_000, 'the second batch')));

    const shapes = all.map((s) => framesOf(s).map((f) => `${f.seq}:${f.changes.length}`).join(' '));
    expect(shapes.filter((x) => x === `${first}:5 ${second}:5`)).toHaveLength(32);
    expect(shapes.filter((x) => x === `${second}:10`)).toHaveLength(18);
    for (const s of all) expect(seqsOf(framesOf(s))).toEqual(range(start + 1, second));
    for (const s of irsf) {
      expect(framesOf(s).map((f) => f.seq)).toEqual([second]);
      expect(seqsOf(framesOf(s))).toEqual(range(first + 1, second));
    }
    for (const s of [...all, ...irsf]) expect(s.list.seq).toBe(second);
    start = second;
  });

  it('the tail reads on while the oldest frame going out is under 1,000 seqs behind the head; past that it waits for the frames to be handed out', async () => {
    const small = await submit(writer.key, 5, 'wangiri');
    const big = await submit(writer.key, 1000, 'irsf');
    const [a, b] = [await read(start, small), await read(small, big)];
    t.hub.feeds.onChanges(a.rows, a.head);
    expect(t.hub.feeds.settled()).toBeUndefined();
    t.hub.feeds.onChanges(b.rows, b.head);
    const settled = t.hub.feeds.settled();
    expect(settled).toBeInstanceOf(Promise);
    await settled;
    expect(t.hub.feeds.settled()).toBeUndefined();
    await Promise.all([...all, ...irsf].map((s) => s.until(() => s.list.seq >= big, 10_000, 'the big batch')));
    for (const s of all) expect(seqsOf(framesOf(s)).slice(-1005)).toEqual(range(start + 1, big));
    for (const s of irsf) expect(seqsOf(framesOf(s)).slice(-1000)).toEqual(range(small + 1, big));
    // Still one frame per batch at most, each subscriber's frames in seq order.
    for (const s of [...all, ...irsf]) {
      const seqs = framesOf(s).map((f) => f.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(seqs.length);
    }
  });
});
