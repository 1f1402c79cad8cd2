/**
 * libphonenumber's reading of an E.164 number with its patterns compiled once. The library
 * builds a `new RegExp` for every pattern it tries (several per country, for every country of a
 * shared calling code), which made `isValid()` and `parsePhoneNumberFromString('+…')` most of a
 * lookup's cost. This follows the library's code step for step on the same metadata:
 * isValid.js, isPossible.js, parse.js (parsePhoneNumber), helpers/getNumberType.js,
 * getCountryByCallingCode.js, getCountryByNationalNumber.js, extractNationalNumber.js,
 * extractNationalNumberFromPossiblyIncompleteNumber.js and checkNumberLength.js.
 * test/unit/numberPlan.test.ts holds every function here equal to the library's answer on
 * random and example numbers of every calling code.
 */
import { Metadata } from 'libphonenumber-js/core';
import type { CountryCode } from 'libphonenumber-js/core';
import metadata from 'libphonenumber-js/metadata.max.json';

/** The types getNumberType tries: a number of any of them is valid (the order only picks which type it reports). */
const TYPES = ['FIXED_LINE', 'MOBILE', 'PREMIUM_RATE', 'TOLL_FREE', 'SHARED_COST', 'VOIP', 'PERSONAL_NUMBER', 'PAGER', 'UAN', 'VOICEMAIL'] as const;
/** parse.js: longer input is refused whole; national numbers outside these lengths are no number. */
const MAX_INPUT_LENGTH = 250;
const MIN_NSN = 2;
const MAX_NSN = 17;

/** The parts of libphonenumber's NumberingPlan read here (present at runtime, not in its typings). */
interface PlanReader {
  callingCode(): string;
  nationalNumberPattern(): string | undefined;
  possibleLengths(): number[] | undefined;
  nationalPrefix(): string | undefined;
  nationalPrefixForParsing(): string | undefined;
  nationalPrefixTransformRule(): string | undefined;
  leadingDigits(): string | undefined;
  hasTypes(): boolean;
  type(name: string): { pattern(): string | undefined; possibleLengths(): number[] | undefined } | undefined;
}

interface TypeTest {
  /** Lengths the type allows, when the metadata restricts them. */
  lengths: readonly number[] | undefined;
  pattern: RegExp;
}

interface CompiledPlan {
  callingCode: string;
  /** The plan's national number pattern (matchesEntirely's form). */
  general: RegExp;
  /** null: the plan lists no types, so the general pattern alone decides validity. */
  types: TypeTest[] | null;
  lengths: readonly number[] | undefined;
  nationalPrefix: string | undefined;
  /** `^(?:national prefix for parsing)`, as extractNationalNumberFromPossiblyIncompleteNumber builds it. */
  prefixForParsing: RegExp | null;
  transformRule: string | undefined;
  /** `^(?:leading digits)`: `search(leadingDigits) === 0` is a match starting at 0. */
  leadingDigits: RegExp | null;
}

const reader = new Metadata(metadata);
const plans = new Map<string, CompiledPlan>();

/** matchesEntirely's expression for a pattern text, exactly as it builds it. */
const entirely = (pattern: string | undefined) => new RegExp('^(?:' + pattern + ')$');
const atStart = (pattern: string | undefined) => (pattern ? new RegExp('^(?:' + pattern + ')') : null);

function compile(countryOrCallingCode: string): CompiledPlan {
  reader.selectNumberingPlan(countryOrCallingCode as CountryCode);
  const plan = reader.numberingPlan as unknown as PlanReader;
  let types: TypeTest[] | null = null;
  if (plan.hasTypes()) {
    types = [];
    for (const name of TYPES) {
      const type = plan.type(name);
      const pattern = type?.pattern();
      // isNumberTypeEqualTo: a missing or empty pattern never matches.
      if (type && pattern) types.push({ lengths: type.possibleLengths(), pattern: entirely(pattern) });
    }
  }
  return {
    callingCode: plan.callingCode(),
    general: entirely(plan.nationalNumberPattern()),
    types,
    lengths: plan.possibleLengths(),
    nationalPrefix: plan.nationalPrefix(),
    prefixForParsing: atStart(plan.nationalPrefixForParsing()),
    transformRule: plan.nationalPrefixTransformRule(),
    leadingDigits: atStart(plan.leadingDigits()),
  };
}

/** A country's plan (`GB`), or a calling code's (`44`: its main country's, or the non-geographic plan). Throws for neither, as the library does. */
function planOf(countryOrCallingCode: string): CompiledPlan {
  let plan = plans.get(countryOrCallingCode);
  if (!plan) plans.set(countryOrCallingCode, (plan = compile(countryOrCallingCode)));
  return plan;
}

