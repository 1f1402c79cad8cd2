import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnHub, type HubProcess } from '../support/process';

const dataDir = mkdtempSync(join(tmpdir(), 'hub-lifecycle-'));
const running: HubProcess[] = [];
afterAll(() => {
  for (const h of running) h.child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

async function call(base: string, path: string, key: string, init: RequestInit = {}) {
  return fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...(init.headers as object) } });
}

describe('the hub as a process on embedded PGlite', () => {
  it('prints the operator key, keeps data across a SIGTERM restart, and drains in-flight requests', async () => {
    const first = await spawnHub({ HUB_DATA_DIR: dataDir });
    running.push(first);
    const key = /operator API key: (\S+)/.exec(first.stderr())![1]!;
    expect(readFileSync(join(dataDir, 'operator.key'), 'utf8').trim()).toBe(key);

    const created = await (await call(first.base, '/v1/partners', key, { method: 'POST', body: JSON.stringify({ name: 'PK', country: 'PK', roles: ['submitter', 'subscriber'] }) })).json() as any;
    const indicators = Array.from({ length: 10_000 }, (_, i) => ({ pattern: `+92300${String(5_000_000 + i)}`, category: 'wangiri' }));
    // A long poll and a large submission are in flight when SIGTERM arrives.
    const poll = call(first.base, '/v1/feed/changes?since=999999&wait=30', created.apiKey).catch((e: Error) => e);
    const submission = call(first.base, '/v1/indicators', created.apiKey, { method: 'POST', body: JSON.stringify({ indicators }) });
    // Let the request reach the handler: a connection still sending its headers is idle and is closed.
    await new Promise((r) => setTimeout(r, 400));
    const started = Date.now();
    first.child.kill('SIGTERM');
    const res = await submission;
    expect(res.status).toBe(200);
    const answer = await res.json() as any;
    expect(answer.summary.created).toBe(10_000);
    console.log(`drained the submission ${Date.now() - started} ms after SIGTERM`);
    expect(await first.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000);
    const polled = await poll;
    expect(polled instanceof Error || [200, 410].includes((polled as Response).status)).toBe(true);

    const second = await spawnHub({ HUB_DATA_DIR: dataDir });
    running.push(second);
    expect(second.stderr()).toContain(`operator API key: ${key}`);
    const snap = await (await call(second.base, '/v1/feed/snapshot', created.apiKey)).json() as any;
    expect(snap.seq).toBe(answer.seq);
    expect(snap.patterns).toHaveLength(10_000);
    const look = await (await call(second.base, '/v1/lookup?number=%2B923005000123', created.apiKey)).json() as any;
    expect(look.matches.map((m: { key: string }) => m.key)).toEqual(['+923005000123']);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('a bad environment fails at start with one clear message', async () => {
    await expect(spawnHub({ HUB_DATA_DIR: dataDir, PORT: 'eighty', HUB_FEED_RETENTION_DAYS: '-3' }, 15_000)).rejects.toThrow(
      /exited with 2[\s\S]*PORT[\s\S]*HUB_FEED_RETENTION_DAYS/,
    );
  });
});
