import { OpenAPIHono } from '@hono/zod-openapi';
import { contractError, handleError, problemResponse } from './http/errors';
import type { AppEnv } from './http/env';
import { requestLog } from './http/requestLog';
import type { AppDeps } from './routes/deps';
import { allowlistRoutes } from './routes/allowlist';
import { communityRoutes } from './routes/communities';
import { disputeRoutes } from './routes/disputes';
import { dnoRoutes } from './routes/dno';
import { feedRoutes } from './routes/feed';
import { indicatorRoutes } from './routes/indicators';
import { lookupRoutes } from './routes/lookup';
import { partnerRoutes } from './routes/partners';
import { patternRoutes } from './routes/patterns';
import { systemRoutes } from './routes/system';

export type { AppDeps } from './routes/deps';

/** The hub's HTTP app, runtime-agnostic: everything it needs comes in `deps`. */
export function createApp(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw contractError(result.error.issues);
    },
  });
  app.use('*', requestLog(deps.requests));
  app.onError((err, c) => handleError(err, (e) => deps.log.error({ err: e, reqId: c.get('requestId') }, 'unhandled error')));
  app.notFound((c) => problemResponse('not_found', `no route for ${c.req.method} ${c.req.path}`));

  app.route('/', systemRoutes(deps));
  app.route('/', partnerRoutes(deps));
  app.route('/', indicatorRoutes(deps));
  app.route('/', patternRoutes(deps));
  app.route('/', lookupRoutes(deps));
  app.route('/', feedRoutes(deps));
  app.route('/', disputeRoutes(deps));
  app.route('/', allowlistRoutes(deps));
  app.route('/', dnoRoutes(deps));
  app.route('/', communityRoutes(deps));

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'a partner API key' });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Fraud number-pattern hub',
      version: '1.0.0',
      description: 'Carriers share fraudulent and spoofed number patterns; partners keep block lists in sync.',
    },
  });
  return app;
}
