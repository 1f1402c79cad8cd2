/**
 * Normalization of what partners really send (E.164, IDD and national forms, tel:/sip: URIs,
 * wildcards, NANP NPA-NXX-X blocks, ranges) into canonical blocks. Every numbering-plan fact
 * (calling codes, IDD and trunk prefixes, lengths, validity) comes from libphonenumber-js metadata.
 *
 * Rules decided here (see the tests for each):
 * - Garbage that cannot be read as a pattern (letters, misplaced `+`, non-trailing wildcards,
 *   `X` mixed with `*`, empty) is `invalid_pattern`; readable digits that libphonenumber rejects
 *   (unknown calling code, impossible length), and URIs whose user part is not a number, are
 *   `invalid_number`.
 * - Ranges: `..` always separates a range. A `-` separates a range when the next non-space
 *   character is `+`, or when it is the only dash and both sides hold the same number of digits
 *   (at least 7). Any other dash is a digit separator (`+92-300-123-4567`, `212-555-1`).
 * - IDD: with a known country (item and/or partner) only those countries' IDD prefixes from the
 *   metadata apply; with none known, `00` and `011` (the most common ones) are accepted.
 * - A full number is kept as written unless only libphonenumber's reading, which drops a trunk
 *   prefix written after the country code (`+44 (0)20…`), makes it valid or possible.
 * - Blocks are checked and canonicalized as their zero-filled number; `unallocated` is only
 *   computed for single numbers (a block's validity would mean testing every number in it).
 * - `country` for blocks comes from the zero-filled number, for prefixes from the calling code
 *   when not shared, else AsYouType's leading-digit guess; null when libphonenumber cannot tell.
 * - Open prefixes keep their international digits as written; national ones lose their trunk
 *   prefix through AsYouType (libphonenumber's reader for incomplete numbers).
 * - URIs carry one number: tel: parameters are dropped (a global phone-context prefixes a local
 *   number, a domain one leaves it national); sip:/sips: read the user part, with or without
 *   `user=phone`.
 */
