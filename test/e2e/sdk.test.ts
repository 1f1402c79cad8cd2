import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlockList, HubClient, type Subscription } from '../../clients/sdk/src/index';
import { createScratchDatabase, TEST_DATABASE_URL } from '../support/db';
import { spawnHub, type HubProcess } from '../support/process';
import { startProxy, type TestProxy } from '../support/proxy';

const operatorKey = `op_${randomBytes(24).toString('hex')}`;
const dataDir = mkdtempSync(join(tmpdir(), 'hub-sdk-'));
let env: Record<string, string>;
let hub: HubProcess;
let proxy: TestProxy;
let drop: (() => Promise<void>) | undefined;
let submitter: HubClient;
let subscriberKey: string;

const hostOf = (base: string) => base.replace('http://', '');

beforeAll(async () => {
  const db = TEST_DATABASE_URL ? await createScratchDatabase() : undefined;
  drop = db?.drop;
  env = {
    ...(db ? { DATABASE_URL: db.url } : { HUB_DATA_DIR: dataDir }),
    HUB_OPERATOR_KEY: operatorKey,
    HUB_RATE_INTAKE_PER_SEC: '100000',
    HUB_RATE_INTAKE_BURST: '100000',
    HUB_WS_POSITION_MS: '200',
  };
  hub = await spawnHub(env);
  proxy = await startProxy(hostOf(hub.base));
  const op = new HubClient({ url: hub.base, apiKey: operatorKey });
  submitter = new HubClient({ url: proxy.url, apiKey: (await op.createPartner({ name: 'PK', country: 'PK', roles: ['submitter'] })).apiKey });
  subscriberKey = (await op.createPartner({ name: 'GB', country: 'GB', roles: ['subscriber'] })).apiKey;
});
afterAll(async () => {
  await proxy?.close();
  hub?.child.kill('SIGKILL');
  await hub?.exited;
  await drop?.();
  rmSync(dataDir, { recursive: true, force: true });
});

let n = 0;
/** A batch of new numbers plus repeats of old ones (so patterns change, not only appear). */
async function submitSome(count: number): Promise<number> {
  const items = Array.from({ length: count }, (_, i) => ({
    pattern: `+92300${String(4_000_000 + ((n + i) % 3 === 0 ? (n + i) % 50 : n + i))}`,
    category: (['wangiri', 'irsf', 'robocall'] as const)[(n + i) % 3]!,
    confidence: 30 + ((n + i) % 70),
  }));
  n += count;
  return (await submitter.submit(items, { batchSize: 50 })).seq;
}

