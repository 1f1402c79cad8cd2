/**
 * Clean-up scopes for the benchmark: every hub, load process and scratch database registers how
 * to undo itself, and a scope closes them last-in first-out. Each part runs in a scope of its own;
 * fixtures shared between parts (a seeded database) live in the run's scope.
 */
import type { ChildProcess } from 'node:child_process';

/** Every child process started by the benchmark, killed if the coordinator exits without cleaning up. */
const children = new Set<ChildProcess>();

process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** Tracks a child so that it never outlives the coordinator. */
export function track(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** Undo actions, run in reverse order by `close`. */
export class Scope {
  readonly #undo: { what: string; fn: () => Promise<void> | void }[] = [];
  #closed = false;

  defer(what: string, fn: () => Promise<void> | void): void {
    if (this.#closed) throw new Error(`scope closed: cannot defer ${what}`);
    this.#undo.push({ what, fn });
  }

  /** Runs every undo action (each bounded to 30 s), reporting failures without stopping. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#undo.length > 0) {
      const { what, fn } = this.#undo.pop()!;
      try {
        await withTimeout(Promise.resolve(fn()), 30_000, `clean-up: ${what}`);
      } catch (err) {
        process.stderr.write(`  clean-up of ${what} failed: ${(err as Error).message}\n`);
      }
    }
  }
}

/** Rejects when `p` has not settled within `ms`. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
