import { OpenAPIHono, createRoute } from '@hono/zod-openapi';
import { AllowlistCreated, AllowlistInput, AllowlistList, ConflictList } from '../../schemas/trust';
import { blockKey } from '../domain/blocks';
import { requireRole } from '../http/auth';
import type { AppEnv } from '../http/env';
import { HubError } from '../http/errors';
import { listAllowlist } from '../store/allowlist';
import { addAllowlist, dropAllowlist } from '../store/lifecycle';
import { listConflicts } from '../store/trustReads';
import { actorOf } from './actor';
import type { AppDeps } from './deps';
import { IdParam, bearer, jsonBody, problems } from './openapi';
import { normalizeOrRefuse } from './patternInput';

/** Certified legitimate numbers (operators): overlapping indicators are held, never pushed. */
export function allowlistRoutes(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>();
  const operator = requireRole(deps.keys, 'operator');

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/allowlist',
      summary: 'Register a certified legitimate number, block or prefix; overlapping patterns are held',
      security: bearer,
      middleware: [operator] as const,
      request: { body: { content: { 'application/json': { schema: AllowlistInput } }, required: true } },
      responses: { 201: jsonBody(AllowlistCreated, 'registered'), ...problems('invalid_request', 'invalid_pattern', 'unauthorized', 'forbidden') },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const { blocks } = normalizeOrRefuse(input.pattern, { country: input.country });
      const validUntil = input.validUntil ? new Date(input.validUntil).toISOString() : null;
      const { id, held } = await addAllowlist(
        deps.database.db,
        { pattern: input.pattern, holder: input.holder, certificate: input.certificate, validUntil, blocks },
        actorOf(c, deps),
      );
      await deps.allowlistChanged();
      deps.tail.wake();
      return c.json({ id, keys: blocks.map(blockKey), held }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/allowlist',
      summary: 'Active allowlist entries',
      security: bearer,
      middleware: [operator] as const,
      responses: { 200: jsonBody(AllowlistList, 'entries'), ...problems('unauthorized', 'forbidden') },
    }),
    async (c) => c.json({ entries: await listAllowlist(deps.database.db, deps.clock().toISOString()) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/allowlist/{id}',
      summary: 'Remove an entry: patterns it held return to the feeds unless another entry covers them',
      security: bearer,
      middleware: [operator] as const,
      request: { params: IdParam },
      responses: { 204: { description: 'removed' }, ...problems('invalid_request', 'unauthorized', 'forbidden', 'not_found') },
    }),
    async (c) => {
      const done = await dropAllowlist(deps.database.db, c.req.valid('param').id, actorOf(c, deps), 'removed by an operator');
      if (done === 'not_found') throw new HubError('not_found', 'no such active allowlist entry');
      await deps.allowlistChanged();
      deps.tail.wake();
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/conflicts',
      summary: 'Patterns held because they overlap certified legitimate numbers',
      security: bearer,
      middleware: [operator] as const,
      responses: { 200: jsonBody(ConflictList, 'the queue'), ...problems('unauthorized', 'forbidden') },
    }),
    async (c) => c.json({ conflicts: await listConflicts(deps.database.db, deps.clock().toISOString()) }, 200),
  );
  return app;
}