/** Waits until the list is at `seq` or past it, then compares it with the hub's snapshot. */
async function converges(sub: Subscription, seq: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (sub.list.seq < seq && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const snap = await new HubClient({ url: hub.base, apiKey: subscriberKey }).snapshot();
  while (sub.list.seq < snap.seq && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(sub.list.seq).toBe(snap.seq);
  expect(sub.list.patterns()).toEqual(snap.patterns);
}

describe('SDK against a real hub process', () => {
  it('converges through socket drops, blocked upgrades (pull) and back, and a SIGKILL of the hub; no change applied twice', async () => {
    const applied: number[] = [];
    const modes = new Set<string>();
    const client = new HubClient({ url: proxy.url, apiKey: subscriberKey, retry: { attempts: 3, baseMs: 50, maxMs: 500 } });
    const sub = client.subscribe({
      wsFailuresBeforePull: 2,
      retryWebSocketMs: 1500,
      pullWaitSeconds: 1,
      reconnect: { attempts: Infinity, baseMs: 50, maxMs: 300 },
      onChanges: (changes) => applied.push(...changes.map((c) => c.seq)),
      onStatus: (s) => modes.add(s.mode),
    });

    // 1. Live over WebSocket, with the socket dropped at random.
    for (let i = 0; i < 6; i++) {
      const seq = await submitSome(120);
      if (i % 2 === 0) sub.dropSocket();
      if (i === 3) proxy.dropTunnels();
      if (i === 5) await converges(sub, seq);
    }
    expect(sub.status.mode).toBe('websocket');

    // 2. A proxy that refuses upgrades: it falls back to long-poll pull.
    proxy.blockUpgrades = true;
    proxy.dropTunnels();
    const deadline = Date.now() + 15_000;
    while (sub.status.mode !== 'pull' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(sub.status.mode).toBe('pull');
    await converges(sub, await submitSome(200));

    // 3. Upgrades allowed again: it returns to WebSockets.
    proxy.blockUpgrades = false;
    const back = Date.now() + 15_000;
    while (sub.status.mode !== 'websocket' && Date.now() < back) await new Promise((r) => setTimeout(r, 50));
    expect(sub.status.mode).toBe('websocket');
    await converges(sub, await submitSome(100));

    // 4. The hub dies mid-stream (SIGKILL) and comes back (on another port, behind the same proxy).
    // The submission in flight retries through the outage and completes on the new process.
    const inFlight = submitSome(300);
    await new Promise((r) => setTimeout(r, 100));
    hub.child.kill('SIGKILL');
    await hub.exited;
    hub = await spawnHub(env);
    proxy.target = hostOf(hub.base);
    await inFlight;
    await converges(sub, await submitSome(100));

    expect(new Set(applied).size).toBe(applied.length);
    expect(modes.has('pull')).toBe(true);
    await sub.close();
  });

  it('a BlockList saved with its seq resumes from it after a restart instead of downloading a snapshot', async () => {
    const path = join(dataDir, 'list.ndjson');
    const client = new HubClient({ url: proxy.url, apiKey: subscriberKey });
    let snapshots = 0;
    const first = client.subscribe({ onSnapshot: () => snapshots++ });
    await converges(first, await submitSome(50));
    await first.close();
    await first.list.save(path);
    expect(snapshots).toBe(1);

    const seq = await submitSome(50);
    const restored = new BlockList();
    expect(await restored.load(path)).toBe(true);
    expect(restored.seq).toBe(first.list.seq);
    const applied: number[] = [];
    const second = client.subscribe({ list: restored, onSnapshot: () => snapshots++, onChanges: (c) => applied.push(...c.map((x) => x.seq)) });
    await converges(second, seq);
    expect(snapshots).toBe(1); // resumed, no second snapshot
    expect(Math.min(...applied)).toBeGreaterThan(first.list.seq);
    expect(second.list.check('+923004000007')).toMatchObject({ number: '+923004000007' });
    await second.close();
  });

  it('submit retries 429 under its Idempotency-Keys: nothing counted twice', async () => {
    const limited = await spawnHub({ ...env, ...(env.HUB_DATA_DIR ? { HUB_DATA_DIR: mkdtempSync(join(tmpdir(), 'hub-sdk-429-')) } : {}), HUB_RATE_INTAKE_PER_SEC: '2', HUB_RATE_INTAKE_BURST: '1' });
    try {
      const op = new HubClient({ url: limited.base, apiKey: operatorKey });
      const key = (await op.createPartner({ name: 'limited', country: 'PK', roles: ['submitter'] })).apiKey;
      const client = new HubClient({ url: limited.base, apiKey: key, retry: { attempts: 10, baseMs: 100, maxMs: 1000 } });
      const items = Array.from({ length: 40 }, (_, i) => ({ pattern: `+92300${String(8_000_000 + i)}`, category: 'irsf' as const }));
      const sum = await client.submit(items, { batchSize: 10 });
      expect(sum).toMatchObject({ batches: 4, created: 40, duplicate: 0, rejected: 0 });
      // The same input again (a rerun) replays the stored answers: still created, never duplicate.
      const again = await client.submit(items, { batchSize: 10 });
      expect(again).toMatchObject({ created: 40, duplicate: 0 });
    } finally {
      limited.child.kill('SIGKILL');
      await limited.exited;
    }
  });
});
