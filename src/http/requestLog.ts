import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import type { AppEnv } from './env';
import type { HubMetrics } from './metrics';

/**
 * Node's response when served by @hono/node-server: the request id goes straight onto it (merged
 * into whatever the app answers, errors and streams included). `c.header()` before the answer
 * exists makes Hono build a WHATWG Headers object, which cost more than everything else this
 * middleware does; elsewhere the id is set on the answer once it exists.
 */
function nodeResponse(c: Context<AppEnv>): Pick<ServerResponse, 'setHeader'> | null {
  const outgoing = (c.env as { outgoing?: Partial<ServerResponse> } | undefined)?.outgoing;
  return typeof outgoing?.setHeader === 'function' && outgoing.headersSent === false ? (outgoing as ServerResponse) : null;
}

/**
 * One JSON log line and one duration sample per request, with the partner when known. The
 * query string is left out of the line: it may hold subscriber numbers. Never logs a key.
 */
export function requestLog(log: Logger, metrics: HubMetrics): MiddlewareHandler<AppEnv> {
  // One histogram child per (method, route, status), found by a string key: prom-client would hash the label object each time.
  const durations = new Map<string, { observe(seconds: number): void }>();
  const durationOf = (method: string, route: string, status: number) => {
    const name = `${method} ${status} ${route}`;
    let child = durations.get(name);
    if (!child) durations.set(name, (child = metrics.httpDuration.labels({ method, route, status: String(status) })));
    return child;
  };
  return async function requestLogMiddleware(c, next) {
    const started = performance.now();
    const requestId = c.req.header('x-request-id')?.slice(0, 100) || randomUUID();
    c.set('requestId', requestId);
    const outgoing = nodeResponse(c);
    outgoing?.setHeader('x-request-id', requestId);
    try {
      await next();
      if (!outgoing) c.header('x-request-id', requestId);
    } finally {
      const ms = performance.now() - started;
      const route = c.req.routePath || 'unmatched';
      const status = c.res.status;
      durationOf(c.req.method, route, status).observe(ms / 1000);
      if (route !== '/metrics' && route !== '/healthz' && route !== '/readyz' && log.isLevelEnabled('info')) {
        log.info(
          { reqId: requestId, method: c.req.method, path: c.req.path, route, status, ms: Math.round(ms * 10) / 10, partnerId: c.get('partner')?.id },
          'request',
        );
      }
    }
  };
}