// The core entry with the max metadata passed in: validity needs `max`, and unlike the `max`
// entry's wrappers this behaves the same from ESM and CommonJS.
import { AsYouType, Metadata, PhoneNumber, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js/core';
import type { CountryCode } from 'libphonenumber-js/core';
import metadata from 'libphonenumber-js/metadata.max.json';
import { type Block, rangeToBlocks } from './blocks';
import { isPossibleInPlan, isValidInPlan, parseE164 } from './numberPlan';

/** Every stable reason an indicator can be rejected for. */
export const REJECTION_CODES = ['invalid_number', 'country_required', 'pattern_too_broad', 'range_length_mismatch',
  'range_reversed', 'unknown_country', 'invalid_pattern'] as const;
/** A stable rejection reason, part of the intake answer. */
export type RejectionCode = (typeof REJECTION_CODES)[number];

/** An accepted indicator in canonical form. */
export interface NormalizedPattern {
  /** One block for a number/block/prefix, several for a range that is not one block. */
  blocks: Block[];
  /** ISO 3166 alpha-2 when libphonenumber can tell, else null (shared or non-geographic codes). */
  country: string | null;
  /** Country calling code, e.g. '92'. */
  callingCode: string;
  /** A single number that is possible but not valid (spoofers use those); false for blocks. */
  unallocated: boolean;
}

/** A rejection with its stable code and a message for the submitter. */
export type Rejection = { ok: false; code: RejectionCode; message: string };

/** The outcome of {@link normalizePattern}. */
export type NormalizeResult = { ok: true; value: NormalizedPattern } | Rejection;

/** `country` is the item's, `defaultCountry` the submitting partner's; national forms use the first one set. */
export interface NormalizeOptions {
  country?: string | undefined;
  defaultCountry?: string | undefined;
}

/** libphonenumber refuses longer inputs too; a cap keeps hostile input cheap. */
const MAX_INPUT_LENGTH = 256;
const MIN_FIXED_DIGITS = 2;
/** Shortest digit count on each side for a lone dash to read as a range separator. */
const MIN_RANGE_END_DIGITS = 7;
/** Each libphonenumber re-parse drops at most one trunk prefix; more than this is not a number. */
const MAX_REPARSE = 3;
const COMMON_IDD = /^(?:00|011)/;
const URI_SCHEME = /^(tel|sips?):/i;
const PHONE_CONTEXT = /;phone-context=([^;]*)/i;
const ALL_ZEROS = /^0+$/;
const NON_DIGITS = /\D/g;
const E164_DIGITS = /^\+[0-9]+$/;
const NANP_BLOCK = /^(\+?1[ .-]?)?(\d{3})-(\d{3})-(\d{1,3})$/;

const CALLING_CODES = new Set([...Object.keys(metadata.country_calling_codes), ...Object.keys(metadata.nonGeographic)]);
const plan = new Metadata(metadata);
const iddCache = new Map<string, RegExp>();
const maxNsnCache = new Map<string, number>();

const isCountry = (code: string): code is CountryCode => isSupportedCountry(code as CountryCode, metadata);
const fail = (code: RejectionCode, message: string): Rejection => ({ ok: false, code, message });
const tooBroad = () => fail('pattern_too_broad', `a pattern needs ${MIN_FIXED_DIGITS}+ digits after the country calling code`);
const countriesOf = (cc: string): readonly string[] => metadata.country_calling_codes[cc] ?? [];

/** Calling codes are prefix-free, so the first known one of 1 to 3 digits is the one. */
function callingCodeOf(digits: string): string | null {
  for (let i = 1; i <= 3 && i <= digits.length; i++) {
    const cc = digits.slice(0, i);
    if (CALLING_CODES.has(cc)) return cc;
  }
  return null;
}

function possibleLengths(countryOrCode: string): number[] {
  // At runtime selectNumberingPlan also takes a non-geographic calling code.
  plan.selectNumberingPlan(countryOrCode as CountryCode);
  return plan.numberingPlan?.possibleLengths() ?? [];
}

function memo<T>(cache: Map<string, T>, key: string, make: () => T): T {
  let value = cache.get(key);
  if (value === undefined) cache.set(key, (value = make()));
  return value;
}

/** Longest national number any country sharing `cc` allows: the bound for open prefixes. */
const maxNationalLength = (cc: string): number =>
  memo(maxNsnCache, cc, () => Math.max(0, ...(countriesOf(cc).length > 0 ? countriesOf(cc) : [cc]).flatMap(possibleLengths)));

const iddPattern = (country: CountryCode): RegExp =>
  memo(iddCache, country, () => {
    plan.selectNumberingPlan(country);
    return new RegExp(`^(?:${plan.numberingPlan?.IDDPrefix() ?? '(?!)'})`);
  });

/** The digits after an IDD prefix, or null when `digits` does not start with one. */
function stripIdd(digits: string, countries: CountryCode[]): string | null {
  const patterns = countries.length > 0 ? countries.map(iddPattern) : [COMMON_IDD];
  for (const re of patterns) {
    const len = re.exec(digits)?.[0].length ?? 0;
    // No calling code starts with 0: a 0 after the prefix means it was not an IDD (libphonenumber's rule).
    if (len > 0 && len < digits.length && digits.charCodeAt(len) !== 48) return digits.slice(len);
  }
  return null;
}

/** What the options mean here: the country national forms are read in (or why there is none), and whose IDD prefixes apply. */
type Context = { national: CountryCode | Rejection; idd: CountryCode[] };

// Shared by every call without a country, so frozen.
const COUNTRY_REQUIRED = Object.freeze(fail('country_required', 'a national number needs a country (item or partner)'));
const NO_OPTIONS: Context = { national: COUNTRY_REQUIRED, idd: [] };

function contextOf(opts: NormalizeOptions | undefined): Context | Rejection {
  if (!opts) return NO_OPTIONS;
  const item = opts.country?.toUpperCase() || undefined;
  const partner = opts.defaultCountry?.toUpperCase() || undefined;
  // The item's country is part of the submission, so a bad one is rejected even for E.164 input;
  // the partner's only when a national form needs it.
  if (item !== undefined && !isCountry(item)) return fail('unknown_country', `unknown country '${opts.country}'`);
  const c = item ?? partner;
  const national = c === undefined ? COUNTRY_REQUIRED : isCountry(c) ? c : fail('unknown_country', `unknown country '${c}'`);
  const idd = [item, partner].filter((x, i, all): x is CountryCode => !!x && isCountry(x) && all.indexOf(x) === i);
  return { national, idd };
}

/** A pattern read character by character: trailing `X`s or one trailing `*`, separators dropped. */
type Scan = { plus: boolean; digits: string; wild: number; star: boolean };

function isSeparator(c: number): boolean {
  // space, tab, ( ) - . / and no-break space: the punctuation numbers are written with.
  return c === 32 || c === 9 || c === 40 || c === 41 || c === 45 || c === 46 || c === 47 || c === 160;
}

function scan(text: string): Scan | null {
  let [plus, digits, wild, star] = [false, '', 0, false];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // Anything out of place (a digit after a wildcard, a second `*`, a late `+`) fails every branch.
    if (c >= 48 && c <= 57 && wild === 0 && !star) digits += text[i];
    else if ((c === 88 || c === 120) && !star) wild++;
    else if (c === 42 && wild === 0 && !star) star = true;
    else if (c === 43 && !plus && digits.length === 0 && wild === 0 && !star) plus = true;
    else if (!isSeparator(c)) return null;
  }
  return digits.length > 0 ? { plus, digits, wild, star } : null;
}

