import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { Problem } from '../../schemas/common';
import { ERROR_STATUS, type ErrorCode } from '../http/errors';

/** A JSON response entry for createRoute. */
export function jsonBody<T extends z.ZodTypeAny>(schema: T, description: string) {
  return { content: { 'application/json': { schema } }, description };
}

/** Problem responses for createRoute, one per distinct status of the listed codes. */
export function problems(...codes: ErrorCode[]) {
  const out: Record<number, { content: { 'application/problem+json': { schema: typeof Problem } }; description: string }> = {};
  for (const code of codes) {
    const status = ERROR_STATUS[code];
    const prior = out[status];
    out[status] = {
      content: { 'application/problem+json': { schema: Problem } },
      description: prior ? `${prior.description}, ${code}` : code,
    };
  }
  return out;
}

/** Bearer auth, as the OpenAPI document declares it. */
export const bearer = [{ bearer: [] as string[] }];

/** A path parameter that must be a UUID. */
export const IdParam = z.object({ id: z.string().uuid().openapi({ param: { name: 'id', in: 'path' } }) });

/**
 * The query string as Hono's validator hands it to a route's zod schema: one value as a string,
 * a repeated parameter as an array (so a schema that wants one value refuses it). For routes
 * that parse their query by hand (see routes/lookup.ts).
 */
export function queryForSchema(c: Context): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(c.req.queries()).map(([k, v]) => (v.length === 1 ? [k, v[0]!] : [k, v])));
}
