/** The baseline for HTTP lookups: a bare Hono app on @hono/node-server answering GET /v1/lookup with a constant JSON body. */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { serveParent } from '../lib/child';

let body: unknown = {};
const app = new Hono();
app.get('/v1/lookup', (c) => c.json(body as object));

let port: Promise<number> | null = null;

serveParent('bareHono', {
  /** Starts listening, answering `answer` to every lookup. */
  listen(answer: unknown) {
    body = answer;
    port ??= new Promise((resolve) => {
      serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(info.port));
    });
    return port;
  },
});
