import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
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

/** Samples held back per histogram child, at most: a full batch is observed at once. */
const BATCH = 1024;

/**
 * Durations (s) of one (method, route, status) not yet observed. prom-client's observe validates
 * and hashes the labels on every call, about a microsecond per request on the lookup lane; here a
 * request writes one number, and the samples reach the histogram in one loop when the batch is
 * full or the histogram is read (every scrape), so a scrape always sees every answered request.
 */
class HeldDurations {
  readonly #seconds = new Float64Array(BATCH);
  #count = 0;
  constructor(private readonly child: { observe(seconds: number): void }) {}

  add(seconds: number): void {
    this.#seconds[this.#count++] = seconds;
    if (this.#count === BATCH) this.flush();
  }

  flush(): void {
    for (let i = 0; i < this.#count; i++) this.child.observe(this.#seconds[i]!);
    this.#count = 0;
  }
}

/**
 * One JSON log line and one duration sample per request, with the partner when known. The
 * query string is left out of the line: it may hold subscriber numbers. Never logs a key.
 * Shared by the Hono middleware below and the Node lookup lane (lookupLane.ts).
 */
export class RequestRecorder {
  // Per (method, route, status), found by a string key: prom-client would hash the label object each time.
  readonly #durations = new Map<string, HeldDurations>();
  constructor(private readonly log: Logger, private readonly metrics: HubMetrics) {
    metrics.beforeDurationRead(() => {
      for (const held of this.#durations.values()) held.flush();
    });
  }

  record(r: AnsweredRequest): void {
    const name = `${r.method} ${r.status} ${r.route}`;
    let held = this.#durations.get(name);
    if (!held) {
      held = new HeldDurations(this.metrics.httpDuration.labels({ method: r.method, route: r.route, status: String(r.status) }));
      this.#durations.set(name, held);
    }
    held.add(r.ms / 1000);
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
