import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMirror, type Mirror, type MirrorStatus } from '../../clients/mirror/src/index';
import { createScratchDatabase, TEST_DATABASE_URL } from '../support/db';
import { spawnHub, type HubProcess } from '../support/process';

/**
 * The mirror against a real hub process: it answers what was submitted, keeps answering while the
 * hub is SIGKILLed, catches up when it returns, and (as a child process of its own) serves its
 * saved list at start with the hub down, then resumes from the saved seq without a snapshot.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const operatorKey = `op_${randomBytes(24).toString('hex')}`;
const tmp = mkdtempSync(join(tmpdir(), 'hub-mirror-'));
const mirrorDir = join(tmp, 'mirror');
let env: Record<string, string>;
let hub: HubProcess;
let drop: (() => Promise<void>) | undefined;
let submitterKey: string;
let feedKey: string;
let mirror: Mirror | undefined;
const children = new Set<ChildProcess>();

/** Fast reconnects, so the test measures the mirror, not backoff. */
const sync = { reconnect: { attempts: Infinity, baseMs: 50, maxMs: 300 }, wsFailuresBeforePull: 1000 };

beforeAll(async () => {
  const db = TEST_DATABASE_URL ? await createScratchDatabase() : undefined;
  drop = db?.drop;
  env = {
    ...(db ? { DATABASE_URL: db.url } : { HUB_DATA_DIR: join(tmp, 'hub') }),
    HUB_OPERATOR_KEY: operatorKey,
    HUB_RATE_INTAKE_PER_SEC: '100000',
    HUB_RATE_INTAKE_BURST: '100000',
    HUB_WS_POSITION_MS: '200',
  };
  hub = await spawnHub(env);
  submitterKey = await createPartner('PK carrier', 'PK', ['submitter']);
  feedKey = await createPartner('GB partner', 'GB', ['subscriber']);
});

afterAll(async () => {
  await mirror?.close();
  for (const c of children) c.kill('SIGKILL');
  hub?.child.kill('SIGKILL');
  await hub?.exited;
  await drop?.();
  rmSync(tmp, { recursive: true, force: true });
});

async function createPartner(name: string, country: string, roles: string[]): Promise<string> {
  const res = await fetch(`${hub.base}/v1/partners`, {
    method: 'POST',
    headers: { authorization: `Bearer ${operatorKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name, country, roles }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { apiKey: string }).apiKey;
}

/** Submits and returns the feed position that has them. */
async function submit(indicators: object[]): Promise<number> {
  const res = await fetch(`${hub.base}/v1/indicators`, {
    method: 'POST',
    headers: { authorization: `Bearer ${submitterKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ indicators }),
  });
  const body = (await res.json()) as { seq: number; summary: { rejected: number } };
  expect(res.status).toBe(200);
  expect(body.summary.rejected).toBe(0);
  return body.seq;
}

/** Restarts the hub on the same port (the mirror keeps its URL) and the same data. */
async function restartHub(): Promise<void> {
  hub = await spawnHub({ ...env, PORT: new URL(hub.base).port });
}

async function get(base: string, path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.json() };
}

const verdict = async (base: string, path: string) => (await get(base, `/check/${path}`)).body.verdict as string;
const status = async (base: string) => (await get(base, '/status')).body as MirrorStatus;

