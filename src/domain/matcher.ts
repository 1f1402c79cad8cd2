import type { Pattern } from '../../schemas/patterns';

/**
 * In-memory longest-prefix matcher over the live patterns, kept in step with the change log.
 * Patterns are bucketed by their fixed digits, so a lookup of an N-digit number costs at most N
 * map probes whatever the number of patterns, and an update costs one.
 */
export class PrefixMatcher {
  readonly #byPrefix = new Map<string, Pattern[]>();
  readonly #byKey = new Map<string, Pattern>();
  #maxPrefix = 0;

  /** Number of patterns held. */
  get size(): number {
    return this.#byKey.size;
  }

  /** Adds a pattern or replaces the one with the same key. */
  upsert(p: Pattern): void {
    const old = this.#byKey.get(p.key);
    this.#byKey.set(p.key, p);
    const bucket = this.#byPrefix.get(p.prefix);
    if (!bucket) {
      this.#byPrefix.set(p.prefix, [p]);
      this.#maxPrefix = Math.max(this.#maxPrefix, p.prefix.length);
      return;
    }
    if (old) bucket[bucket.indexOf(old)] = p;
    // Same fixed digits: a fixed-length block is more specific than the open prefix, so it comes first.
    else if (p.length === null) bucket.push(p);
    else bucket.unshift(p);
  }

  /** Drops the pattern with this key, if held. */
  remove(key: string): void {
    const old = this.#byKey.get(key);
    if (!old) return;
    this.#byKey.delete(key);
    const bucket = this.#byPrefix.get(old.prefix)!;
    if (bucket.length === 1) this.#byPrefix.delete(old.prefix);
    else bucket.splice(bucket.indexOf(old), 1);
  }

  /** Every held pattern that covers the number (E.164 digits), longest prefix first, fixed length before open. */
  match(digits: string): Pattern[] {
    const out: Pattern[] = [];
    for (let n = Math.min(digits.length, this.#maxPrefix); n > 0; n--) {
      const bucket = this.#byPrefix.get(digits.slice(0, n));
      if (!bucket) continue;
      for (const p of bucket) if (p.length === null || p.length === digits.length) out.push(p);
    }
    return out;
  }

  /** Drops everything (before a reload from a snapshot). */
  clear(): void {
    this.#byPrefix.clear();
    this.#byKey.clear();
    this.#maxPrefix = 0;
  }
}
