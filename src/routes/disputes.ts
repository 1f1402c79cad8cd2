import { OpenAPIHono, createRoute } from '@hono/zod-openapi';
import { DisputeCreated, DisputeInput, DisputeList, DisputeQuery, ResolveInput } from '../../schemas/trust';
import { canSee } from '../domain/visibility';
import { requireRole } from '../http/auth';
import type { AppEnv } from '../http/env';
import { HubError } from '../http/errors';
import { openDispute, resolveDispute } from '../store/lifecycle';
import { listDisputes } from '../store/trustReads';
import { actorOf } from './actor';
import type { AppDeps } from './deps';
import { IdParam, bearer, jsonBody, problems } from './openapi';
import { viewerOf } from './viewer';

/** Disputes: any partner challenges a pattern; operators settle it. */
export function disputeRoutes(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>();
  const operator = requireRole(deps.keys, 'operator');

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/patterns/{id}/disputes',
      summary: 'Dispute a pattern: it is at most `flag` until an operator resolves the dispute',
      security: bearer,
      middleware: [requireRole(deps.keys)] as const,
      request: { params: IdParam, body: { content: { 'application/json': { schema: DisputeInput } }, required: true } },
      responses: { 201: jsonBody(DisputeCreated, 'the dispute is open'), ...problems('invalid_request', 'unauthorized', 'not_found', 'pattern_revoked') },
    }),
    async (c) => {
      const viewer = viewerOf(c);
      const done = await openDispute(deps.database.db, c.req.valid('param').id, c.req.valid('json').reason, actorOf(c, deps), (p, audience) => canSee(viewer, { tlp: p.tlp, audience }));
      if (typeof done === 'string') throw new HubError(done, done === 'not_found' ? 'no such pattern' : undefined);
      deps.tail.wake();
      return c.json({ id: done.id, status: 'open' as const, pattern: done.pattern }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/disputes',
      summary: 'Disputes, newest first',
      security: bearer,
      middleware: [operator] as const,
      request: { query: DisputeQuery },
      responses: { 200: jsonBody(DisputeList, 'disputes'), ...problems('invalid_request', 'unauthorized', 'forbidden') },
    }),
    async (c) => c.json({ disputes: await listDisputes(deps.database.db, { status: c.req.valid('query').status }) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/disputes/{id}/resolve',
      summary: '`revoke`: the dispute was right, the pattern leaves every feed; `restore`: the pattern returns as it was',
      security: bearer,
      middleware: [operator] as const,
      request: { params: IdParam, body: { content: { 'application/json': { schema: ResolveInput } }, required: true } },
      responses: { 200: jsonBody(DisputeList, 'the resolved dispute'), ...problems('invalid_request', 'unauthorized', 'forbidden', 'not_found', 'dispute_closed') },
    }),
    async (c) => {
      const id = c.req.valid('param').id;
      const { outcome, note } = c.req.valid('json');
      const done = await resolveDispute(deps.database.db, id, outcome, note, actorOf(c, deps));
      if (typeof done === 'string') throw new HubError(done, done === 'not_found' ? 'no such dispute' : undefined);
      deps.tail.wake();
      return c.json({ disputes: await listDisputes(deps.database.db, { id }) }, 200);
    },
  );
  return app;
}
