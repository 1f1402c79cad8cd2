import { z } from '@hono/zod-openapi';
import { Country, Instant, Timestamp } from './common';
import { Pattern } from './patterns';

const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .regex(/^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/, 'must not contain control characters');


/** `POST /v1/patterns/{id}/revoke` */
export const RevokeInput = z.object({ reason: text(2000) }).strict().openapi('RevokeInput');

/** `POST /v1/patterns/{id}/disputes` */
export const DisputeInput = z.object({ reason: text(2000) }).strict().openapi('DisputeInput');

export const DISPUTE_STATUSES = ['open', 'revoked', 'restored', 'superseded'] as const;

export const Dispute = z
  .object({
    id: z.string().uuid(),
    patternId: z.string().uuid(),
    key: z.string(),
    partnerId: z.string().uuid(),
    reason: z.string(),
    status: z.enum(DISPUTE_STATUSES),
    note: z.string().nullable(),
    resolvedBy: z.string().uuid().nullable(),
    createdAt: Timestamp,
    resolvedAt: Timestamp.nullable(),
  })
  .openapi('Dispute');
export type Dispute = z.infer<typeof Dispute>;

export const DisputeCreated = z.object({ id: z.string().uuid(), status: z.enum(DISPUTE_STATUSES), pattern: Pattern }).openapi('DisputeCreated');
export const DisputeList = z.object({ disputes: z.array(Dispute) }).openapi('DisputeList');
export const DisputeQuery = z.object({ status: z.enum(DISPUTE_STATUSES).optional() });

/** `POST /v1/disputes/{id}/resolve`: `revoke` (the dispute was right) or `restore` (it was not). */
export const ResolveInput = z.object({ outcome: z.enum(['revoke', 'restore']), note: text(2000) }).strict().openapi('ResolveInput');

/** `POST /v1/allowlist`: a certified legitimate number, block or prefix. */
export const AllowlistInput = z
  .object({
    pattern: z.string().trim().min(1).max(200),
    country: Country.optional(),
    holder: text(200),
    certificate: text(200),
    validUntil: Instant.optional(),
  })
  .strict()
  .openapi('AllowlistInput');

export const AllowlistEntry = z
  .object({
    id: z.string().uuid(),
    pattern: z.string(),
    keys: z.array(z.string()),
    holder: z.string(),
    certificate: z.string(),
    validUntil: Timestamp.nullable(),
    createdBy: z.string().uuid(),
    createdAt: Timestamp,
  })
  .openapi('AllowlistEntry');

export const AllowlistCreated = z
  .object({ id: z.string().uuid(), keys: z.array(z.string()), held: z.number().int().openapi({ description: 'patterns now held' }) })
  .openapi('AllowlistCreated');
export const AllowlistList = z.object({ entries: z.array(AllowlistEntry) }).openapi('AllowlistList');

/** A held pattern and the certified entries it overlaps: an operator decides. */
export const Conflict = z
  .object({
    pattern: Pattern,
    allowlist: z.array(z.object({ id: z.string().uuid(), holder: z.string(), certificate: z.string() })),
  })
  .openapi('Conflict');
export const ConflictList = z.object({ conflicts: z.array(Conflict) }).openapi('ConflictList');

/** `POST /v1/partners/{id}/holdings` and `POST /v1/dno`. */
export const PatternInput = z.object({ pattern: z.string().trim().min(1).max(200), country: Country.optional() }).strict().openapi('PatternInput');

export const Holding = z.object({ id: z.string().uuid(), pattern: z.string(), key: z.string() }).openapi('Holding');
export const HoldingList = z.object({ holdings: z.array(Holding) }).openapi('HoldingList');

export const DnoResult = z
  .object({ seq: z.number().int(), patterns: z.array(z.object({ id: z.string().uuid(), key: z.string() })) })
  .openapi('DnoResult');

/** `POST /v1/communities`: partners that share amber indicators. */
export const CommunityInput = z
  .object({ name: text(200), members: z.array(z.string().uuid()).min(1).max(1000).transform((m) => [...new Set(m)]) })
  .strict()
  .openapi('CommunityInput');

export const Community = z
  .object({ id: z.string().uuid(), name: z.string(), members: z.array(z.string().uuid()), createdAt: Timestamp })
  .openapi('Community');
export const CommunityList = z.object({ communities: z.array(Community) }).openapi('CommunityList');
