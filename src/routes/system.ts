import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import type { AppEnv } from '../http/env';
import { HubError } from '../http/errors';
import type { AppDeps } from './deps';
import { jsonBody, problems } from './openapi';

const Health = z.object({ status: z.string() }).openapi('Health');

/** Liveness, readiness and metrics: no auth, for load balancers and Prometheus. */
export function systemRoutes(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    createRoute({ method: 'get', path: '/healthz', responses: { 200: jsonBody(Health, 'the process is up') } }),
    (c) => c.json({ status: 'ok' }, 200),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/readyz',
      responses: { 200: jsonBody(Health.extend({ seq: z.number().int() }), 'the database answers'), ...problems('unavailable') },
    }),
    async (c) => {
      try {
        await deps.database.db.execute(sql`select 1`);
      } catch {
        throw new HubError('unavailable', 'the database does not answer');
      }
      return c.json({ status: 'ready', seq: deps.tail.position }, 200);
    },
  );
  app.get('/metrics', async (c) => {
    c.header('content-type', deps.metrics.registry.contentType);
    return c.body(await deps.metrics.registry.metrics());
  });
  return app;
}
