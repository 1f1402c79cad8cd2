import { OpenAPIHono, createRoute } from '@hono/zod-openapi';
import { LookupQuery, LookupResponse } from '../../schemas/lookup';
import type { Pattern } from '../../schemas/patterns';
import { defaultCountryOf } from '../domain/indicators';
import { decideVerdict } from '../domain/verdict';
import { normalizeNumber } from '../domain/numbers';
import { canSee } from '../domain/visibility';
import { requireRole } from '../http/auth';
import { RateLimiter, rateLimit } from '../http/rateLimit';
import type { AppEnv } from '../http/env';
import { contractError, HubError } from '../http/errors';
import type { AppDeps } from './deps';
import { bearer, jsonBody, problems, queryForSchema } from './openapi';
import { viewerOf } from './viewer';

const lookupRoute = createRoute({
  method: 'get',
  path: '/v1/lookup',
  summary: 'The verdict for a number and every visible pattern that covers it, longest prefix first',
  security: bearer,
  request: { query: LookupQuery },
  responses: { 200: jsonBody(LookupResponse, 'the verdict'), ...problems('invalid_request', 'invalid_number', 'unauthorized', 'rate_limited') },
});

/**
 * Lookup from the in-memory matcher: no table scan per request. The hottest route, so it is a
 * plain handler (declared in the OpenAPI document, query parsed by the same zod schema) without
 * the generic validator's extra awaits, and Pattern objects are built only for visible matches.
 */
export function lookupRoutes(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>();
  const limiter = new RateLimiter(deps.settings.rateLimits.lookup.perSecond, deps.settings.rateLimits.lookup.burst);
  const slots: number[] = [];
  app.openAPIRegistry.registerPath(lookupRoute);
  app.get('/v1/lookup', requireRole(deps.keys), rateLimit(limiter, 'lookup'), (c) => {
    const query = LookupQuery.safeParse(queryForSchema(c));
    if (!query.success) throw contractError(query.error.issues);
    const q = query.data;
    const partner = c.get('partner');
    const parsed = normalizeNumber(q.number, { country: q.country, defaultCountry: defaultCountryOf(partner.country) });
    if (!parsed.ok) throw new HubError('invalid_number', `${parsed.code}: ${parsed.message}`);
    const viewer = viewerOf(c);
    const { matcher } = deps;
    // `slots` is reused: the handler runs to its end without yielding.
    const found = matcher.find(parsed.digits, slots);
    const matches: Pattern[] = [];
    for (let i = 0; i < found; i++) {
      const s = slots[i]!;
      const tlp = matcher.tlpAt(s);
      if (canSee(viewer, { tlp, audience: tlp === 'amber' ? deps.audienceOf(matcher.keyAt(s)) : undefined })) matches.push(matcher.patternAt(s));
    }
    const allowed = deps.allow.find(parsed.digits);
    const base = { number: `+${parsed.digits}`, seq: deps.tail.position, matches };
    // A certified legitimate number is never blocked, whatever was reported against it.
    if (allowed) return c.json({ ...base, verdict: 'allow' as const, allowlisted: { id: allowed.entryId, holder: allowed.holder, certificate: allowed.certificate } }, 200);
    return c.json({ ...base, verdict: decideVerdict(matches) }, 200);
  });
  return app;
}
