import { z } from '@hono/zod-openapi';
import { Category, Timestamp, Tlp } from './common';

export const PATTERN_KINDS = ['number', 'block', 'prefix'] as const;
export const PATTERN_STATUSES = ['active', 'disputed', 'held', 'expired', 'revoked'] as const;
export const ACTIONS = ['block', 'flag'] as const;
export type PatternStatus = (typeof PATTERN_STATUSES)[number];
export type Action = (typeof ACTIONS)[number];

/** A shared pattern as every feed carries it. */
export const Pattern = z
  .object({
    id: z.string().uuid(),
    key: z.string().openapi({ example: '+92300123XXXX' }),
    kind: z.enum(PATTERN_KINDS),
    prefix: z.string().openapi({ description: 'digits, country code included' }),
    length: z.number().int().nullable().openapi({ description: 'total digits; null for an open prefix' }),
    country: z.string().nullable(),
    categories: z.array(Category),
    confidence: z.number().int().min(0).max(100),
    reporters: z.number().int(),
    action: z.enum(ACTIONS),
    status: z.enum(PATTERN_STATUSES),
    tlp: Tlp,
    unallocated: z.boolean(),
    firstSeen: Timestamp,
    lastSeen: Timestamp,
    validUntil: Timestamp.nullable(),
    seq: z.number().int(),
  })
  .openapi('Pattern');
export type Pattern = z.infer<typeof Pattern>;

/** One partner's report on a pattern; `partnerId`/`partnerName` only for operators. */
export const Report = z
  .object({
    partnerId: z.string().uuid().optional(),
    partnerName: z.string().optional(),
    country: z.string().optional(),
    confidence: z.number().int(),
    categories: z.array(Category),
    sightings: z.number().int(),
    firstSeen: Timestamp,
    lastSeen: Timestamp,
  })
  .openapi('Report');

export const PatternDetail = Pattern.extend({ reports: z.array(Report) }).openapi('PatternDetail');
export type PatternDetail = z.infer<typeof PatternDetail>;

export const AuditEvent = z
  .object({
    id: z.number().int(),
    event: z.string(),
    at: Timestamp,
    seq: z.number().int().nullable(),
    partnerId: z.string().uuid().nullable(),
    detail: z.record(z.string(), z.unknown()),
  })
  .openapi('AuditEvent');
export type AuditEvent = z.infer<typeof AuditEvent>;

export const PatternHistory = z
  .object({ patternId: z.string().uuid(), events: z.array(AuditEvent) })
  .openapi('PatternHistory');
export type PatternHistory = z.infer<typeof PatternHistory>;
