import { Hono } from 'hono';
import type { BlockList } from '../../sdk/src/index';
import type { MirrorStatus } from './status';

/**
 * The mirror's HTTP API, answered from memory: a switch asks `/check/{number}` on its call path,
 * so no request does I/O.
 */
export function mirrorRoutes(deps: { list: BlockList; status: () => MirrorStatus }): Hono {
  const app = new Hono();

  // `{.+}`: a URL-encoded number may decode to anything, a `/` included (sip: URIs).
  app.get('/check/:number{.+}', (c) => {
    const { list } = deps;
    if (!list.ready) return c.json({ error: 'not_ready: no block list yet (none saved, hub not reached)' }, 503);
    const country = c.req.query('country');
    const answer = list.check(c.req.param('number'), country ? country.toUpperCase() : undefined);
    if ('error' in answer) return c.json(answer, 400);
    return c.json({ number: answer.number, verdict: answer.verdict, seq: list.seq, matches: answer.matches });
  });

  app.get('/status', (c) => c.json(deps.status()));
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  // Ready once there is a list to answer from, saved or received.
  app.get('/readyz', (c) => (deps.list.ready ? c.json({ status: 'ready', seq: deps.list.seq }) : c.json({ status: 'not_ready' }, 503)));
  app.notFound((c) => c.json({ error: 'not_found' }, 404));
  app.onError((err, c) => c.json({ error: `internal: ${err.message}` }, 500));
  return app;
}
