import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import type { AppEnv } from './env';
import type { HubMetrics } from './metrics';

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
    c.header('x-request-id', requestId);
    try {
      await next();
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
