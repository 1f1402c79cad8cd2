/**
 * Canonical number blocks: the unit every pattern is stored, deduplicated and matched as.
 * A block is base-10 "CIDR": a digit prefix plus a fixed total length (or any length).
 */

/** A canonical block: all numbers whose digits start with `prefix` (country code included, digits only) and have exactly `length` digits, or any length when `length` is null. */
export interface Block {
  prefix: string;
  length: number | null;
}

/** What a block stands for: one number, a fixed-length block, or an open prefix. */
export type PatternKind = 'number' | 'block' | 'prefix';

/** The kind of a block: `number` when nothing is left open, `prefix` when the length is open. */
export function blockKind(b: Block): PatternKind {
  if (b.length === null) return 'prefix';
  return b.length === b.prefix.length ? 'number' : 'block';
}

/**
 * The block's unique key, also its display form: `+` prefix then one `X` per open digit,
 * `+` prefix `*` for an open prefix, or `+` and the digits of a single number.
 */
export function blockKey(b: Block): string {
  if (b.length === null) return `+${b.prefix}*`;
  return `+${b.prefix}${'X'.repeat(b.length - b.prefix.length)}`;
}

const PLUS = 43;
const STAR = 42;
const UPPER_X = 88;
const DIGIT_0 = 48;
const DIGIT_9 = 57;

/**
 * The inverse of {@link blockKey}: the block a canonical key names, or null when `key` is not
 * exactly a canonical key (keys are compared as strings for dedup, so no lenient forms here).
 */
export function parseBlockKey(key: string): Block | null {
  if (key.length < 2 || key.charCodeAt(0) !== PLUS) return null;
  let i = 1;
  while (i < key.length) {
    const c = key.charCodeAt(i);
    if (c < DIGIT_0 || c > DIGIT_9) break;
    i++;
  }
  if (i === 1) return null;
  const prefix = key.slice(1, i);
  if (i === key.length) return { prefix, length: prefix.length };
  if (key.charCodeAt(i) === STAR) return i === key.length - 1 ? { prefix, length: null } : null;
  for (let j = i; j < key.length; j++) if (key.charCodeAt(j) !== UPPER_X) return null;
  return { prefix, length: key.length - 1 };
}

function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < DIGIT_0 || c > DIGIT_9) return false;
  }
  return true;
}

/**
 * The minimal set of blocks covering exactly the numbers `low..high` (inclusive), ascending.
 * Both ends are full numbers of the same digit count. Greedy, as in CIDR: from the current
 * number take the largest aligned block (10^k numbers sharing a prefix) that stays inside the
 * range; aligned blocks are nested or disjoint, so greedy is also minimal. BigInt keeps it exact
 * for any number of digits.
 * @throws RangeError when the ends are not digit strings of one length with low <= high.
 */
export function rangeToBlocks(low: string, high: string): Block[] {
  if (!isDigits(low) || !isDigits(high)) throw new RangeError('range ends must be digit strings');
  if (low.length !== high.length) throw new RangeError('range ends must have the same length');
  // Same length, so string order is numeric order (leading zeros included).
  if (low > high) throw new RangeError('range low end is above its high end');

  const n = low.length;
  const end = BigInt(high);
  const blocks: Block[] = [];
  let cur = BigInt(low);
  while (cur <= end) {
    const digits = cur.toString().padStart(n, '0');
    let zeros = 0;
    while (zeros < n && digits.charCodeAt(n - 1 - zeros) === DIGIT_0) zeros++;
    let k = zeros;
    let size = 10n ** BigInt(k);
    while (cur + size - 1n > end) {
      k--;
      size /= 10n;
    }
    blocks.push({ prefix: digits.slice(0, n - k), length: n });
    cur += size;
  }
  return blocks;
}

/** Whether some number belongs to both blocks (e.g. an allowlisted number inside a blocked range). */
export function blocksOverlap(a: Block, b: Block): boolean {
  const [long, short] = a.prefix.length >= b.prefix.length ? [a, b] : [b, a];
  if (!long.prefix.startsWith(short.prefix)) return false;
  if (long.length === null) return short.length === null || short.length >= long.prefix.length;
  // `long` fixes the length; `short` must allow that same length.
  return short.length === null || short.length === long.length;
}

/** Whether the full number `digits` (country code included) falls in the block. */
export function blockContains(b: Block, digits: string): boolean {
  return (b.length === null || digits.length === b.length) && digits.startsWith(b.prefix);
}

/** Whether every number of `inner` is also in `outer` (a DNO declaration inside a partner's holdings). */
export function blockWithin(inner: Block, outer: Block): boolean {
  if (!inner.prefix.startsWith(outer.prefix)) return false;
  if (outer.length === null) return true;
  return inner.length === outer.length;
}