/** The number text inside a tel:/sip:/sips: URI (parameters dropped, a global phone-context applied); null if not a URI. */
function uriNumber(input: string): string | Rejection | null {
  const c = input.charCodeAt(0) | 32;
  if (c !== 116 && c !== 115) return null;
  const scheme = URI_SCHEME.exec(input);
  if (!scheme) return null;
  let rest = input.slice(scheme[0].length);
  if ((scheme[1] ?? '').toLowerCase() !== 'tel') {
    const at = rest.indexOf('@');
    if (at <= 0) return fail('invalid_number', 'SIP URI has no user part');
    rest = rest.slice(0, at);
    const colon = rest.indexOf(':');
    if (colon >= 0) rest = rest.slice(0, colon);
  }
  const semi = rest.indexOf(';');
  if (semi < 0) return rest;
  const number = rest.slice(0, semi);
  // RFC 3966: a local number is scoped by its phone-context; a global one (`+92`) prefixes it.
  const context = number.startsWith('+') ? undefined : PHONE_CONTEXT.exec(rest)?.[1];
  return context?.startsWith('+') ? context + number : number;
}

/** `NPA-NXX-X` (thousands blocks and wider) for NANP countries, the block length from metadata. */
function nanpBlock(text: string, ctx: Context): { scan: Scan; country: CountryCode | undefined } | null {
  const m = NANP_BLOCK.exec(text);
  if (!m) return null;
  const lead = m[1] !== undefined;
  const nanp = typeof ctx.national === 'string' && countriesOf('1').includes(ctx.national) ? ctx.national : undefined;
  if (!lead && !nanp) return null;
  const main = nanp ?? countriesOf('1')[0];
  if (main === undefined) return null;
  const national = `${m[2]}${m[3]}${m[4]}`;
  // The longest possible national length: the full 10 digits (local 7-digit dialing is shorter).
  const total = Math.max(0, ...possibleLengths(main));
  if (total <= national.length) return null;
  const wild = total - national.length;
  return { scan: { plus: lead, digits: lead ? `1${national}` : national, wild, star: false }, country: nanp };
}

/** One canonical block with what libphonenumber told about it. */
type One = { prefix: string; length: number | null; cc: string; country: string | null; unallocated: boolean };

/** An open prefix given in international digits: checked against the calling code's lengths. */
function openPrefix(digits: string, country: string | undefined): One | Rejection {
  const cc = callingCodeOf(digits);
  if (!cc) return fail('invalid_number', 'prefix does not start with a known country calling code');
  const fixed = digits.length - cc.length;
  if (fixed < MIN_FIXED_DIGITS) return tooBroad();
  if (fixed > maxNationalLength(cc)) return fail('invalid_number', 'prefix is longer than any number of its country');
  const owners = countriesOf(cc);
  let found = country ?? (owners.length === 1 ? owners[0] : undefined);
  if (found === undefined && owners.length > 1) {
    const typing = new AsYouType(undefined, metadata);
    typing.input(`+${digits}`);
    found = typing.getCountry();
  }
  return { prefix: digits, length: null, cc, country: found ?? null, unallocated: false };
}

/** What libphonenumber says about one reading of a full number. */
type Reading = { digits: string; cc: string; country: string | null; valid: boolean };

/** `pn.isValid()`, with the patterns compiled once (numberPlan.ts). */
const isValid = (pn: PhoneNumber): boolean => isValidInPlan(pn.country || pn.countryCallingCode, pn.nationalNumber);

function reading(cc: string, nationalNumber: string, exactCountry: string | undefined, valid: boolean): Reading {
  const owners = countriesOf(cc);
  // Read as written, a number has no country yet: it is the calling code's only one, or, when
  // valid, the main one (listed first), as that is the plan it was validated against.
  const country = exactCountry ?? (valid || owners.length === 1 ? owners[0] : undefined) ?? null;
  return { digits: cc + nationalNumber, cc, country, valid };
}

