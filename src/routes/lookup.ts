import { OpenAPIHono, createRoute } from '@hono/zod-openapi';
import { LookupQuery, LookupResponse } from '../../schemas/lookup';
import { defaultCountryOf } from '../domain/indicators';
import { decideVerdict } from '../domain/verdict';
import { normalizeNumber } from '../domain/numbers';
import { canSee } from '../domain/visibility';
import { requireRole } from '../http/auth';
import { RateLimiter, rateLimit } from '../http/rateLimit';
import type { AppEnv } from '../http/env';
import { HubError } from '../http/errors';
import type { AppDeps } from './deps';
import { bearer, jsonBody, problems } from './openapi';
import { viewerOf } from './viewer';

/** Lookup from the in-memory matcher: no table scan per request. */
export function lookupRoutes(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>();
  const limiter = new RateLimiter(deps.settings.rateLimits.lookup.perSecond, deps.settings.rateLimits.lookup.burst);
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/lookup',
      summary: 'The verdict for a number and every visible pattern that covers it, longest prefix first',
      security: bearer,
      middleware: [requireRole(deps.keys), rateLimit(limiter, 'lookup')] as const,
      request: { query: LookupQuery },
      responses: { 200: jsonBody(LookupResponse, 'the verdict'), ...problems('invalid_request', 'invalid_number', 'unauthorized', 'rate_limited') },
    }),
    (c) => {
      const q = c.req.valid('query');
      const partner = c.get('partner');
      const parsed = normalizeNumber(q.number, { country: q.country, defaultCountry: defaultCountryOf(partner.country) });
      if (!parsed.ok) throw new HubError('invalid_number', `${parsed.code}: ${parsed.message}`);
      const viewer = viewerOf(c);
      const matches = deps.matcher.match(parsed.digits).filter((p) => canSee(viewer, { tlp: p.tlp, audience: deps.audienceOf(p.key) }));
      const allowed = deps.allow.find(parsed.digits);
      const base = { number: `+${parsed.digits}`, seq: deps.tail.position, matches };
      // A certified legitimate number is never blocked, whatever was reported against it.
      if (allowed) return c.json({ ...base, verdict: 'allow' as const, allowlisted: { id: allowed.entryId, holder: allowed.holder, certificate: allowed.certificate } }, 200);
      return c.json({ ...base, verdict: decideVerdict(matches) }, 200);
    },
  );
  return app;
}
