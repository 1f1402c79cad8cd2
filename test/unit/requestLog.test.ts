import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/http/metrics';
import { RequestRecorder, type AnsweredRequest } from '../../src/http/requestLog';

const BOUNDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The histogram's series as `{ 'GET 200 /v1/lookup': { count, sum, buckets } }`, read as a scrape reads it. */
async function series(metrics: ReturnType<typeof createMetrics>) {
  const out: Record<string, { count: number; sum: number; buckets: number[] }> = {};
  for (const v of (await metrics.httpDuration.get()).values) {
    const l = v.labels as Record<string, string | number>;
    const name = `${l.method} ${l.status} ${l.route}`;
    const s = (out[name] ??= { count: 0, sum: 0, buckets: [] });
    if (v.metricName?.endsWith('_count')) s.count = v.value;
    else if (v.metricName?.endsWith('_sum')) s.sum = v.value;
    else if (l.le !== '+Inf') s.buckets.push(v.value);
  }
  return out;
}

describe('RequestRecorder', () => {
  it('every answered request is in the duration histogram whenever it is read, batches held back or not', async () => {
    const metrics = createMetrics(() => 0, false);
    const recorder = new RequestRecorder(pino({ level: 'silent' }), metrics);
    const request = (ms: number, status = 200): AnsweredRequest => ({ reqId: 'r', method: 'GET', path: '/v1/lookup', route: '/v1/lookup', status, ms, partnerId: 'p' });
    const expected = new Map<string, number[]>();
    // Past two full batches of one series, a part batch of another, and reads in between.
    for (const [count, status] of [[1000, 200], [7, 429], [1500, 200], [3, 429]] as const) {
      for (let i = 0; i < count; i++) {
        const ms = (i % 97) * 0.37;
        recorder.record(request(ms, status));
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
    // The scrape's text says the same.
    expect(await metrics.registry.metrics()).toContain('hub_http_request_duration_seconds_count{method="GET",route="/v1/lookup",status="200"} 2500');
  });
});