async function until<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The seq in the saved list's header line; -1 while no list has been saved yet. */
const savedSeq = () => {
  let text: string;
  try {
    text = readFileSync(join(mirrorDir, 'blocklist.ndjson'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return -1;
    throw err;
  }
  return (JSON.parse(text.split('\n')[0]!) as { seq: number }).seq;
};

describe('mirror against a real hub process', () => {
  it('answers /check from its synced list: block, flag, allow, any number form, outside its filter; 400 for garbage', async () => {
    const seq = await submit([
      { pattern: '+92 300 123 4567', category: 'wangiri', confidence: 80 }, // block
      { pattern: '+92 321 555 XXXX', category: 'scam_call_center', confidence: 90 }, // block (a block of 10 000)
      { pattern: '+923009876543', category: 'other', confidence: 40 }, // 0.8 × 40: flag
      { pattern: '+44 20 7946 0999', category: 'wangiri', confidence: 90 }, // GB: outside the mirror's filter
    ]);
    mirror = await startMirror({
      hubUrl: hub.base,
      apiKey: feedKey,
      port: 0,
      dataDir: mirrorDir,
      filter: { country: ['PK'] },
      defaultCountry: 'PK',
      saveEveryMs: 200,
      headProbeMs: 200,
      sync,
      logger: pino({ level: 'silent' }),
    });
    const url = mirror.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await until('the mirror at the intake seq', () => status(url), (s) => s.seq >= seq && s.connected);

    const hit = await get(url, '/check/%2B923001234567');
    expect(hit).toMatchObject({ status: 200, body: { number: '+923001234567', verdict: 'block' } });
    expect(hit.body.matches.map((m: { key: string }) => m.key)).toEqual(['+923001234567']);
    const inBlock = await get(url, `/check/${encodeURIComponent('tel:+92-321-555-1234')}`);
    expect(inBlock.body).toMatchObject({ number: '+923215551234', verdict: 'block' });
    expect(inBlock.body.matches[0].key).toBe('+92321555XXXX');
    expect(await verdict(url, `${encodeURIComponent('sip:+923215550000@gw.example;user=phone')}`)).toBe('block');
    expect(await verdict(url, `${encodeURIComponent('0300 9876543')}?country=PK`)).toBe('flag');
    expect(await verdict(url, '03009876543')).toBe('flag'); // national, defaultCountry PK
    expect(await get(url, '/check/%2B923001112222')).toMatchObject({ status: 200, body: { verdict: 'allow', matches: [] } });
    expect(await verdict(url, '%2B442079460999')).toBe('allow'); // filtered out: country PK only

    const bad = await get(url, '/check/hello');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/invalid/);
    expect((await get(url, '/check/123?country=ZZ')).status).toBe(400);
    expect((await get(url, '/healthz')).status).toBe(200);

    const s = await until('lag known', () => status(url), (x) => x.lag === 0);
    expect(s).toMatchObject({ connected: true, mode: 'websocket', patterns: 3, snapshots: 1, lastError: null, ready: true, restored: null });
    expect(s.lastSyncAt).not.toBeNull();
    // Saved soon after the changes (throttled to 200 ms here).
    await until('the list saved', async () => savedSeq(), (x) => x >= seq, 5000);

    // From memory: one keep-alive connection, one check after another.
    const started = performance.now();
    for (let i = 0; i < 500; i++) await fetch(`${url}/check/%2B92321555${String(i).padStart(4, '0')}`).then((r) => r.json());
    console.info(`mirror: 500 sequential /check, ${((performance.now() - started) / 500).toFixed(2)} ms each (HTTP round trip included)`);
  });

  it('keeps answering from the last list while the hub is down, and says so in /status', async () => {
    const url = mirror!.url;
    hub.child.kill('SIGKILL');
    await hub.exited;
    const down = await until('connected false', () => status(url), (s) => !s.connected && s.lag === null);
    expect(down.lastError).toBeTruthy();
    expect(down.lastSyncAt).not.toBeNull();
    expect(await verdict(url, '%2B923001234567')).toBe('block');
    expect(await verdict(url, '%2B923215551234')).toBe('block');
    expect(await verdict(url, '%2B923009876543')).toBe('flag');
    await new Promise((r) => setTimeout(r, 500));
    const later = await status(url);
    expect(later).toMatchObject({ connected: false, lastSyncAt: down.lastSyncAt, seq: down.seq, patterns: 3 });

    // A list saved under another filter is never served: that mirror has nothing to answer yet.
    const otherDir = join(tmp, 'other-filter');
    cpSync(mirrorDir, otherDir, { recursive: true });
    const other = await startMirror({ hubUrl: hub.base, apiKey: feedKey, port: 0, dataDir: otherDir, filter: { country: ['GB'] }, sync, logger: pino({ level: 'silent' }) });
    try {
      expect(await get(other.url, '/check/%2B923001234567')).toMatchObject({ status: 503, body: { error: expect.stringMatching(/not_ready/) } });
      expect((await get(other.url, '/readyz')).status).toBe(503);
      expect(await status(other.url)).toMatchObject({ ready: false, restored: null, connected: false, patterns: 0 });
    } finally {
      await other.close();
    }
  });

  it('catches up when the hub returns: new submissions reach it, seq moves, no new snapshot', async () => {
    const url = mirror!.url;
    const before = await status(url);
    await restartHub();
    const seq = await submit([{ pattern: '+92 333 444 5555', category: 'wangiri', confidence: 90 }]);
    expect(seq).toBeGreaterThan(before.seq);
    const after = await until('caught up', () => status(url), (s) => s.seq >= seq && s.connected);
    expect(await verdict(url, '%2B923334445555')).toBe('block');
    expect(after).toMatchObject({ snapshots: 1, patterns: 4, lastError: null });
    expect(after.changesApplied).toBe(1); // the first three came in the snapshot
  });

  it('a new mirror process serves the saved list at once with the hub down, then resumes from its seq without a snapshot', async () => {
    const last = await status(mirror!.url);
    await mirror!.close();
    mirror = undefined;
    expect(savedSeq()).toBe(last.seq); // saved at close
    const hubUrl = hub.base;
    hub.child.kill('SIGTERM');
    await hub.exited;

    // A real child process, as a partner runs it.
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'clients/mirror/src/main.ts', '--url', hubUrl, '--port', '0', '--data', mirrorDir, '--country', 'PK', '--default-country', 'PK', '--save-every-ms', '200', '--reconnect-max-ms', '300'],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HUB_API_KEY: feedKey, HUB_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    children.add(child);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let err = '';
    const started = Date.now();
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`mirror did not start:\n${err}`)), 20_000);
      child.stderr!.on('data', (chunk: Buffer) => {
        err += chunk.toString();
        const m = /hub mirror listening on (http:\/\/\S+)/.exec(err);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      void exited.then((code) => reject(new Error(`mirror exited with ${code}:\n${err}`)));
    });
    console.info(`mirror child: listening ${Date.now() - started} ms after spawn`);

    // The first answers come from the saved list: the hub is down.
    expect(await verdict(url, '%2B923334445555')).toBe('block');
    expect(await verdict(url, '03009876543')).toBe('flag');
    const cold = await status(url);
    expect(cold).toMatchObject({ connected: false, seq: last.seq, patterns: 4, snapshots: 0, ready: true, restored: { seq: last.seq, patterns: 4 } });

    await restartHub();
    expect(hub.base).toBe(hubUrl);
    const seq = await submit([{ pattern: '+92 345 678 9012', category: 'irsf', confidence: 85 }]);
    const resumed = await until('the child caught up', () => status(url), (s) => s.seq >= seq && s.connected, 30_000);
    expect(await verdict(url, '%2B923456789012')).toBe('block');
    // Resumed from the saved seq: changes only, no snapshot downloaded.
    expect(resumed).toMatchObject({ snapshots: 0, patterns: 5 });
    expect(resumed.changesApplied).toBeGreaterThanOrEqual(1);
    console.info(`mirror child: hub back to caught up in ${Date.now() - started} ms since spawn (mode ${resumed.mode})`);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(savedSeq()).toBeGreaterThanOrEqual(seq);
  });
});
