import type { Tlp } from '../../schemas/common';
import type { Action, Pattern } from '../../schemas/patterns';
import { TLPS } from '../../schemas/common';
import { ACTIONS } from '../../schemas/patterns';
import { parseBlockKey, type Block } from './blocks';
import { isCoded, MAX_CODED_DIGITS, OPEN_LENGTH, PatternColumns, POW10, prefixCode } from './patternColumns';
import { HEAD_CHAIN, HEAD_OPEN, hashPrefixCode, mixPrefix, PrefixTable } from './prefixTable';

/**
 * In-memory longest-prefix matcher over the live patterns, kept in step with the change log.
 * Patterns live in typed arrays (src/domain/patternColumns.ts); an open-addressing table
 * (src/domain/prefixTable.ts) maps each distinct prefix to the chain of patterns that share it,
 * and tells of a chain of one pattern its length, so a hit reads nothing else. A lookup computes
 * the codes of the number's prefixes digit by digit and probes only the prefix lengths some
 * pattern has: no string is built, and Pattern objects are made only for the matches a caller
 * asks for.
 */
export class PrefixMatcher {
  readonly #cols = new PatternColumns();
  /** The head slot of each coded prefix's chain. */
  readonly #table = new PrefixTable();
  /** Chains of prefixes too long to code, by prefix. */
  readonly #long = new Map<string, number>();
  /** Patterns per prefix length: a lookup probes only the lengths in use. */
  readonly #perLength = new Int32Array(256);

  /** Number of patterns held. */
  get size(): number {
    return this.#cols.size;
  }

  /** Adds a pattern or replaces the one with the same key. */
  upsert(p: Pattern): void {
    const held = this.#locate(p);
    if (held >= 0) return this.#cols.write(held, p);
    const slot = this.#cols.add(p);
    this.#link(slot, p.prefix);
    this.#count(p.prefix.length, 1);
  }

  /** Drops the pattern with this key, if held. */
  remove(key: string): void {
    const block = parseBlockKey(key);
    const slot = block ? this.#locate(block) : -1;
    if (slot < 0) return;
    this.#unlink(slot, block!.prefix);
    this.#cols.release(slot);
    this.#count(block!.prefix.length, -1);
  }

  /**
   * Writes into `out` the slots of every held pattern that covers the number (E.164 digits),
   * longest prefix first, fixed length before open, and returns how many (entries of `out` past
   * that count are stale). Read them with the `*At` methods; no object is made.
   */
  find(digits: string, out: number[]): number {
    const n = digits.length;
    const used = this.#perLength;
    const coded = n < MAX_CODED_DIGITS ? n : MAX_CODED_DIGITS;
    let count = 0;
    // One pass over the digits, shortest prefix first; the answer is reversed at the end.
    for (let len = 1, v = 0, low = 0; len <= coded; len++) {
      const d = digits.charCodeAt(len - 1) - 48;
      if (d < 0 || d > 9) return 0;
      v = v * 10 + d;
      low = (Math.imul(low, 10) + d) | 0;
      if (used[len] === 0) continue;
      // Most prefixes have one pattern, and the table entry says enough about it: its slot is not read.
      const hit = this.#table.head(POW10[len]! + v, mixPrefix(len, low));
      if (hit < 0) continue;
      const info = hit % 256;
      const slot = (hit - info) / 256;
      if (info === HEAD_CHAIN) count = this.#collect(slot, n, out, count);
      else if (info === HEAD_OPEN || info === n) out[count++] = slot;
    }
    for (let len = MAX_CODED_DIGITS + 1; len <= n && this.#long.size > 0; len++) {
      if (used[len] !== 0) count = this.#collect(this.#long.get(digits.slice(0, len)) ?? -1, n, out, count);
    }
    for (let i = 0, j = count - 1; i < j; i++, j--) {
      const t = out[i]!;
      out[i] = out[j]!;
      out[j] = t;
    }
    return count;
  }

