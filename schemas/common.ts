import { z } from '@hono/zod-openapi';

/** Roles a partner may hold; one partner may hold several. */
export const ROLES = ['submitter', 'subscriber', 'operator'] as const;
export const Role = z.enum(ROLES).openapi('Role');
export type Role = z.infer<typeof Role>;

/** Fraud categories an indicator may carry. */
export const CATEGORIES = ['scam_call_center', 'spoofed_cli', 'wangiri', 'irsf', 'robocall', 'smishing', 'other'] as const;
export const Category = z.enum(CATEGORIES).openapi('Category');
export type Category = z.infer<typeof Category>;

/** Traffic Light Protocol levels, most open first. */
export const TLPS = ['clear', 'green', 'amber', 'red'] as const;
export const Tlp = z.enum(TLPS).openapi('Tlp');
export type Tlp = z.infer<typeof Tlp>;

/** ISO 3166-1 alpha-2, upper case (lower case is accepted and upper-cased). */
export const Country = z
  .string()
  .regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166-1 alpha-2 code')
  .transform((s) => s.toUpperCase())
  .openapi({ type: 'string', example: 'PK' });

/** RFC 9457 problem details, with the hub's stable `code`. */
export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string(),
    detail: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem');
export type Problem = z.infer<typeof Problem>;

/** An ISO 8601 timestamp as the hub writes it. */
export const Timestamp = z.string().openapi({ format: 'date-time', example: '2026-11-25T12:00:00.000Z' });

/** An ISO 8601 instant (with offset) whose UTC year is 1970..9999: what a database timestamp holds. */
export const Instant = z.iso.datetime({ offset: true }).refine((v) => {
  const year = new Date(v).getUTCFullYear();
  return year >= 1970 && year <= 9999;
}, 'must fall between the years 1970 and 9999 (UTC)');
