import { createReadStream } from 'node:fs';
import { mkdir, open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { Change } from '../../../schemas/feed';
import type { Pattern } from '../../../schemas/patterns';
import { PrefixMatcher } from '../../../src/domain/matcher';
import { normalizeNumber } from '../../../src/domain/numbers';
import { decideVerdict } from '../../../src/domain/verdict';

/** The answer of `check`: what a switch does with a call from this number. */
export interface CheckResult {
  number: string;
  verdict: 'block' | 'flag' | 'allow';
  matches: Pattern[];
}

const FORMAT = 'fraud-hub-blocklist/1';

/**
 * A partner's local copy of the block list: built from a snapshot and changes, answering
 * `check(number)` by longest prefix from memory, and saved with its `seq` so a restart resumes
 * instead of downloading everything again. Changes at or below the list's `seq` are ignored, so
 * a change delivered twice is never applied twice.
 */
export class BlockList {
  readonly #matcher = new PrefixMatcher();
  readonly #byKey = new Map<string, Pattern>();
  #seq = 0;
  #loaded = false;

  constructor(private readonly opts: { defaultCountry?: string } = {}) {}

  /** Everything up to here is applied. */
  get seq(): number {
    return this.#seq;
  }

  /** Whether the list holds a snapshot (loaded, restored or received). */
  get ready(): boolean {
    return this.#loaded;
  }

  get size(): number {
    return this.#byKey.size;
  }

  /** Replaces the whole list with a snapshot. */
  applySnapshot(seq: number, patterns: readonly Pattern[]): void {
    this.#matcher.clear();
    this.#byKey.clear();
    for (const p of patterns) this.#put(p);
    this.#seq = seq;
    this.#loaded = true;
  }

  /** Applies changes in seq order (skipping any at or below `seq`), then moves to `seq`. */
  applyChanges(changes: readonly Change[], seq: number): Change[] {
    const applied: Change[] = [];
    for (const c of changes) {
      if (c.seq <= this.#seq) continue;
      if (c.op === 'upsert') this.#put(c.pattern);
      else this.#drop(c.pattern.key);
      applied.push(c);
    }
    this.#seq = Math.max(this.#seq, seq);
    return applied;
  }

  /** Moves the position without changes (a `position` message: nothing for this filter). */
  advance(seq: number): void {
    this.#seq = Math.max(this.#seq, seq);
  }

  /** The verdict for a number in any form the hub accepts. */
  check(number: string, country?: string): CheckResult | { error: string } {
    const parsed = normalizeNumber(number, { country, defaultCountry: this.opts.defaultCountry });
    if (!parsed.ok) return { error: `${parsed.code}: ${parsed.message}` };
    const matches = this.#matcher.match(parsed.digits);
    return { number: `+${parsed.digits}`, verdict: decideVerdict(matches), matches };
  }

  /** Every pattern, in key order. */
  patterns(): Pattern[] {
    return [...this.#byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Writes the list (NDJSON: a header line, then one pattern per line) atomically, as of the call. */
  async save(path: string): Promise<void> {
    // Taken before the first await: changes applied while writing belong to the next save.
    const seq = this.#seq;
    const patterns = [...this.#byKey.values()];
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    const file = await open(tmp, 'w');
    try {
      await file.write(JSON.stringify({ format: FORMAT, seq, count: patterns.length }) + '\n');
      for (let i = 0; i < patterns.length; i += 1000) {
        await file.write(patterns.slice(i, i + 1000).map((p) => JSON.stringify(p)).join('\n') + '\n');
      }
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  }

  /** Restores a list saved by `save`; false when there is none (or it is not a saved list). */
  async load(path: string): Promise<boolean> {
    let header: { format?: string; seq?: number } | undefined;
    const patterns: Pattern[] = [];
    try {
      const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
      for await (const line of lines) {
        if (!line) continue;
        if (!header) header = JSON.parse(line) as typeof header;
        else patterns.push(JSON.parse(line) as Pattern);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    if (header?.format !== FORMAT || typeof header.seq !== 'number') return false;
    this.applySnapshot(header.seq, patterns);
    return true;
  }

  #put(p: Pattern): void {
    this.#byKey.set(p.key, p);
    this.#matcher.upsert(p);
  }

  #drop(key: string): void {
    this.#byKey.delete(key);
    this.#matcher.remove(key);
  }
}