  /** Appends the chain's patterns that cover an n-digit number, open before fixed (reversed later). */
  #collect(head: number, n: number, out: number[], count: number): number {
    const links = this.#cols.links;
    let fixed = -1;
    for (let s = head; s >= 0; s = links[4 * s + 2]!) {
      const l = links[4 * s + 3]!;
      if (l === OPEN_LENGTH) out[count++] = s;
      else if (l === n) fixed = s;
    }
    if (fixed >= 0) out[count++] = fixed;
    return count;
  }

  /** Every held pattern that covers the number, as Pattern objects (see `find`). */
  match(digits: string): Pattern[] {
    const slots: number[] = [];
    const count = this.find(digits, slots);
    return slots.slice(0, count).map((s) => this.#cols.pattern(s));
  }

  /** The pattern in a slot `find` gave. */
  patternAt(slot: number): Pattern {
    return this.#cols.pattern(slot);
  }

  /** `JSON.stringify(patternAt(slot))`, without building the pattern. */
  patternJsonAt(slot: number): string {
    return this.#cols.json(slot);
  }

  /** The key of the pattern in a slot `find` gave. */
  keyAt(slot: number): string {
    return this.#cols.keyOf(slot);
  }

  /** The TLP of the pattern in a slot `find` gave. */
  tlpAt(slot: number): Tlp {
    return TLPS[this.#cols.tlpOf(slot)]!;
  }

  /** The action of the pattern in a slot `find` gave. */
  actionAt(slot: number): Action {
    return ACTIONS[this.#cols.actionOf(slot)]!;
  }

  /** Drops everything (before a reload from a snapshot). */
  clear(): void {
    this.#cols.clear();
    this.#table.clear();
    this.#long.clear();
    this.#perLength.fill(0);
  }

  /** Makes room for `count` patterns in all, so that loading that many allocates nothing more. */
  reserve(count: number): void {
    this.#cols.reserve(count);
    this.#table.reserve(count);
  }

  /** Gives back the spare room a bulk load left (call after loading a snapshot). */
  trim(): void {
    this.#cols.trim();
    this.#table.trim();
  }

  /** The slot holding the block, or -1. */
  #locate(b: Block): number {
    for (let s = this.#headOf(b.prefix); s >= 0; s = this.#next(s)) if (this.#cols.lengthOf(s) === b.length) return s;
    return -1;
  }

  #headOf(prefix: string): number {
    if (!isCoded(prefix)) return this.#long.get(prefix) ?? -1;
    const code = prefixCode(prefix);
    return this.#table.get(code, hashPrefixCode(code, prefix.length));
  }

  /** Adds the slot to its prefix's chain: fixed lengths first, the open prefix last. */
  #link(slot: number, prefix: string): void {
    const head = this.#headOf(prefix);
    this.#setNext(slot, -1);
    if (head < 0) return this.#setHead(prefix, slot);
    if (this.#cols.lengthOf(slot) !== null) {
      this.#setNext(slot, head);
      return this.#setHead(prefix, slot);
    }
    let s = head;
    while (this.#next(s) >= 0) s = this.#next(s);
    this.#setNext(s, slot);
    this.#setHead(prefix, head); // the head's chain grew: its entry says so
  }

  #unlink(slot: number, prefix: string): void {
    const head = this.#headOf(prefix);
    if (head === slot) return this.#setHead(prefix, this.#next(slot));
    let s = head;
    while (this.#next(s) !== slot) s = this.#next(s);
    this.#setNext(s, this.#next(slot));
    this.#setHead(prefix, head); // the head's chain shrank: its entry says so
  }

  #next(slot: number): number {
    return this.#cols.links[4 * slot + 2]!;
  }

  #setNext(slot: number, next: number): void {
    this.#cols.links[4 * slot + 2] = next;
  }

  /** Points the prefix's table entry at `slot`, or deletes it when `slot` is -1. */
  #setHead(prefix: string, slot: number): void {
    if (!isCoded(prefix)) {
      if (slot < 0) this.#long.delete(prefix);
      else this.#long.set(prefix, slot);
      return;
    }
    const code = prefixCode(prefix);
    this.#table.set(code, hashPrefixCode(code, prefix.length), slot, slot < 0 ? 0 : this.#headInfo(slot));
  }

  /** What the table entry of a chain headed by `slot` tells a lookup (see PrefixTable.head). */
  #headInfo(slot: number): number {
    if (this.#next(slot) >= 0) return HEAD_CHAIN;
    const length = this.#cols.links[4 * slot + 3]!;
    if (length === OPEN_LENGTH) return HEAD_OPEN;
    return length < HEAD_OPEN ? length : HEAD_CHAIN;
  }

  #count(length: number, by: 1 | -1): void {
    const n = Math.min(length, this.#perLength.length - 1);
    this.#perLength[n] = this.#perLength[n]! + by;
  }
}