const readingOf = (pn: PhoneNumber, valid: boolean): Reading => reading(pn.countryCallingCode, pn.nationalNumber, pn.country, valid);

/**
 * The reading of `+digits` to keep: as written when valid, else the first valid one of
 * libphonenumber's re-parses (each may drop a trunk prefix written after the country code, as in
 * `+44 (0)20…`), else as written when possible, else the first possible re-parse. Re-reading the
 * result gives the result again, so normalizing a key is the identity. Read with numberPlan.ts,
 * which answers as `new PhoneNumber(text)` and `parsePhoneNumberFromString(text)` would.
 */
function readE164(text: string, cc = callingCodeOf(text.slice(1))): Reading | null {
  if (cc === null || text.length === cc.length + 1) return null;
  const written = text.slice(cc.length + 1);
  if (isValidInPlan(cc, written)) return reading(cc, written, undefined, true);
  let fallback = isPossibleInPlan(cc, written) ? reading(cc, written, undefined, false) : null;
  for (let i = 0, current = text; i < MAX_REPARSE; i++) {
    const parsed = parseE164(current, cc);
    if (!parsed) break;
    const plan = parsed.country ?? cc;
    if (isValidInPlan(plan, parsed.nationalNumber)) return reading(cc, parsed.nationalNumber, parsed.country, true);
    fallback ??= isPossibleInPlan(plan, parsed.nationalNumber) ? reading(cc, parsed.nationalNumber, parsed.country, false) : null;
    const number = `+${cc}${parsed.nationalNumber}`;
    if (number === current) break;
    current = number;
  }
  return fallback;
}

/** A full number, or a block as its zero-filled number (`wild` trailing zeros). */
function fullNumber(text: string, wild: number, country: CountryCode | undefined): One | Rejection {
  let r: Reading | null;
  if (country === undefined) {
    const code = callingCodeOf(text.slice(1));
    if (!code || code.length === text.length - 1) return fail('invalid_number', 'unknown calling code or nothing after it');
    if (wild > 0 && text.length - 1 - wild - code.length < MIN_FIXED_DIGITS) return tooBroad();
    r = readE164(text, code);
  } else {
    const parsed = parsePhoneNumberFromString(text, { defaultCountry: country }, metadata);
    r = parsed && isValid(parsed) ? readingOf(parsed, true) : parsed ? readE164(parsed.number) : null;
  }
  if (!r) return fail('invalid_number', wild > 0 ? 'block length is not possible for its country' : 'not a possible number');
  const { digits, cc, country: found } = r;
  if (wild === 0) return { prefix: digits, length: digits.length, cc, country: found, unallocated: !r.valid };
  const prefix = digits.slice(0, digits.length - wild);
  if (prefix.length - cc.length < MIN_FIXED_DIGITS) return tooBroad();
  if (!ALL_ZEROS.test(digits.slice(prefix.length))) return fail('invalid_number', 'block does not fit the numbering plan');
  return { prefix, length: digits.length, cc, country: found, unallocated: false };
}

/** Read one pattern (or, with `patterns` false, one full number). */
function readOne(text: string, ctx: Context, patterns: boolean): One | Rejection {
  let s: Scan | null;
  let country: CountryCode | undefined;
  const uri = uriNumber(text);
  if (uri !== null) {
    if (typeof uri !== 'string') return uri;
    s = scan(uri);
    if (!s || s.wild > 0 || s.star) return fail('invalid_number', 'URI does not hold a phone number');
  } else {
    const nanp = patterns ? nanpBlock(text, ctx) : null;
    s = nanp ? nanp.scan : scan(text);
    country = nanp?.country;
    if (!s) return fail('invalid_pattern', 'not a number, block, prefix or range');
    if (!patterns && (s.wild > 0 || s.star)) return fail('invalid_pattern', 'expected a single number, not a pattern');
  }
  const international = s.plus ? s.digits : stripIdd(s.digits, ctx.idd);
  if (international !== null) {
    return s.star ? openPrefix(international, undefined) : fullNumber(`+${international}${'0'.repeat(s.wild)}`, s.wild, undefined);
  }
  const national = country ?? ctx.national;
  if (typeof national !== 'string') return national;
  if (!s.star) return fullNumber(s.digits + '0'.repeat(s.wild), s.wild, national);
  // Trunk prefixes of incomplete national numbers: AsYouType is libphonenumber's tool for those.
  const typing = new AsYouType(national, metadata);
  typing.input(s.digits);
  const value = typing.getNumberValue();
  if (!value) return fail('invalid_number', 'not a possible prefix for its country');
  return openPrefix(value.slice(1), typing.getCountry() ?? national);
}

