/**
 * Starts the hub exactly as production does (`node --import tsx src/node.ts`, one process) on a
 * given database, with the rate limits raised out of the way, and optionally under the V8 CPU
 * profiler (see HubStart.profileDir).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { collectGarbage, startProfiling, type InspectorProfiler } from './inspector';
import { ROOT, rssOf } from './proc';
import { track, type Scope } from './scope';

export interface HubStart {
  /** postgres:// URL; absent: embedded PGlite in `dataDir`. */
  databaseUrl?: string;
  dataDir?: string;
  env?: Record<string, string>;
  /**
   * Write a V8 CPU profile (.cpuprofile) into this directory: of the hub's life from ready to
   * stop (over the inspector), or from spawn to exit (`--cpu-prof`) with `profileStartup`.
   */
  profileDir?: string;
  profileStartup?: boolean;
  /** Under the inspector even without a profile, for `collectGarbage`. */
  inspect?: boolean;
  timeoutMs?: number;
}

/** A hub child process. */
export interface RunningHub {
  readonly child: ChildProcess;
  readonly pid: number;
  /** http://127.0.0.1:<port> */
  readonly base: string;
  readonly operatorKey: string;
  /** From spawn to the "listening" line, in ms. */
  readonly startMs: number;
  rss(): number;
  /** A full garbage collection in the hub (started with `inspect` or a profile over the inspector). */
  collectGarbage(): Promise<void>;
  /** Onboards a partner and returns its API key. */
  partner(roles: string[], country?: string): Promise<{ id: string; key: string }>;
  /** Writes the profile (if any), then SIGTERM (graceful), SIGKILL after 20 s. */
  stop(): Promise<void>;
  stderr(): string;
}

/** The settings every benchmark hub runs with; parts may override them. */
export function benchEnv(): Record<string, string> {
  return {
    HUB_LOG_LEVEL: 'warn',
    HUB_RATE_INTAKE_PER_SEC: '100000',
    HUB_RATE_INTAKE_BURST: '100000',
    HUB_RATE_LOOKUP_PER_SEC: '1000000',
    HUB_RATE_LOOKUP_BURST: '1000000',
    // No expiry sweep in the middle of a measurement (seeded patterns are valid for 90 days anyway).
    HUB_SWEEP_MS: '3600000',
  };
}

export async function startHub(scope: Scope, opts: HubStart): Promise<RunningHub> {
  const operatorKey = `bench-operator-${randomBytes(16).toString('hex')}`;
  const nodeArgs = ['--import', 'tsx'];
  if (opts.profileDir) mkdirSync(opts.profileDir, { recursive: true });
  if (opts.profileDir && opts.profileStartup) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`);
  // A profile of the hub's life from ready to stop is taken over the inspector.
  else if (opts.profileDir || opts.inspect) nodeArgs.push('--inspect=127.0.0.1:0');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    PORT: '0',
    HOST: '127.0.0.1',
    HUB_OPERATOR_KEY: operatorKey,
    ...benchEnv(),
    ...(opts.databaseUrl ? { DATABASE_URL: opts.databaseUrl } : {}),
    ...(opts.dataDir ? { HUB_DATA_DIR: opts.dataDir } : {}),
    ...opts.env,
  };
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, 'src/node.ts'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  track(child);
  let err = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let profiler: InspectorProfiler | null = null;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    await profiler?.stop();
    profiler = null;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(killer);
  };
  scope.defer('hub', stop);
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hub did not start within ${opts.timeoutMs ?? 120_000} ms:\n${err}`)), opts.timeoutMs ?? 120_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      // Keep the head (start-up) and the tail (warnings) of what the hub says.
      err = err.length > 20_000 ? err.slice(0, 10_000) + err.slice(-10_000) : err;
      err += chunk.toString();
      const m = /listening on http:\/\/localhost:(\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${m[1]}`);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`hub exited (${child.exitCode ?? child.signalCode}) before listening:\n${err}`));
    });
  });
  const startMs = performance.now() - started;
  const debuggerUrl = /Debugger listening on (ws:\/\/\S+)/.exec(err)?.[1];
  if (opts.profileDir && debuggerUrl) profiler = await startProfiling(debuggerUrl, opts.profileDir, child.pid!);
  return {
    child,
    pid: child.pid!,
    base,
    operatorKey,
    startMs,
    rss: () => rssOf(child.pid!),
    async collectGarbage() {
      if (!debuggerUrl) throw new Error('the hub was not started under the inspector');
      await collectGarbage(debuggerUrl);
    },
    stderr: () => err,
    stop,
    async partner(roles, country = 'PK') {
      const res = await fetch(`${base}/v1/partners`, {
        method: 'POST',
        headers: { authorization: `Bearer ${operatorKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `bench-${randomBytes(4).toString('hex')}`, country, roles }),
      });
      if (res.status !== 201) throw new Error(`partner: ${res.status} ${await res.text()}`);
      const body = (await res.json()) as { id: string; apiKey: string };
      return { id: body.id, key: body.apiKey };
    },
  };
}
