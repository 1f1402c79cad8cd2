import { ACTIONS, PATTERN_STATUSES, type Pattern } from '../../schemas/patterns';
import { TLPS } from '../../schemas/common';
import { asciiJson } from './asciiJson';
import { blockKey, blockKind } from './blocks';

/** Prefixes up to this many digits are held as one exact double (10^n + value < 2^53). */
export const MAX_CODED_DIGITS = 15;

/** 10^n for every coded prefix length n. */
export const POW10: readonly number[] = Array.from({ length: MAX_CODED_DIGITS + 1 }, (_, i) => 10 ** i);
/** The length of an open prefix in `links`. */
export const OPEN_LENGTH = -1;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

const DIGITS = /^[0-9]+$/;

/** Whether the prefix is held by its code: digits only, at most MAX_CODED_DIGITS of them. */
export function isCoded(prefix: string): boolean {
  return prefix.length <= MAX_CODED_DIGITS && DIGITS.test(prefix);
}

/** The code of a digit prefix of at most MAX_CODED_DIGITS digits: unique per (digits, length). */
export function prefixCode(prefix: string): number {
  return POW10[prefix.length]! + Number(prefix);
}

/** Each distinct value once, addressed by a small integer (countries, category lists). */
class Interner<T> {
  readonly #values: T[] = [];
  readonly #ids = new Map<string, number>();
  readonly #json: string[] = [];
  constructor(private readonly nameOf: (value: T) => string) {}
  id(value: T): number {
    const name = this.nameOf(value);
    let id = this.#ids.get(name);
    if (id === undefined) {
      id = this.#values.push(value) - 1;
      this.#ids.set(name, id);
    }
    return id;
  }
  value(id: number): T {
    return this.#values[id]!;
  }
  /** The value as ASCII JSON text (made once per value). */
  json(id: number): string {
    return (this.#json[id] ??= asciiJson(this.#values[id]));
  }
}

/** The value of `length` decimal digits at `at`, or -1 when one is not a digit. */
function digitsAt(text: string, at: number, length: number): number {
  let v = 0;
  for (let i = at; i < at + length; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** Where `Date#toISOString` puts each separator, as character codes: - - T : : . Z */
const ISO_SEPARATORS = [4, 45, 7, 45, 10, 84, 13, 58, 16, 58, 19, 46, 23, 90];
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * The instant of ISO text exactly as `Date#toISOString` writes it (`2026-11-25T12:00:00.000Z`), as
 * every stored timestamp is; null for anything else (kept verbatim then). NaN stands for null.
 * Parsed by hand: `Date.parse` plus a check that it prints back was most of the loading time.
 */
function instantMs(text: string | null): number | null {
  if (text === null) return NaN;
  if (text.length !== 24) return null;
  for (let i = 0; i < ISO_SEPARATORS.length; i += 2) if (text.charCodeAt(ISO_SEPARATORS[i]!) !== ISO_SEPARATORS[i + 1]) return null;
  const y = digitsAt(text, 0, 4);
  const mo = digitsAt(text, 5, 2);
  const d = digitsAt(text, 8, 2);
  const h = digitsAt(text, 11, 2);
  const mi = digitsAt(text, 14, 2);
  const sec = digitsAt(text, 17, 2);
  const ms = digitsAt(text, 20, 3);
  if (y < 100 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 || ms < 0) return null;
  const leap = mo === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (d > DAYS_IN_MONTH[mo - 1]! + (leap ? 1 : 0)) return null;
  return Date.UTC(y, mo - 1, d, h, mi, sec, ms);
}

/** The four 32-bit words of a canonical lower-case UUID, or null. */
function uuidWords(id: string, into: Uint32Array, at: number): boolean {
  if (id.length !== 36 || id[8] !== '-' || id[13] !== '-' || id[18] !== '-' || id[23] !== '-') return false;
  let word = 0;
  let nibbles = 0;
  for (let i = 0; i < 36; i++) {
    if (i === 8 || i === 13 || i === 18 || i === 23) continue;
    const c = id.charCodeAt(i);
    const v = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (v < 0) return false;
    word = (word << 4) | v;
    if (++nibbles % 8 === 0) {
      into[at + nibbles / 8 - 1] = word >>> 0;
      word = 0;
    }
  }
  return true;
}

const DAY_MS = 86_400_000;
const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
/** `YYYY-MM-DDT` of recent days: a lookup prints three instants per match. */
const dayTexts = new Map<number, string>();

/**
 * `Date#toISOString` of `ms` (null for NaN), built from a cached date part and digit tables: about
 * a quarter of the native call's time, which was most of the cost of building a Pattern.
 */
export function instantText(ms: number): string | null {
  if (Number.isNaN(ms)) return null;
  if (ms < 0 || ms >= 253_402_300_800_000) return new Date(ms).toISOString();
  const day = Math.floor(ms / DAY_MS);
  let date = dayTexts.get(day);
  if (date === undefined) {
    if (dayTexts.size >= 4096) dayTexts.clear();
    date = new Date(day * DAY_MS).toISOString().slice(0, 11);
    dayTexts.set(day, date);
  }
  let rest = ms - day * DAY_MS;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const sec = Math.floor(rest / 1000);
  return `${date}${TWO_DIGITS[h]}:${TWO_DIGITS[m]}:${TWO_DIGITS[sec]}.${THREE_DIGITS[rest - sec * 1000]}Z`;
}

/** A number as JSON writes it (null for NaN and infinities). */
const jsonNumber = (n: number): string => (Number.isFinite(n) ? String(n) : 'null');
/** An instant as JSON writes its ISO text (null for none). */
const jsonInstant = (ms: number): string => {
  const text = instantText(ms);
  return text === null ? 'null' : `"${text}"`;
};

/**
 * Where each field of a slot sits in its 64-byte row (see PatternColumns), as an index into the
 * view of that width: the row of slot s starts at f64 index 8s, u32 index 16s, 16-bit index 32s,
 * byte 64s.
 */
const F64_PER_ROW = 8;
const FIRST_SEEN = 0;
const LAST_SEEN = 1;
const VALID_UNTIL = 2;
const SEQ = 3;
const U32_PER_ROW = 16;
/** Four words: the UUID's 128 bits. */
const ID = 8;
const REPORTERS = 12;
const U16_PER_ROW = 32;
const CONFIDENCE = 26;
const COUNTRY = 27;
const CATEGORIES = 28;
const ROW_BYTES = 64;
const PREFIX_LENGTH = 58;
const ACTION = 59;
const STATUS = 60;
const TLP = 61;
const UNALLOCATED = 62;

/**
 * Live patterns held in typed arrays, 80 bytes each instead of a ~740-byte object graph: a node
 * holds millions. The prefix code and the chain links are 16 bytes in `codes`/`links` (what a
 * walk along a prefix's chain reads); everything else (id, times, seq, counts, enums) is one
 * 64-byte row, so building a match's answer costs one or two cache lines, not one per field. Slots are reused after removal. A Pattern object is built only when
 * one is asked for. Values that would not come back exactly (a non-canonical id or timestamp, a
 * prefix too long to code) keep their whole Pattern.
 */
export class PatternColumns {
  #capacity = 0;
  #size = 0;
  #free: number[] = [];
  /**
   * What a lookup reads of a slot, 16 bytes together so that it costs one cache line: the prefix
   * code (`codes[2 * slot]`), then the next slot with the same prefix (`links[4 * slot + 2]`, -1 at
   * the end of the chain) and the length (`links[4 * slot + 3]`, OPEN_LENGTH for an open prefix).
   */
  codes = new Float64Array(0);
  links = new Int32Array(0);
  /** The rows, through one view per field width. */
  #f64 = new Float64Array(0);
  #u32 = new Uint32Array(0);
  #i16 = new Int16Array(0);
  #u16 = new Uint16Array(0);
  #u8 = new Uint8Array(0);
  readonly #countries = new Interner<string | null>((c) => (c === null ? '' : `=${c}`));
  readonly #categoryLists = new Interner<Pattern['categories']>((list) => list.join(','));
  readonly #verbatim = new Map<number, Pattern>();

  /** Slots in use. */
  get size(): number {
    return this.#size;
  }

  /** Stores `p` in a new slot and returns it. */
  add(p: Pattern): number {
    const slot = this.#free.pop() ?? this.#grow();
    this.#size++;
    this.write(slot, p);
    return slot;
  }

  /** Overwrites the slot with `p` (same prefix and length: the slot's place in the index stays). */
  write(slot: number, p: Pattern): void {
    const coded = isCoded(p.prefix);
    this.codes[2 * slot] = coded ? prefixCode(p.prefix) : NaN;
    this.links[4 * slot + 3] = p.length ?? OPEN_LENGTH;
    const action = ACTIONS.indexOf(p.action);
    const status = PATTERN_STATUSES.indexOf(p.status);
    const tlp = TLPS.indexOf(p.tlp);
    const country = this.#countries.id(p.country);
    const categories = this.#categoryLists.id(p.categories);
    const f = F64_PER_ROW * slot;
    const w = U32_PER_ROW * slot;
    const h = U16_PER_ROW * slot;
    const b = ROW_BYTES * slot;
    const first = instantMs(p.firstSeen);
    const last = instantMs(p.lastSeen);
    const until = instantMs(p.validUntil);
    this.#f64[f + FIRST_SEEN] = first ?? NaN;
    this.#f64[f + LAST_SEEN] = last ?? NaN;
    this.#f64[f + VALID_UNTIL] = until ?? NaN;
    this.#f64[f + SEQ] = p.seq;
    const idOk = uuidWords(p.id, this.#u32, w + ID);
    this.#u32[w + REPORTERS] = p.reporters;
    this.#i16[h + CONFIDENCE] = p.confidence;
    this.#u16[h + COUNTRY] = country;
    this.#u16[h + CATEGORIES] = categories;
    this.#u8[b + PREFIX_LENGTH] = p.prefix.length;
    this.#u8[b + ACTION] = action;
    this.#u8[b + STATUS] = status;
    this.#u8[b + TLP] = tlp;
    this.#u8[b + UNALLOCATED] = p.unallocated ? 1 : 0;
    // Whatever the row cannot give back exactly is kept whole (never the case for stored patterns).
    const exact =
      coded && idOk && first !== null && last !== null && until !== null && action >= 0 && status >= 0 && tlp >= 0 &&
      country < 65536 && categories < 65536 && p.confidence === this.#i16[h + CONFIDENCE] &&
      p.reporters === this.#u32[w + REPORTERS] && p.key === blockKey(p) && p.kind === blockKind(p);
    if (exact) this.#verbatim.delete(slot);
    else this.#verbatim.set(slot, { ...p });
  }

  /** Frees the slot for reuse. */
  release(slot: number): void {
    this.#verbatim.delete(slot);
    this.#free.push(slot);
    this.#size--;
  }

  /** The slot's length, or null for an open prefix. */
  lengthOf(slot: number): number | null {
    const n = this.links[4 * slot + 3]!;
    return n === OPEN_LENGTH ? null : n;
  }

  /** The number of digits of the slot's prefix. */
  prefixLengthOf(slot: number): number {
    return this.#u8[ROW_BYTES * slot + PREFIX_LENGTH]!;
  }

  /** The slot's action, as its index in ACTIONS. */
  actionOf(slot: number): number {
    return this.#u8[ROW_BYTES * slot + ACTION]!;
  }

  /** The slot's TLP, as its index in TLPS. */
  tlpOf(slot: number): number {
    return this.#u8[ROW_BYTES * slot + TLP]!;
  }

  /** The slot's digit prefix. */
  prefixOf(slot: number): string {
    const kept = this.#verbatim.get(slot);
    if (kept) return kept.prefix;
    const n = this.prefixLengthOf(slot);
    const v = this.codes[2 * slot]! - POW10[n]!;
    if (n <= 8) return String(v).padStart(n, '0');
    // A number past 2^31 prints through V8's double path, four times slower than two small halves.
    const high = Math.floor(v / 1e8);
    return String(high).padStart(n - 8, '0') + String(v - high * 1e8).padStart(8, '0');
  }

  /** The slot's canonical key. */
  keyOf(slot: number): string {
    return this.#verbatim.get(slot)?.key ?? blockKey({ prefix: this.prefixOf(slot), length: this.lengthOf(slot) });
  }

  /** The slot's pattern, built afresh (callers may keep or change it). */
  pattern(slot: number): Pattern {
    const kept = this.#verbatim.get(slot);
    if (kept) return { ...kept, categories: [...kept.categories] };
    const block = { prefix: this.prefixOf(slot), length: this.lengthOf(slot) };
    const f = F64_PER_ROW * slot;
    const w = U32_PER_ROW * slot;
    const h = U16_PER_ROW * slot;
    const b = ROW_BYTES * slot;
    return {
      id: this.#idText(w + ID),
      key: blockKey(block),
      kind: blockKind(block),
      prefix: block.prefix,
      length: block.length,
      country: this.#countries.value(this.#u16[h + COUNTRY]!),
      categories: [...this.#categoryLists.value(this.#u16[h + CATEGORIES]!)],
      confidence: this.#i16[h + CONFIDENCE]!,
      reporters: this.#u32[w + REPORTERS]!,
      action: ACTIONS[this.#u8[b + ACTION]!]!,
      status: PATTERN_STATUSES[this.#u8[b + STATUS]!]!,
      tlp: TLPS[this.#u8[b + TLP]!]!,
      unallocated: this.#u8[b + UNALLOCATED] === 1,
      firstSeen: instantText(this.#f64[f + FIRST_SEEN]!)!,
      lastSeen: instantText(this.#f64[f + LAST_SEEN]!)!,
      validUntil: instantText(this.#f64[f + VALID_UNTIL]!),
      seq: this.#f64[f + SEQ]!,
    };
  }

  /**
   * `JSON.stringify(this.pattern(slot))` as ASCII (asciiJson.ts), written straight from the row: a
   * lookup answers with this text, so it never builds the Pattern. Every value written bare here
   * is a number, an enum name, digits, a UUID or an ISO instant: ASCII, and never escaped by JSON.
   */
  json(slot: number): string {
    const kept = this.#verbatim.get(slot);
    if (kept) return asciiJson(kept);
    const block = { prefix: this.prefixOf(slot), length: this.lengthOf(slot) };
    const f = F64_PER_ROW * slot;
    const w = U32_PER_ROW * slot;
    const h = U16_PER_ROW * slot;
    const b = ROW_BYTES * slot;
    return (
      `{"id":"${this.#idText(w + ID)}","key":"${blockKey(block)}","kind":"${blockKind(block)}","prefix":"${block.prefix}","length":${block.length}` +
      `,"country":${this.#countries.json(this.#u16[h + COUNTRY]!)},"categories":${this.#categoryLists.json(this.#u16[h + CATEGORIES]!)}` +
      `,"confidence":${this.#i16[h + CONFIDENCE]!},"reporters":${this.#u32[w + REPORTERS]!},"action":"${ACTIONS[this.#u8[b + ACTION]!]}"` +
      `,"status":"${PATTERN_STATUSES[this.#u8[b + STATUS]!]}","tlp":"${TLPS[this.#u8[b + TLP]!]}","unallocated":${this.#u8[b + UNALLOCATED] === 1}` +
      `,"firstSeen":${jsonInstant(this.#f64[f + FIRST_SEEN]!)},"lastSeen":${jsonInstant(this.#f64[f + LAST_SEEN]!)}` +
      `,"validUntil":${jsonInstant(this.#f64[f + VALID_UNTIL]!)},"seq":${jsonNumber(this.#f64[f + SEQ]!)}}`
    );
  }

  /** Drops every slot. */
  clear(): void {
    this.#resize(0);
    this.#size = 0;
    this.#free = [];
    this.#verbatim.clear();
  }

  /** Grows the arrays to hold `count` slots at once (see PrefixMatcher.reserve). */
  reserve(count: number): void {
    if (count > this.#capacity) this.#resize(count);
  }

  /** Shrinks the arrays to the slots in use when a bulk load left much spare room. */
  trim(): void {
    if (this.#free.length > 0 || this.#capacity <= this.#size + 1024) return;
    this.#resize(this.#size);
  }

  /** The canonical text of the UUID in the four words from `at` of the u32 view. */
  #idText(at: number): string {
    const a = this.#u32[at]!;
    const b = this.#u32[at + 1]!;
    const c = this.#u32[at + 2]!;
    const d = this.#u32[at + 3]!;
    // One expression, no slices: the pieces are joined once, when the answer is written out.
    return (
      HEX[a >>> 24]! + HEX[(a >>> 16) & 255]! + HEX[(a >>> 8) & 255]! + HEX[a & 255]! + '-' +
      HEX[b >>> 24]! + HEX[(b >>> 16) & 255]! + '-' + HEX[(b >>> 8) & 255]! + HEX[b & 255]! + '-' +
      HEX[c >>> 24]! + HEX[(c >>> 16) & 255]! + '-' + HEX[(c >>> 8) & 255]! + HEX[c & 255]! +
      HEX[d >>> 24]! + HEX[(d >>> 16) & 255]! + HEX[(d >>> 8) & 255]! + HEX[d & 255]!
    );
  }

  /** A new slot at the end, growing the arrays by half when full. */
  #grow(): number {
    const slot = this.#size;
    if (slot === this.#capacity) this.#resize(Math.max(1024, Math.ceil(this.#capacity * 1.5)));
    return slot;
  }

  #resize(capacity: number): void {
    const hot = new Float64Array(capacity * 2);
    hot.set(this.codes.subarray(0, Math.min(this.codes.length, capacity * 2)));
    this.codes = hot;
    this.links = new Int32Array(hot.buffer);
    const rows = new Uint8Array(capacity * ROW_BYTES);
    rows.set(this.#u8.subarray(0, Math.min(this.#u8.length, rows.length)));
    this.#u8 = rows;
    this.#f64 = new Float64Array(rows.buffer);
    this.#u32 = new Uint32Array(rows.buffer);
    this.#i16 = new Int16Array(rows.buffer);
    this.#u16 = new Uint16Array(rows.buffer);
    this.#capacity = capacity;
  }
}
