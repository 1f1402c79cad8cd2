import { POW10, type PatternColumns } from './patternColumns';
const MAX_LOAD = 0.6;

/**
 * A well-mixed 32-bit hash of a prefix from its digit count and its value modulo 2^32: both are
 * kept in 32-bit integer arithmetic while a lookup walks the number's digits.
 */
export function mixPrefix(digits: number, low: number): number {
  const h = Math.imul((low ^ Math.imul(digits, 0x9e3779b9)) | 0, 0x85ebca6b);
  return h ^ (h >>> 15);
}

/** The hash of a coded prefix (see `mixPrefix`). */
export function hashPrefixCode(code: number, digits: number): number {
  return mixPrefix(digits, (code - POW10[digits]!) >>> 0);
}

/** The two bits a prefix sets in its filter word (a blocked Bloom filter: one word read per probe). */
function bloomBits(hash: number): number {
  return (1 << (hash & 31)) | (1 << ((hash >>> 5) & 31));
}

/**
 * Prefix code → the slot heading that prefix's chain: open addressing with linear probing over an
 * Int32Array (slot + 1, 0 when empty), backward-shift deletes (no tombstones), at most 60% full.
 * The codes themselves stay in the slots (PatternColumns), so an entry is 4 bytes. In front of it,
 * a blocked Bloom filter (two bits in one 32-bit word per prefix, 4 bits per table entry: 1 MB for
 * a million prefixes, small enough to stay in the CPU cache) answers most probes for an absent
 * prefix without touching the table.
 */
export class PrefixTable {
  #table = new Int32Array(0);
  #mask = -1;
  #entries = 0;
  /** Empty until the first insert: a read past its end is undefined, so every probe misses. */
  #bloom = new Int32Array(0);
  #bloomShift = 32;
  /** Entries deleted since the filter was built: they leave bits set, so it is rebuilt now and then. */
  #stale = 0;

  constructor(private readonly cols: PatternColumns) {}

  /** The slot heading the chain of the prefix with this code and hash, or -1. */
  get(code: number, hash: number): number {
    const bits = bloomBits(hash);
    if ((this.#bloom[hash >>> this.#bloomShift]! & bits) !== bits) return -1;
    const at = this.#indexOf(code, hash);
    return at < 0 ? -1 : this.#table[at]! - 1;
  }

  /** Points the prefix at `slot`, or forgets it when `slot` is -1. */
  set(code: number, hash: number, slot: number): void {
    const at = this.#indexOf(code, hash);
    if (at >= 0 && slot >= 0) this.#table[at] = slot + 1;
    else if (at >= 0) this.#deleteAt(at);
    else if (slot >= 0) this.#insert(hash, slot);
  }

  /** Sizes the table for `count` prefixes at once, as growing entry by entry would end up. */
  reserve(count: number): void {
    if (count <= this.#table.length * MAX_LOAD) return;
    let size = Math.max(1024, this.#table.length);
    while (count > size * MAX_LOAD) size *= 2;
    if (size > this.#table.length) this.#rehash(size);
  }

  /** Forgets every prefix. */
  clear(): void {
    this.#table = new Int32Array(0);
    this.#mask = -1;
    this.#entries = 0;
    this.#bloom = new Int32Array(0);
    this.#bloomShift = 32;
    this.#stale = 0;
  }

  #indexOf(code: number, hash: number): number {
    if (this.#entries === 0) return -1;
    const table = this.#table;
    const codes = this.cols.codes;
    for (let i = hash & this.#mask; ; i = (i + 1) & this.#mask) {
      const e = table[i]!;
      if (e === 0) return -1;
      if (codes[2 * (e - 1)] === code) return i;
    }
  }

  #insert(hash: number, slot: number): void {
    if (this.#entries + 1 > this.#table.length * MAX_LOAD) this.#rehash(Math.max(1024, this.#table.length * 2));
    let i = hash & this.#mask;
    while (this.#table[i] !== 0) i = (i + 1) & this.#mask;
    this.#table[i] = slot + 1;
    this.#entries++;
    this.#mark(hash);
  }

  /** Empties an entry, moving later entries of its probe run back so lookups still reach them. */
  #deleteAt(hole: number): void {
    const table = this.#table;
    const mask = this.#mask;
    for (let j = (hole + 1) & mask; table[j] !== 0; j = (j + 1) & mask) {
      const home = this.#hashOf(table[j]! - 1) & mask;
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        table[hole] = table[j]!;
        hole = j;
      }
    }
    table[hole] = 0;
    this.#entries--;
    if (++this.#stale > this.#entries) this.#rebuildFilter();
  }

  #rehash(size: number): void {
    const old = this.#table;
    this.#table = new Int32Array(size);
    this.#mask = size - 1;
    for (const e of old) {
      if (e === 0) continue;
      let i = this.#hashOf(e - 1) & this.#mask;
      while (this.#table[i] !== 0) i = (i + 1) & this.#mask;
      this.#table[i] = e;
    }
    this.#rebuildFilter();
  }

  /** Sizes the filter to the table (4 bits per entry slot) and sets the bits of every entry. */
  #rebuildFilter(): void {
    const words = Math.max(32, this.#table.length / 8);
    this.#bloom = new Int32Array(words);
    this.#bloomShift = 32 - Math.log2(words);
    this.#stale = 0;
    for (const e of this.#table) if (e !== 0) this.#mark(this.#hashOf(e - 1));
  }

  #mark(hash: number): void {
    this.#bloom[hash >>> this.#bloomShift]! |= bloomBits(hash);
  }

  #hashOf(slot: number): number {
    return hashPrefixCode(this.cols.codes[2 * slot]!, this.cols.prefixLengthOf(slot));
  }
}
