import { OpenAPIHono, createRoute } from '@hono/zod-openapi';
import { LookupQuery, LookupResponse } from '../../schemas/lookup';
import { requireRole } from '../http/auth';
import { rateLimit } from '../http/rateLimit';
import type { AppEnv } from '../http/env';
import { contractError, HubError } from '../http/errors';
import type { AppDeps } from './deps';
import { LOOKUP_LIMIT } from './lookupService';
import { bearer, jsonBody, problems, queryForSchema } from './openapi';

const lookupRoute = createRoute({
  method: 'get',
  path: '/v1/lookup',
  summary: 'The verdict for a number and every visible pattern that covers it, longest prefix first',
  security: bearer,
  request: { query: LookupQuery },
  responses: { 200: jsonBody(LookupResponse, 'the verdict'), ...problems('invalid_request', 'invalid_number', 'unauthorized', 'rate_limited') },
});

/**
 * GET /v1/lookup, answered by the lookup service (routes/lookupService.ts). The hottest route, so
 * it is a plain handler (declared in the OpenAPI document, query parsed by the same zod schema)
 * without the generic validator's extra awaits. On Node, plain E.164 lookups by a known key
 * mostly take the fast lane (http/lookupLane.ts) and never reach here.
 */
export function lookupRoutes(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>();
  app.openAPIRegistry.registerPath(lookupRoute);
  app.get('/v1/lookup', requireRole(deps.keys), rateLimit(deps.lookups.limiter, LOOKUP_LIMIT), (c) => {
    const query = LookupQuery.safeParse(queryForSchema(c));
    if (!query.success) throw contractError(query.error.issues);
    const outcome = deps.lookups.answer(c.get('partner'), query.data.number, query.data.country);
    if (!outcome.ok) throw new HubError('invalid_number', outcome.message);
    return c.body(outcome.json, 200, { 'content-type': 'application/json' });
  });
  return app;
}
