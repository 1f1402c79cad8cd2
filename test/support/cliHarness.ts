import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createScratchDatabase, TEST_DATABASE_URL } from './db';
import { spawnHub, type HubProcess } from './process';

/** The repository root: the CLI runs from there, as `npx hub` does. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'clients/cli/bin/hub.mjs');

/** A hub process for CLI tests, on its own PGlite directory or PostgreSQL database. */
export interface CliHub {
  base: string;
  operatorKey: string;
  process: HubProcess;
  /** Onboards a partner over REST and returns its key. */
  partner(roles: string[], country?: string): Promise<string>;
  /** An authenticated REST call (JSON answer). */
  get<T>(path: string, key?: string): Promise<T>;
  close(): Promise<void>;
}

/** Starts a real hub (PGlite by default, PostgreSQL when TEST_DATABASE_URL is set) with intake limits out of the way. */
export async function startCliHub(): Promise<CliHub> {
  const operatorKey = `cli_operator_${randomBytes(16).toString('hex')}`;
  const scratch = TEST_DATABASE_URL ? await createScratchDatabase() : null;
  const dataDir = scratch ? null : mkdtempSync(join(tmpdir(), 'hub-cli-data-'));
  const hub = await spawnHub({
    ...(scratch ? { DATABASE_URL: scratch.url } : { HUB_DATA_DIR: dataDir! }),
    HUB_OPERATOR_KEY: operatorKey,
    HUB_RATE_INTAKE_PER_SEC: '100000',
    HUB_RATE_INTAKE_BURST: '100000',
  });
  const call = async <T>(path: string, key: string, init: RequestInit = {}): Promise<T> => {
    const res = await fetch(hub.base + path, { ...init, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...init.headers } });
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  return {
    base: hub.base,
    operatorKey,
    process: hub,
    async partner(roles, country = 'PK') {
      const body = JSON.stringify({ name: `cli-test-${randomBytes(4).toString('hex')}`, country, roles });
      return (await call<{ apiKey: string }>('/v1/partners', operatorKey, { method: 'POST', body })).apiKey;
    },
    get: (path, key = operatorKey) => call(path, key),
    async close() {
      hub.child.kill('SIGTERM');
      const timer = setTimeout(() => hub.child.kill('SIGKILL'), 15_000);
      await hub.exited;
      clearTimeout(timer);
      await scratch?.drop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** What a finished CLI run left behind. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A CLI process that is still running, with its output so far. */
export interface RunningCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  done: Promise<CliResult>;
}

/** Starts `node clients/cli/bin/hub.mjs ARGS` with only PATH and `env` (HUB_URL, HUB_API_KEY...) in its environment. */
export function startCli(args: string[], env: Record<string, string>): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const done = new Promise<CliResult>((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

/** Runs the CLI to the end. */
export function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return startCli(args, env).done;
}

/** Waits until `check` is true (polling), or fails with `what`. */
export async function waitUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000, everyMs = 25): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A temporary directory, removed by the returned function. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
