/**
 * Child processes of the benchmark: load processes (forked TypeScript scripts under load/, driven
 * over IPC, each with a hard deadline) and the resident set size of any process, read from /proc.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { track, withTimeout, type Scope } from './scope';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const LOAD_DIR = fileURLToPath(new URL('../load/', import.meta.url));

export interface LoadOptions {
  /** The process exits by itself after this long, whatever happens. */
  deadlineMs: number;
  nodeArgs?: string[];
  env?: Record<string, string>;
}

/** A running load process. */
export interface LoadProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Runs a command in the process and resolves with its answer. */
  call<T>(cmd: string, arg?: unknown, timeoutMs?: number): Promise<T>;
  /** The next unsolicited message named `event`. */
  next<T>(event: string, timeoutMs?: number): Promise<T>;
  /** Resident set size in bytes. */
  rss(): number;
  /** Ends it (IPC disconnect, then SIGKILL after 5 s) and waits for its exit. */
  stop(): Promise<void>;
}

/** Forks `load/<script>.ts` with an IPC channel; resolves once it says it is ready. */
export async function forkLoad(scope: Scope, script: string, opts: LoadOptions): Promise<LoadProcess> {
  const child = fork(`${LOAD_DIR}${script}.ts`, [], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx', ...(opts.nodeArgs ?? [])],
    env: { ...process.env, ...opts.env, BENCH_DEADLINE_MS: String(opts.deadlineMs) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  track(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners = new Map<string, ((data: unknown) => void)[]>();
  child.on('message', (raw) => {
    const msg = raw as { id?: number; ok?: boolean; value?: unknown; error?: string; event?: string; data?: unknown };
    if (msg.event) {
      const waiting = listeners.get(msg.event) ?? [];
      listeners.delete(msg.event);
      for (const w of waiting) w(msg.data);
      return;
    }
    const p = pending.get(msg.id!);
    if (!p) return;
    pending.delete(msg.id!);
    if (msg.ok) p.resolve(msg.value);
    else p.reject(new Error(`${script}: ${msg.error}`));
  });
  void exited.then(() => {
    for (const p of pending.values()) p.reject(new Error(`${script} exited (code ${child.exitCode}, signal ${child.signalCode})`));
    pending.clear();
  });
  const next = <T>(event: string, timeoutMs = 60_000) =>
    withTimeout(
      new Promise<T>((resolve, reject) => {
        listeners.set(event, [...(listeners.get(event) ?? []), (d) => resolve(d as T)]);
        void exited.then(() => reject(new Error(`${script} exited before ${event}`)));
      }),
      timeoutMs,
      `${script} ${event}`,
    );
  const proc: LoadProcess = {
    child,
    pid: child.pid!,
    call<T>(cmd: string, arg?: unknown, timeoutMs = opts.deadlineMs) {
      const id = nextId++;
      const answer = new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: (v) => resolve(v as T), reject });
        child.send({ id, cmd, arg });
      });
      return withTimeout(answer, timeoutMs, `${script} ${cmd}`);
    },
    next,
    rss: () => rssOf(child.pid!),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.disconnect();
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
    },
  };
  scope.defer(`load process ${script}`, () => proc.stop());
  await next('ready', 60_000);
  return proc;
}

/** Resident set size of a process in bytes (0 once it is gone). */
export function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Samples a process's RSS every `everyMs` until stopped; returns the peak. */
export function sampleRss(pid: number, everyMs = 50): { stop: () => number } {
  let peak = rssOf(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssOf(pid))), everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, rssOf(pid));
    },
  };
}
