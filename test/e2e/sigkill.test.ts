import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase, TEST_DATABASE_URL } from '../support/db';

/**
 * Invariant 3, "nothing acknowledged is lost": concurrent submitters load a real hub process, the
 * process group is SIGKILLed while batches are in flight, and a restarted hub on the same
 * database must hold every item it answered 2xx, with a change log that still has no gaps.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
const OPERATOR_KEY = `sigkill_${randomBytes(24).toString('hex')}`;

const SUBMITTERS = 4;
const BATCH = 100;
/** Kill after this many acknowledged batches, or after KILL_AFTER_MS of load, whichever is first. */
const KILL_AFTER_BATCHES = 40;
const KILL_AFTER_MS = 2000;
const ROUNDS = 2;

interface RunningHub {
  child: ChildProcess;
  base: string;
  stderr: () => string;
}

interface Batch {
  numbers: string[];
  /** The pattern key of each item, as the hub answered; absent when no 2xx came back. */
  keys?: { id: string; key: string }[];
  seq?: number;
}

const children = new Set<ChildProcess>();

/** Kills the whole process group: tsx runs the hub in a child process of its own. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts `tsx src/node.ts` on `databaseUrl` and resolves once its banner names the port. */
async function startHubProcess(databaseUrl: string): Promise<RunningHub> {
  const child = spawn(TSX, ['src/node.ts'], {
    cwd: ROOT,
    detached: true, // its own process group, so one kill reaches tsx and the hub it runs
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: '0',
      HOST: '127.0.0.1',
      HUB_OPERATOR_KEY: OPERATOR_KEY,
      HUB_LOG_LEVEL: 'warn',
      HUB_DB_POOL_SIZE: '10',
    },
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let err = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    err += chunk;
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hub did not start in 20 s; stderr:\n${err}`)), 20_000);
    const onData = () => {
      const m = /fraud hub listening on http:\/\/localhost:(\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        child.stderr!.off('data', onData);
        resolve(Number(m[1]));
      }
    };
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`hub exited at start (code ${code}, signal ${signal}); stderr:\n${err}`));
    });
  });
  return { child, base: `http://127.0.0.1:${port}`, stderr: () => err };
}

async function call(base: string, path: string, key: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${key}`);
  return fetch(base + path, { ...init, headers, signal: AbortSignal.timeout(10_000) });
}

async function createPartner(base: string, roles: string[]): Promise<string> {
  const res = await call(base, '/v1/partners', OPERATOR_KEY, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: `sigkill-${roles.join('-')}`, country: 'PK', roles }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { apiKey: string }).apiKey;
}

/**
 * Runs SUBMITTERS loops of 100-item batches against `base` until the hub is killed. Resolves when
 * every loop has seen its hub die; `onAck` runs after each acknowledged batch.
 */
async function loadUntilKilled(base: string, key: string, nextNumber: () => string, batches: Batch[], onAck: () => void): Promise<void> {
  let dead = false;
  const submitter = async () => {
    while (!dead) {
      const batch: Batch = { numbers: Array.from({ length: BATCH }, nextNumber) };
      batches.push(batch);
      let res: Response;
      let body: { seq: number; results: { index: number; status: string; patterns?: { id: string; key: string }[] }[] };
      try {
        res = await call(base, '/v1/indicators', key, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ indicators: batch.numbers.map((pattern) => ({ pattern, category: 'wangiri', confidence: 80 })) }),
        });
        body = (await res.json()) as typeof body;
      } catch {
        dead = true; // connection refused or reset: the hub is gone
        return;
      }
      // A live hub must accept every one of these items; anything else is a bug, not a crash.
      expect(res.status, JSON.stringify(body).slice(0, 500)).toBe(200);
      expect(body.results).toHaveLength(BATCH);
      const keys = body.results.map((r) => {
        expect(r.status, JSON.stringify(r)).toBe('created');
        expect(r.patterns).toHaveLength(1);
        return r.patterns![0]!;
      });
      batch.keys = keys;
      batch.seq = body.seq;
      onAck();
    }
  };
  await Promise.all(Array.from({ length: SUBMITTERS }, submitter));
}

/** Reads the whole snapshot as the unfiltered reader sees it. */
async function snapshot(base: string, key: string): Promise<{ seq: number; byKey: Map<string, string> }> {
  const res = await call(base, '/v1/feed/snapshot', key);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { seq: number; patterns: { id: string; key: string }[] };
  return { seq: body.seq, byKey: new Map(body.patterns.map((p) => [p.key, p.id])) };
}

/** Pages the change log from 0 and checks it is exactly 1..head, in order; returns the live keys it builds. */
async function pageChangeLog(base: string, key: string, head: number): Promise<Map<string, string>> {
  const live = new Map<string, string>();
  let since = 0;
  let expected = 1;
  for (let guard = 0; guard < 1000; guard++) {
    const res = await call(base, `/v1/feed/changes?since=${since}&limit=997`, key);
    expect(res.status).toBe(200);
    const page = (await res.json()) as { changes: { seq: number; op: string; pattern: { id: string; key: string } }[]; next: number; hasMore: boolean };
    for (const c of page.changes) {
      expect(c.seq, 'change log seqs are contiguous').toBe(expected++);
      if (c.op === 'upsert') live.set(c.pattern.key, c.pattern.id);
      else live.delete(c.pattern.key);
    }
    const last = page.changes.at(-1);
    expect(page.next).toBe(last ? last.seq : since);
    since = page.next;
    if (!page.hasMore) break;
  }
  expect(since, 'the change log reaches the snapshot head').toBe(head);
  expect(expected - 1).toBe(head);
  return live;
}

describe.skipIf(!TEST_DATABASE_URL)('SIGKILL under load loses nothing acknowledged (invariant 3)', () => {
  let scratch: { url: string; drop: () => Promise<void> } | undefined;

  beforeAll(async () => {
    scratch = await createScratchDatabase();
  });

  afterAll(async () => {
    for (const child of children) killGroup(child, 'SIGKILL');
    await Promise.all([...children].map(exited));
    await scratch?.drop();
  });

  it('keeps every 2xx item across SIGKILLs, and the change log stays gapless', async () => {
    const url = scratch!.url;
    let hub = await startHubProcess(url);
    const submitterKey = await createPartner(hub.base, ['submitter']);
    // Operator and subscriber: reads the feed unfiltered and sees every TLP.
    const readerKey = await createPartner(hub.base, ['subscriber', 'operator']);

    // +92300 then 7 digits: Jazz mobile numbers, valid; each used once so every item creates a pattern.
    let counter = randomBytes(2).readUInt16BE() * 10;
    const nextNumber = () => `+92300${String(counter++ % 10_000_000).padStart(7, '0')}`;
    const batches: Batch[] = [];

    for (let round = 1; round <= ROUNDS; round++) {
      let acked = 0;
      const current = hub;
      const started = Date.now();
      const kill = () => {
        if (current.child.signalCode !== null) return;
        killGroup(current.child, 'SIGKILL');
      };
      const timer = setTimeout(kill, KILL_AFTER_MS);
      await loadUntilKilled(current.base, submitterKey, nextNumber, batches, () => {
        if (++acked >= KILL_AFTER_BATCHES) kill();
      });
      clearTimeout(timer);
      await exited(current.child);
      expect(current.child.signalCode, `round ${round}: the hub was SIGKILLed, not stopped`).toBe('SIGKILL');
      const unanswered = batches.filter((b) => !b.keys).length;
      console.info(`round ${round}: ${acked} batches acknowledged in ${Date.now() - started} ms; ${unanswered} unanswered in all rounds`);
      expect(acked, 'some batches were acknowledged before the kill').toBeGreaterThan(0);

      hub = await startHubProcess(url);
      const snap = await snapshot(hub.base, readerKey);

      const ackedBatches = batches.filter((b) => b.keys);
      for (const b of ackedBatches) {
        expect(b.seq!).toBeLessThanOrEqual(snap.seq);
        for (const { id, key } of b.keys!) {
          expect(snap.byKey.get(key), `acknowledged ${key} survives`).toBe(id);
        }
      }
      // A batch is one transaction: one that got no answer is there entirely or not at all.
      let committedUnanswered = 0;
      for (const b of batches.filter((x) => !x.keys)) {
        const present = b.numbers.filter((n) => snap.byKey.has(n)).length;
        expect([0, BATCH], `unanswered batch is all or nothing (found ${present})`).toContain(present);
        if (present === BATCH) committedUnanswered++;
      }
      console.info(`round ${round}: after restart, ${committedUnanswered} unanswered batches turned out committed`);
      expect(snap.byKey.size).toBeGreaterThanOrEqual(ackedBatches.length * BATCH);

      const live = await pageChangeLog(hub.base, readerKey, snap.seq);
      expect(live, 'snapshot + change log agree').toEqual(snap.byKey);

      // Lookup goes through the restarted node's in-memory matcher: it must know them too.
      const sample = ackedBatches[ackedBatches.length - 1]!.keys![0]!;
      const res = await call(hub.base, `/v1/lookup?number=${encodeURIComponent(sample.key)}`, readerKey);
      expect(res.status).toBe(200);
      const lookup = (await res.json()) as { verdict: string; matches: { id: string }[] };
      expect(lookup.matches.map((m) => m.id)).toContain(sample.id);
    }

    killGroup(hub.child, 'SIGTERM');
    await exited(hub.child);
  }, 60_000);
});