/** The two ends when `input` is a range (rule in the module comment), else null. */
function splitRange(input: string): [string, string] | null {
  const dots = input.indexOf('..');
  if (dots >= 0) return [input.slice(0, dots), input.slice(dots + 2)];
  let dashes = 0;
  let last = -1;
  for (let i = input.indexOf('-'); i >= 0; i = input.indexOf('-', i + 1)) {
    let j = i + 1;
    while (input.charCodeAt(j) === 32) j++;
    if (input.charCodeAt(j) === 43) return [input.slice(0, i), input.slice(i + 1)];
    dashes++;
    last = i;
  }
  if (dashes !== 1) return null;
  const [low, high] = [input.slice(0, last), input.slice(last + 1)];
  const digits = low.replace(NON_DIGITS, '').length;
  return digits >= MIN_RANGE_END_DIGITS && digits === high.replace(NON_DIGITS, '').length ? [low, high] : null;
}

function normalizeRange(lowText: string, highText: string, ctx: Context): NormalizeResult {
  const low = readOne(lowText.trim(), ctx, false);
  if ('ok' in low) return { ...low, message: `range start: ${low.message}` };
  const high = readOne(highText.trim(), ctx, false);
  if ('ok' in high) return { ...high, message: `range end: ${high.message}` };
  if (low.prefix.length !== high.prefix.length) return fail('range_length_mismatch', 'range ends have different numbers of digits');
  if (low.cc !== high.cc) return fail('invalid_pattern', 'range ends are in different country calling codes');
  if (low.prefix > high.prefix) return fail('range_reversed', 'range start is above range end');
  const blocks = rangeToBlocks(low.prefix, high.prefix);
  if (blocks.some((b) => b.prefix.length - low.cc.length < MIN_FIXED_DIGITS)) return tooBroad();
  const single = blocks.length === 1 && low.prefix === high.prefix;
  const country = low.country === high.country ? low.country : null;
  return { ok: true, value: { blocks, country, callingCode: low.cc, unallocated: single && low.unallocated } };
}

/** The options checked, or a rejection for input that is empty or too long to be a pattern. */
function start(input: string, opts: NormalizeOptions | undefined): Context | Rejection {
  if (typeof input !== 'string' || input.length === 0) return fail('invalid_pattern', 'empty pattern');
  if (input.length > MAX_INPUT_LENGTH) return fail('invalid_pattern', `longer than ${MAX_INPUT_LENGTH} characters`);
  return contextOf(opts);
}

/** Normalize one submitted indicator into canonical blocks, or say why it is rejected. */
export function normalizePattern(input: string, opts?: NormalizeOptions): NormalizeResult {
  const text = typeof input === 'string' ? input.trim() : input;
  const ctx = start(text, opts);
  if ('ok' in ctx) return ctx;
  const range = uriNumber(text) === null ? splitRange(text) : null;
  if (range) return normalizeRange(range[0], range[1], ctx);
  const one = readOne(text, ctx, true);
  if ('ok' in one) return one;
  const { prefix, length, cc, country, unallocated } = one;
  return { ok: true, value: { blocks: [{ prefix, length }], country, callingCode: cc, unallocated } };
}

/** Parse a number for lookup: same forms as intake for a single number only; returns E.164 digits (no '+') or a rejection. */
export function normalizeNumber(
  input: string,
  opts?: NormalizeOptions,
): { ok: true; digits: string } | { ok: false; code: RejectionCode; message: string } {
  const text = typeof input === 'string' ? input.trim() : input;
  // `+` and digits with no item country, the form switches send: read as readOne would read it,
  // without scanning it character by character first (its options cannot reject it).
  const one = !opts?.country && typeof text === 'string' && text.length <= MAX_INPUT_LENGTH && E164_DIGITS.test(text)
    ? fullNumber(text, 0, undefined)
    : readNumber(text, opts);
  return 'ok' in one ? one : { ok: true, digits: one.prefix };
}

function readNumber(text: string, opts: NormalizeOptions | undefined): One | Rejection {
  const ctx = start(text, opts);
  return 'ok' in ctx ? ctx : readOne(text, ctx, false);
}
