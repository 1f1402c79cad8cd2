import { OpenAPIHono, createRoute } from '@hono/zod-openapi';
import { Community, CommunityInput, CommunityList } from '../../schemas/trust';
import { requireRole } from '../http/auth';
import type { AppEnv } from '../http/env';
import { HubError } from '../http/errors';
import { createCommunity, listCommunities } from '../store/communities';
import { actorOf } from './actor';
import type { AppDeps } from './deps';
import { bearer, jsonBody, problems } from './openapi';

/** Communities (operators): amber indicators reach the members of the submitter's communities. */
export function communityRoutes(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>();
  const operator = requireRole(deps.keys, 'operator');

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/communities',
      summary: 'Create a community: its members see each other’s amber indicators (their feeds resync)',
      security: bearer,
      middleware: [operator] as const,
      request: { body: { content: { 'application/json': { schema: CommunityInput } }, required: true } },
      responses: { 201: jsonBody(Community, 'created'), ...problems('invalid_request', 'unauthorized', 'forbidden') },
    }),
    async (c) => {
      const done = await createCommunity(deps.database.db, c.req.valid('json'), actorOf(c, deps));
      if (done === 'unknown_member') throw new HubError('invalid_request', 'every member must be an existing partner id');
      if (done === 'name_taken') throw new HubError('invalid_request', 'a community with this name exists');
      deps.keys.clear();
      deps.tail.wake();
      return c.json(done, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/communities',
      summary: 'Communities and their members',
      security: bearer,
      middleware: [operator] as const,
      responses: { 200: jsonBody(CommunityList, 'communities'), ...problems('unauthorized', 'forbidden') },
    }),
    async (c) => c.json({ communities: await listCommunities(deps.database.db) }, 200),
  );
  return app;
}
