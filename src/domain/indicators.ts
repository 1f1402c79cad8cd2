import { isSupportedCountry } from 'libphonenumber-js/max';
import { IndicatorInput } from '../../schemas/indicators';
import type { ItemRejectionCode } from '../../schemas/indicators';
import { normalizePattern } from './numbers';
import type { Sighting } from './sightings';

/** One accepted indicator: its raw input and the canonical blocks it normalized to. */
export interface AcceptedItem {
  index: number;
  raw: unknown;
  sightings: Sighting[];
}

/** Why one item of a batch was turned away. */
export interface ItemRejection {
  index: number;
  code: ItemRejectionCode;
  message: string;
}

/** An item whose JSON could not be parsed (an NDJSON line, say): rejected, the batch goes on. */
export interface UnparsableItem {
  readonly unparsable: string;
}

const FIELD_CODES: Record<string, ItemRejectionCode> = {
  category: 'unknown_category',
  confidence: 'invalid_confidence',
  pattern: 'invalid_pattern',
};

/**
 * Validates and normalizes one submitted item. National numbers resolve with the item's
 * `country`, else the submitting partner's. Pure: `now` is passed in.
 */
export function prepareIndicator(index: number, raw: unknown, partnerCountry: string, now: string): { ok: true; item: AcceptedItem } | { ok: false; rejection: ItemRejection } {
  if (isUnparsable(raw)) return reject(index, 'invalid_json', raw.unparsable);
  const parsed = IndicatorInput.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0] ?? '');
    const code = FIELD_CODES[field] ?? 'invalid_field';
    return reject(index, code, `${field || 'item'}: ${issue.message}`);
  }
  const input = parsed.data;
  const validUntil = input.validUntil ? new Date(input.validUntil).toISOString() : null;
  if (validUntil && Date.parse(validUntil) <= Date.parse(now)) return reject(index, 'invalid_field', 'validUntil: is in the past');
  const normalized = normalizePattern(input.pattern, { country: input.country, defaultCountry: defaultCountryOf(partnerCountry) });
  if (!normalized.ok) return reject(index, normalized.code, normalized.message);
  const { blocks, country, unallocated } = normalized.value;
  const observedAt = input.observedAt ? new Date(input.observedAt).toISOString() : null;
  const sightings = blocks.map((block) => ({
    index,
    block,
    category: input.category,
    confidence: input.confidence,
    tlp: input.tlp ?? 'green',
    country: country ?? input.country ?? null,
    unallocated,
    observedAt,
    validUntil,
  }));
  return { ok: true, item: { index, raw, sightings } };
}

function isUnparsable(raw: unknown): raw is UnparsableItem {
  return typeof raw === 'object' && raw !== null && 'unparsable' in raw && Object.keys(raw).length === 1;
}

function reject(index: number, code: ItemRejectionCode, message: string) {
  return { ok: false as const, rejection: { index, code, message } };
}

/**
 * A partner's country as the default for national numbers; none when it is not a country with a
 * numbering plan (operators are registered as ZZ), so such a number is `country_required`.
 */
export function defaultCountryOf(partnerCountry: string): string | undefined {
  return isSupportedCountry(partnerCountry) ? partnerCountry : undefined;
}