/** getNumberType(...) !== undefined: the number is of one of the plan's types. */
function hasType(plan: CompiledPlan, nationalNumber: string): boolean {
  if (!plan.types || !plan.general.test(nationalNumber)) return false;
  for (const t of plan.types) {
    if ((!t.lengths || t.lengths.includes(nationalNumber.length)) && t.pattern.test(nationalNumber)) return true;
  }
  return false;
}

/** What `PhoneNumber.isValid()` answers for a national significant number in a plan (the number's country, else its calling code). */
export function isValidInPlan(countryOrCallingCode: string, nationalNumber: string): boolean {
  const plan = planOf(countryOrCallingCode);
  return plan.types ? hasType(plan, nationalNumber) : plan.general.test(nationalNumber);
}

/** checkNumberLength without a type: IS_POSSIBLE, TOO_SHORT, TOO_LONG or INVALID_LENGTH. */
function lengthCheck(plan: CompiledPlan, nationalNumber: string): 'IS_POSSIBLE' | 'TOO_SHORT' | 'TOO_LONG' | 'INVALID_LENGTH' {
  const lengths = plan.lengths;
  if (!lengths) return 'IS_POSSIBLE';
  const n = nationalNumber.length;
  if (lengths[0] === n) return 'IS_POSSIBLE';
  if (lengths[0]! > n) return 'TOO_SHORT';
  if (lengths[lengths.length - 1]! < n) return 'TOO_LONG';
  return lengths.indexOf(n, 1) >= 0 ? 'IS_POSSIBLE' : 'INVALID_LENGTH';
}

/** What `PhoneNumber.isPossible()` answers, in the same plan as {@link isValidInPlan}. */
export function isPossibleInPlan(countryOrCallingCode: string, nationalNumber: string): boolean {
  return lengthCheck(planOf(countryOrCallingCode), nationalNumber) === 'IS_POSSIBLE';
}

/** getCountryCodesForCallingCode: the countries of a calling code (none for a non-geographic one). */
function countriesOf(callingCode: string): readonly string[] | undefined {
  const list = (metadata.country_calling_codes as Record<string, string[] | undefined>)[callingCode];
  return list && !(list.length === 1 && list[0]!.length === 3) ? list : undefined;
}

/** getCountryByCallingCode: the one country, or the first whose leading digits or number types take the number. */
function countryOf(callingCode: string, nationalNumber: string): string | undefined {
  const countries = countriesOf(callingCode);
  if (!countries) return undefined;
  if (countries.length === 1) return countries[0];
  for (const country of countries) {
    const plan = planOf(country);
    if (plan.leadingDigits) {
      if (nationalNumber && plan.leadingDigits.test(nationalNumber)) return country;
    } else if (hasType(plan, nationalNumber)) return country;
  }
  return undefined;
}

/** extractNationalNumberFromPossiblyIncompleteNumber: the number without its national prefix (or as the transform rule rewrites it). */
function withoutNationalPrefix(plan: CompiledPlan, number: string): string {
  if (!number || !plan.prefixForParsing) return number;
  const match = plan.prefixForParsing.exec(number);
  if (!match) return number;
  const groups = match.length - 1;
  const captured = groups > 0 && match[groups];
  if (plan.transformRule && captured) return number.replace(plan.prefixForParsing, plan.transformRule);
  return number.slice(match[0].length);
}

/** extractNationalNumber for a number read in its calling code's plan. */
function nationalNumberOf(plan: CompiledPlan, number: string): string {
  const national = withoutNationalPrefix(plan, number);
  if (national === number) return number;
  // shouldHaveExtractedNationalPrefix: do not strip what makes a matching number stop matching.
  if (plan.general.test(number) && !plan.general.test(national)) return number;
  if (plan.lengths) {
    const country = countryOf(plan.callingCode, national);
    const check = lengthCheck(country ? planOf(country) : plan, national);
    if (check === 'TOO_SHORT' || check === 'INVALID_LENGTH') return number;
  }
  return national;
}

/** A number as `parsePhoneNumberFromString('+…')` reads it. */
export interface ParsedE164 {
  callingCode: string;
  nationalNumber: string;
  /** The exact country, when the calling code's countries tell it. */
  country: string | undefined;
}

/**
 * `parsePhoneNumberFromString(text, metadata)` for `text` = `+` and digits, with a known calling
 * code of `callingCode`: undefined where the library answers undefined.
 */
export function parseE164(text: string, callingCode: string): ParsedE164 | undefined {
  // isViablePhoneNumber: three digits at least; longer input is refused whole.
  if (text.length < 4 || text.length > MAX_INPUT_LENGTH || text.charCodeAt(1) === 48) return undefined;
  const plan = planOf(callingCode);
  const nationalNumber = nationalNumberOf(plan, text.slice(callingCode.length + 1));
  if (nationalNumber.length < MIN_NSN || nationalNumber.length > MAX_NSN) return undefined;
  return { callingCode, nationalNumber, country: countryOf(callingCode, nationalNumber) };
}
