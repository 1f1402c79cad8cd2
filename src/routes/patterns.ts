import { OpenAPIHono, createRoute } from '@hono/zod-openapi';
import { Pattern, PatternDetail, PatternHistory } from '../../schemas/patterns';
import { RevokeInput } from '../../schemas/trust';
import { canSee } from '../domain/visibility';
import { requireRole } from '../http/auth';
import type { AppEnv } from '../http/env';
import { HubError } from '../http/errors';
import { revokePatternById } from '../store/lifecycle';
import { findPattern, patternHistory } from '../store/patterns';
import { actorOf } from './actor';
import type { AppDeps } from './deps';
import { IdParam, bearer, jsonBody, problems } from './openapi';
import { viewerOf } from './viewer';

/** Reading one pattern, and its full audit history for operators. */
export function patternRoutes(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/patterns/{id}',
      summary: 'A pattern with its reports (reporters named to operators only)',
      security: bearer,
      middleware: [requireRole(deps.keys)] as const,
      request: { params: IdParam },
      responses: { 200: jsonBody(PatternDetail, 'the pattern'), ...problems('invalid_request', 'unauthorized', 'not_found') },
    }),
    async (c) => {
      const viewer = viewerOf(c);
      const found = await findPattern(deps.database.db, c.req.valid('param').id);
      // A pattern the partner may not see does not exist for it: 404, not 403, leaks nothing.
      if (!found || !canSee(viewer, { tlp: found.pattern.tlp, audience: found.audience })) throw new HubError('not_found', 'no such pattern');
      // A hidden sighting stays hidden: only the reports this partner may see are shown.
      const reports = found.reports
        .filter((r) => canSee(viewer, r))
        .map(({ partnerId, partnerName, country, tlp: _tlp, audience: _audience, ...rest }) => (viewer.isOperator ? { partnerId, partnerName, country, ...rest } : rest));
      return c.json({ ...found.pattern, reports }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/patterns/{id}/history',
      summary: 'Every audit event of a pattern, oldest first',
      security: bearer,
      middleware: [requireRole(deps.keys, 'operator')] as const,
      request: { params: IdParam },
      responses: { 200: jsonBody(PatternHistory, 'the history'), ...problems('invalid_request', 'unauthorized', 'forbidden', 'not_found') },
    }),
    async (c) => {
      const id = c.req.valid('param').id;
      const events = await patternHistory(deps.database.db, id);
      if (events.length === 0) throw new HubError('not_found', 'no such pattern');
      return c.json({ patternId: id, events }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/patterns/{id}/revoke',
      summary: 'Revoke a pattern (an operator, or its only reporter): it leaves every feed',
      security: bearer,
      middleware: [requireRole(deps.keys)] as const,
      request: { params: IdParam, body: { content: { 'application/json': { schema: RevokeInput } }, required: true } },
      responses: { 200: jsonBody(Pattern, 'the revoked pattern'), ...problems('invalid_request', 'unauthorized', 'forbidden', 'not_found') },
    }),
    async (c) => {
      const done = await revokePatternById(deps.database.db, c.req.valid('param').id, c.req.valid('json').reason, actorOf(c, deps));
      if (done === 'not_found') throw new HubError('not_found', 'no such pattern');
      if (done === 'forbidden') throw new HubError('forbidden', 'only an operator or the only reporter may revoke a pattern');
      if (typeof done === 'string') throw new HubError(done);
      deps.tail.wake();
      return c.json(done, 200);
    },
  );
  return app;
}
