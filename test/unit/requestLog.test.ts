import fc from 'fast-check';
import pino from 'pino';
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/http/metrics';
import { RequestRecorder, type AnsweredRequest } from '../../src/http/requestLog';

const NAME = 'hub_http_request_duration_seconds';
const HELP = 'HTTP request duration by route and status';
const BOUNDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The histogram's series as `{ 'GET 200 /v1/lookup': { count, sum, buckets } }`, read as a scrape reads it. */
async function series(metrics: ReturnType<typeof createMetrics>) {
  const out: Record<string, { count: number; sum: number; buckets: number[] }> = {};
  for (const v of (await metrics.httpDuration.get()).values) {
    const l = v.labels;
    const name = `${l.method} ${l.status} ${l.route}`;
    const s = (out[name] ??= { count: 0, sum: 0, buckets: [] });
    if (v.metricName.endsWith('_count')) s.count = v.value;
    else if (v.metricName.endsWith('_sum')) s.sum = v.value;
    else if (l.le !== '+Inf') s.buckets.push(v.value);
  }
  return out;
}

/** The exposition text of one metric family: its lines from `# HELP <name>` to the next family. */
function family(text: string, name: string): string {
  const lines = text.split('\n');
  const from = lines.findIndex((l) => l.startsWith(`# HELP ${name} `));
  if (from < 0) throw new Error(`no ${name} in the exposition`);
  const to = lines.findIndex((l, i) => i > from + 1 && l.startsWith('# HELP '));
  return lines.slice(from, to < 0 ? undefined : to).join('\n').trim();
}

const request = (ms: number, status = 200, route = '/v1/lookup', method = 'GET'): AnsweredRequest => ({ reqId: 'r', method, path: route, route, status, ms, partnerId: 'p' });

describe('RequestRecorder', () => {
  it('every answered request is in the duration histogram whenever it is read, with or without a series held by the caller', async () => {
    const metrics = createMetrics(() => 0, false);
    const recorder = new RequestRecorder(pino({ level: 'silent' }), metrics);
    const held = recorder.seriesOf('GET', '/v1/lookup', 200);
    const expected = new Map<string, number[]>();
    for (const [count, status] of [[1000, 200], [7, 429], [1500, 200], [3, 429]] as const) {
      for (let i = 0; i < count; i++) {
        const ms = (i % 97) * 0.37;
        // As the lookup lane does for its 200s (the series held), and as the middleware does.
        if (status === 200 && i % 2 === 0) recorder.record(request(ms, status), held);
        else recorder.record(request(ms, status));
        const list = expected.get(`GET ${status} /v1/lookup`) ?? [];
        list.push(ms / 1000);
        expected.set(`GET ${status} /v1/lookup`, list);
      }
      const got = await series(metrics);
      for (const [name, seconds] of expected) {
        expect(got[name]!.count, name).toBe(seconds.length);
        expect(got[name]!.sum, name).toBeCloseTo(seconds.reduce((a, b) => a + b, 0), 9);
        expect(got[name]!.buckets, name).toEqual(BOUNDS.map((b) => seconds.filter((s) => s <= b).length));
      }
    }
    expect(await metrics.registry.metrics()).toContain(`${NAME}_count{method="GET",route="/v1/lookup",status="200"} 2500`);
  });

  it("the duration histogram's exposition is prom-client's Histogram's, line for line, for any requests", async () => {
    const durations = fc.oneof(
      fc.constantFrom(0, ...BOUNDS, 11, 1e6).map((s) => s * 1000),
      fc.double({ min: 0, max: 20_000, noNaN: true }),
    );
    const requests = fc.array(
      fc.record({ ms: durations, status: fc.constantFrom(200, 400, 429, 500), route: fc.constantFrom('/v1/lookup', '/v1/indicators', 'unmatched'), method: fc.constantFrom('GET', 'POST') }),
      { maxLength: 300 },
    );
    await fc.assert(
      fc.asyncProperty(requests, async (list) => {
        const metrics = createMetrics(() => 0, false);
        const recorder = new RequestRecorder(pino({ level: 'silent' }), metrics);
        const registry = new Registry();
        const reference = new Histogram({ name: NAME, help: HELP, labelNames: ['method', 'route', 'status'], buckets: BOUNDS, registers: [registry] });
        for (const r of list) {
          recorder.record(request(r.ms, r.status, r.route, r.method));
          reference.observe({ method: r.method, route: r.route, status: String(r.status) }, r.ms / 1000);
        }
        expect(family(await metrics.registry.metrics(), NAME)).toBe(family(await registry.metrics(), NAME));
        // As JSON, as anything reading getMetricsAsJSON would send it (without exemplars, which neither keeps).
        const json = (v: unknown) => JSON.parse(JSON.stringify(v, (k, x: unknown) => (k === 'exemplar' ? undefined : x))) as unknown;
        expect(json((await metrics.registry.getMetricsAsJSON()).find((m) => m.name === NAME))).toEqual(json((await registry.getMetricsAsJSON())[0]));
      }),
      { numRuns: 60 },
    );
  });

  it('a reset of the registry zeroes the histogram, which counts on from there, in series held by callers too', async () => {
    const metrics = createMetrics(() => 0, false);
    const recorder = new RequestRecorder(pino({ level: 'silent' }), metrics);
    const held = recorder.seriesOf('GET', '/v1/lookup', 200);
    recorder.record(request(3), held);
    recorder.record(request(3, 429));
    metrics.registry.resetMetrics();
    const zero = { count: 0, sum: 0, buckets: BOUNDS.map(() => 0) };
    expect(await series(metrics)).toEqual({ 'GET 200 /v1/lookup': zero, 'GET 429 /v1/lookup': zero });
    recorder.record(request(3), held);
    expect((await series(metrics))['GET 200 /v1/lookup']).toEqual({ count: 1, sum: 0.003, buckets: BOUNDS.map((b) => (b >= 0.003 ? 1 : 0)) });
  });
});
