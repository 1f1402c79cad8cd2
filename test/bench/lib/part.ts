/** What every benchmark part gets from the runner, and what it gives back. */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { scratchDatabase, seedPostgres } from './db';
import type { Figure } from './figures';
import { startHub, type RunningHub } from './hub';
import { Scope } from './scope';

export interface PartContext {
  part: string;
  quick: boolean;
  /** Run hubs (and in-process benchmarks) under the V8 CPU profiler. */
  profile: boolean;
  /** Cleaned up when the part ends (or times out). */
  scope: Scope;
  shared: SharedFixtures;
  log(message: string): void;
  /** A line for RESULTS.md: what was done, with what parameters. */
  detail(message: string): void;
  /** A directory for a CPU profile of `label` when profiling, else undefined; summarized after the part. */
  profileDir(label: string): string | undefined;
}

export interface Part {
  name: string;
  title: string;
  /** Hard limit for the whole part, full and quick. */
  timeoutMs: { full: number; quick: number };
  run(ctx: PartContext): Promise<Figure[]>;
}

const PROFILE_ROOT = fileURLToPath(new URL('../profiles/', import.meta.url));

/** A fresh directory for one profile. */
export function makeProfileDir(part: string, label: string): string {
  const dir = `${PROFILE_ROOT}${part}-${label}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Fixtures that several parts may share within one run (created on first use, dropped at the
 * end of the run): a PostgreSQL database seeded with N live patterns and the last K changes, and
 * in quick mode a hub on it (a full run starts a hub of its own for each part).
 */
export class SharedFixtures {
  readonly #seeded = new Map<string, Promise<string>>();
  readonly #hubs = new Map<string, Promise<RunningHub>>();
  constructor(private readonly scope: Scope, private readonly log: (m: string) => void) {}

  /** A hub on the seeded database: shared by the parts of a quick run, else the part's own (profiled if asked). */
  async seededHub(ctx: PartContext, patterns: number, changes: number): Promise<RunningHub> {
    const url = await this.seededDatabase(patterns, changes);
    if (!ctx.quick || ctx.profile) return startHub(ctx.scope, { databaseUrl: url, profileDir: ctx.profileDir('hub') });
    const key = `${patterns}/${changes}`;
    let hub = this.#hubs.get(key);
    if (!hub) {
      hub = startHub(this.scope, { databaseUrl: url });
      hub.catch(() => this.#hubs.delete(key));
      this.#hubs.set(key, hub);
    }
    return hub;
  }

  seededDatabase(patterns: number, changes: number): Promise<string> {
    const key = `${patterns}/${changes}`;
    let p = this.#seeded.get(key);
    if (!p) {
      p = (async () => {
        const started = performance.now();
        const url = await scratchDatabase(this.scope);
        await seedPostgres(url, patterns, changes);
        this.log(`seeded PostgreSQL with ${patterns.toLocaleString('en-US')} patterns and ${changes.toLocaleString('en-US')} changes in ${((performance.now() - started) / 1000).toFixed(1)} s`);
        return url;
      })();
      // A failed seed is not cached: the next part tries again.
      p.catch(() => this.#seeded.delete(key));
      this.#seeded.set(key, p);
    }
    return p;
  }
}
