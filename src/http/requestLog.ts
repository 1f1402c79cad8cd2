import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import type { DurationSeries } from './durationHistogram';
import type { AppEnv } from './env';
import type { HubMetrics } from './metrics';

/** One answered request, as it is logged and measured. */
export interface AnsweredRequest {
  reqId: string;
  method: string;
  path: string;
  /** The matched route pattern, `unmatched` for none. */
  route: string;
  status: number;
  ms: number;
  partnerId: string | undefined;
}

/** The request id: the caller's `x-request-id` (at most 100 characters), else a new UUID. */
export function requestIdOf(header: string | undefined | null): string {
  return header?.slice(0, 100) || randomUUID();
}

/**
 * One JSON log line and one duration sample per request, with the partner when known. The
 * query string is left out of the line: it may hold subscriber numbers. Never logs a key.
 * Shared by the Hono middleware below and the Node lookup lane (lookupLane.ts).
 */
export class RequestRecorder {
  constructor(private readonly log: Logger, private readonly metrics: HubMetrics) {}

  /**
   * The duration series of answers of this method, route and status. A caller that gives many
   * of them (the lookup lane) finds it once and passes it to `record`.
   */
  seriesOf(method: string, route: string, status: number): DurationSeries {
    return this.metrics.httpDuration.series(method, route, status);
  }

  record(r: AnsweredRequest, series = this.seriesOf(r.method, r.route, r.status)): void {
    series.observe(r.ms / 1000);
    if (r.route !== '/metrics' && r.route !== '/healthz' && r.route !== '/readyz' && this.log.isLevelEnabled('info')) {
      this.log.info({ ...r, ms: Math.round(r.ms * 10) / 10 }, 'request');
    }
  }
}

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

/** The request id on every answer, and the recorder's line and sample for every request. */
export function requestLog(recorder: RequestRecorder): MiddlewareHandler<AppEnv> {
  return async function requestLogMiddleware(c, next) {
    const started = performance.now();
    const reqId = requestIdOf(c.req.header('x-request-id'));
    c.set('requestId', reqId);
    const outgoing = nodeResponse(c);
    outgoing?.setHeader('x-request-id', reqId);
    try {
      await next();
      if (!outgoing) c.header('x-request-id', reqId);
    } finally {
      const route = c.req.routePath || 'unmatched';
      recorder.record({ reqId, method: c.req.method, path: c.req.path, route, status: c.res.status, ms: performance.now() - started, partnerId: c.get('partner')?.id });
    }
  };
}
