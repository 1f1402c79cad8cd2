import { z } from '@hono/zod-openapi';
import { ACTIONS, Pattern } from './patterns';
import { Category, Country } from './common';

/** What a subscriber selects; every field narrows, absent fields select everything. */
export const FeedFilter = z
  .object({
    country: z.array(Country).max(300).optional(),
    category: z.array(Category).max(20).optional(),
    minConfidence: z.number().int().min(0).max(100).optional(),
    action: z.enum(ACTIONS).optional(),
  })
  .strict()
  .openapi('FeedFilter');
export type FeedFilter = z.infer<typeof FeedFilter>;

/** A comma list (or a repeated param) in a query string, as an array. */
const list = <T extends z.ZodTypeAny>(item: T) =>
  z.preprocess(
    (v) => (v === undefined ? undefined : String(v).split(',').map((s) => s.trim()).filter(Boolean)),
    z.array(item).max(300).optional(),
  );

/** The feed filter as query parameters on pull and snapshot. */
export const FeedFilterQuery = z.object({
  country: list(Country).openapi({ type: 'string', description: 'comma-separated ISO codes', example: 'PK,GB' }),
  category: list(Category).openapi({ type: 'string', description: 'comma-separated categories' }),
  minConfidence: z.coerce.number().int().min(0).max(100).optional(),
  action: z.enum(ACTIONS).optional(),
});

export const ChangesQuery = FeedFilterQuery.extend({
  since: z.coerce.number().int().min(0).openapi({ description: 'the `next` of the previous answer; 0 from the start' }),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  wait: z.coerce.number().int().min(0).max(60).default(0).openapi({ description: 'seconds to wait for a change when none is pending' }),
});

export const CHANGE_OPS = ['upsert', 'remove'] as const;

/** One entry of the change log as a reader receives it. */
export const Change = z
  .object({ seq: z.number().int(), op: z.enum(CHANGE_OPS), pattern: Pattern })
  .openapi('Change');
export type Change = z.infer<typeof Change>;

export const ChangesResponse = z
  .object({
    changes: z.array(Change),
    next: z.number().int().openapi({ description: 'pass as `since` next time' }),
    hasMore: z.boolean(),
  })
  .openapi('ChangesResponse');
export type ChangesResponse = z.infer<typeof ChangesResponse>;

export const Snapshot = z.object({ seq: z.number().int(), patterns: z.array(Pattern) }).openapi('Snapshot');
export type Snapshot = z.infer<typeof Snapshot>;
