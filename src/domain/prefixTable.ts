import { POW10 } from './patternColumns';

/** Most entries per table slot before it grows; how full growing leaves it; how full trim and reserve size it. */
const MAX_LOAD = 0.8;
const GROWN_LOAD = 0.6;
const TARGET_LOAD = 0.75;
/** Words per entry: the code's low 32 bits; its high bits, digit count and head info; head slot + 1. */
const WORDS = 3;
const HIGH_BITS = 0x7ffff;
const TWO_32 = 4294967296;

/** What an entry tells about its chain, when the chain is one pattern: its length, or open. */
export const HEAD_OPEN = 254;
/** The chain has more than one pattern (or a length too large to tell): walk it from the head. */
export const HEAD_CHAIN = 255;

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
 * Prefix code → the slot heading that prefix's chain, by open addressing with linear probing and
 * backward-shift deletes (no tombstones). An entry is 12 bytes: the code itself (so a probe is
 * checked without reading the slot) and, beside the head slot, what a lookup needs of a chain of
 * one pattern (its length, or open): a hit costs the one cache line of its entry. The table is
 * sized to its entries (75% full after a bulk load, at most 80%), not to a power of two, which is
 * what keeps it to about 16 bytes a prefix. In front of it, a blocked Bloom filter (two bits in
 * one 32-bit word per prefix, about 4 bits per entry: 1 MB for a million prefixes, small enough to
 * stay in the CPU cache) answers most probes for an absent prefix without touching the table.
 */
export class PrefixTable {
  #table = new Uint32Array(0);
  #size = 0;
  #entries = 0;
  /** Empty until the first insert: a read past its end is undefined, so every probe misses. */
  #bloom = new Int32Array(0);
  #bloomShift = 32;
  /** Entries deleted since the filter was built: they leave bits set, so it is rebuilt now and then. */
  #stale = 0;

  /** The slot heading the chain of the prefix with this code and hash, or -1. */
  get(code: number, hash: number): number {
    const at = this.#find(code, hash);
    return at < 0 ? -1 : this.#table[at * WORDS + 2]! - 1;
  }

