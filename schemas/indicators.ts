import { z } from '@hono/zod-openapi';
import { Category, Country, Instant, Tlp } from './common';

const optionalDate = Instant.optional();

/** One indicator as a partner submits it. Unknown fields are ignored. */
export const IndicatorInput = z
  .object({
    pattern: z.string().trim().min(1).max(200).openapi({ example: '+92 300 123 4567' }),
    country: Country.optional(),
    category: Category,
    confidence: z.coerce.number().int().min(1).max(100).optional(),
    observedAt: optionalDate,
    validUntil: optionalDate,
    evidence: z.string().max(2000).optional(),
    originCarrier: z.string().max(200).optional(),
    tlp: Tlp.optional(),
    ref: z.string().max(200).optional(),
  })
  .openapi('IndicatorInput');
export type IndicatorInput = z.infer<typeof IndicatorInput>;

/** The JSON form of `POST /v1/indicators` (CSV and NDJSON carry the same items). */
export const IntakeRequest = z
  .object({ indicators: z.array(IndicatorInput).min(1).max(10_000) })
  .openapi('IntakeRequest');

/** Stable codes for a rejected item; a partner's tooling may switch on them. */
export const ITEM_REJECTION_CODES = [
  'invalid_pattern',
  'invalid_number',
  'country_required',
  'unknown_country',
  'pattern_too_broad',
  'range_length_mismatch',
  'range_reversed',
  'unknown_category',
  'invalid_confidence',
  'invalid_field',
  'invalid_json',
] as const;
export type ItemRejectionCode = (typeof ITEM_REJECTION_CODES)[number];

export const ITEM_STATUSES = ['created', 'corroborated', 'duplicate', 'rejected'] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];

export const ItemResult = z
  .object({
    index: z.number().int(),
    status: z.enum(ITEM_STATUSES),
    patterns: z.array(z.object({ id: z.string().uuid(), key: z.string() })).optional(),
    unallocated: z.boolean().optional().openapi({ description: 'a possible number that no operator is assigned' }),
    error: z.object({ code: z.enum(ITEM_REJECTION_CODES), message: z.string() }).optional(),
  })
  .openapi('ItemResult');
export type ItemResult = z.infer<typeof ItemResult>;

export const IntakeResponse = z
  .object({
    batchId: z.string().uuid(),
    seq: z.number().int().openapi({ description: 'feed position once this batch is committed' }),
    summary: z.object({
      created: z.number().int(),
      corroborated: z.number().int(),
      duplicate: z.number().int(),
      rejected: z.number().int(),
    }),
    results: z.array(ItemResult),
  })
  .openapi('IntakeResponse');
export type IntakeResponse = z.infer<typeof IntakeResponse>;