  /**
   * For a lookup: the head slot of the prefix's chain times 256 plus what its entry tells of the
   * chain (a length, HEAD_OPEN or HEAD_CHAIN), or -1 when no pattern has the prefix.
   */
  head(code: number, hash: number): number {
    const at = this.#find(code, hash);
    if (at < 0) return -1;
    const e = at * WORDS;
    return (this.#table[e + 2]! - 1) * 256 + (this.#table[e + 1]! >>> 23);
  }

  /**
   * Points the prefix at `slot` (heading a chain of one pattern of length `info`, or HEAD_OPEN, or
   * a longer chain: HEAD_CHAIN), or forgets it when `slot` is -1.
   */
  set(code: number, hash: number, slot: number, info: number): void {
    const at = this.#find(code, hash);
    if (at >= 0 && slot >= 0) this.#write(at, code, slot, info);
    else if (at >= 0) this.#deleteAt(at);
    else if (slot >= 0) this.#insert(code, hash, slot, info);
  }

  /** Sizes the table for `count` prefixes at once (see PrefixMatcher.reserve). */
  reserve(count: number): void {
    if (count > this.#size * MAX_LOAD) this.#rehash(Math.ceil(count / TARGET_LOAD));
  }

  /** Gives back the room a bulk load left beyond the target load. */
  trim(): void {
    const size = Math.max(16, Math.ceil(this.#entries / TARGET_LOAD));
    if (size < this.#size) this.#rehash(size);
  }

  /** Forgets every prefix. */
  clear(): void {
    this.#table = new Uint32Array(0);
    this.#size = 0;
    this.#entries = 0;
    this.#bloom = new Int32Array(0);
    this.#bloomShift = 32;
    this.#stale = 0;
  }

  /** The entry holding the code, or -1. */
  #find(code: number, hash: number): number {
    const bits = bloomBits(hash);
    // An empty table has an empty filter: reading past its end gives undefined, so this returns.
    if ((this.#bloom[hash >>> this.#bloomShift]! & bits) !== bits) return -1;
    const table = this.#table;
    const size = this.#size;
    const low = code >>> 0;
    const high = Math.floor(code / TWO_32);
    for (let i = this.#home(hash); ; i = following(i, size)) {
      const e = i * WORDS;
      if (table[e + 2] === 0) return -1;
      if (table[e] === low && (table[e + 1]! & HIGH_BITS) === high) return i;
    }
  }

  /** Where the hash's probe run starts: its place in [0, size), by a multiply-shift. */
  #home(hash: number): number {
    return Math.floor(((hash >>> 0) * this.#size) / TWO_32);
  }

  /** The first empty entry of the hash's probe run (the table is never full). */
  #emptyEntry(hash: number): number {
    let i = this.#home(hash);
    while (this.#table[i * WORDS + 2] !== 0) i = following(i, this.#size);
    return i;
  }

  #write(at: number, code: number, slot: number, info: number): void {
    const e = at * WORDS;
    const digits = digitCount(code);
    this.#table[e] = code >>> 0;
    this.#table[e + 1] = (Math.floor(code / TWO_32) | (digits << 19) | (Math.min(info, HEAD_CHAIN) << 23)) >>> 0;
    this.#table[e + 2] = slot + 1;
  }

  #insert(code: number, hash: number, slot: number, info: number): void {
    if (this.#entries + 1 > this.#size * MAX_LOAD) this.#rehash(Math.max(16, Math.ceil((this.#entries + 1) / GROWN_LOAD)));
    this.#write(this.#emptyEntry(hash), code, slot, info);
    this.#entries++;
    this.#mark(hash);
  }

  /** Empties an entry, moving later entries of its probe run back so lookups still reach them. */
  #deleteAt(hole: number): void {
    const table = this.#table;
    const size = this.#size;
    for (let j = following(hole, size); table[j * WORDS + 2] !== 0; j = following(j, size)) {
      const home = this.#home(this.#hashAt(j));
      // The entry at j may fill the hole when its home is not strictly after the hole (cyclically, up to j).
      if ((j - home + size) % size >= (j - hole + size) % size) {
        table.copyWithin(hole * WORDS, j * WORDS, j * WORDS + WORDS);
        hole = j;
      }
    }
    table.fill(0, hole * WORDS, hole * WORDS + WORDS);
    this.#entries--;
    if (++this.#stale > this.#entries) this.#rebuildFilter();
  }

  #rehash(size: number): void {
    const old = this.#table;
    const oldSize = this.#size;
    this.#table = new Uint32Array(size * WORDS);
    this.#size = size;
    for (let o = 0; o < oldSize; o++) {
      if (old[o * WORDS + 2] !== 0) this.#table.set(old.subarray(o * WORDS, o * WORDS + WORDS), this.#emptyEntry(hashOfEntry(old, o)) * WORDS);
    }
    this.#rebuildFilter();
  }

  /** Sizes the filter to the table (a power of two of words, about 4 bits per entry slot) and sets the bits of every entry. */
  #rebuildFilter(): void {
    let words = 32;
    while (words * 8 < this.#size) words *= 2;
    this.#bloom = new Int32Array(words);
    this.#bloomShift = 32 - Math.log2(words);
    this.#stale = 0;
    for (let i = 0; i < this.#size; i++) if (this.#table[i * WORDS + 2] !== 0) this.#mark(this.#hashAt(i));
  }

  #mark(hash: number): void {
    this.#bloom[hash >>> this.#bloomShift]! |= bloomBits(hash);
  }

  #hashAt(i: number): number {
    return hashOfEntry(this.#table, i);
  }
}

/** The entry after `i` in a probe run, wrapping at the end of a table of `size` entries. */
function following(i: number, size: number): number {
  return i + 1 === size ? 0 : i + 1;
}

/** The hash of the code held by entry `i` of `table`. */
function hashOfEntry(table: Uint32Array, i: number): number {
  const w1 = table[i * WORDS + 1]!;
  const code = (w1 & HIGH_BITS) * TWO_32 + table[i * WORDS]!;
  return hashPrefixCode(code, (w1 >>> 19) & 15);
}

/** The digit count n of a prefix code (10^n <= code < 2 * 10^n). */
function digitCount(code: number): number {
  let n = 0;
  while (n + 1 < POW10.length && POW10[n + 1]! <= code) n++;
  return n;
}
