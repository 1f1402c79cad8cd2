import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/http/rateLimit';
import { json, startTestHub, type TestHub } from '../support/harness';

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub({ rateLimits: { intake: { perSecond: 1, burst: 3 }, lookup: { perSecond: 1, burst: 5 } } });
});
afterAll(async () => {
  await t?.close();
});

describe('rate limits per partner', () => {
  it('intake past its burst is 429 rate_limited with Retry-After; other partners are not affected', async () => {
    const [a, b] = [await t.partner(), await t.partner()];
    const send = (key: string, n: number) =>
      t.request('/v1/indicators', { ...json({ indicators: [{ pattern: `+92300${String(7_000_000 + n)}`, category: 'wangiri' }] }), key });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await send(a.key, i)).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const limited = await send(a.key, 9);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(((await limited.json()) as { code: string }).code).toBe('rate_limited');
    expect((await send(b.key, 10)).status).toBe(200);
  });

  it('lookup past its burst is 429', async () => {
    const p = await t.partner();
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push((await t.request('/v1/lookup?number=%2B923001234567', { key: p.key })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
  });

  it('the bucket refills at its rate', () => {
    let now = 0;
    const limiter = new RateLimiter(2, 2, () => now);
    expect([limiter.take('k'), limiter.take('k'), limiter.take('k')]).toEqual([0, 0, 1]);
    now += 500;
    expect(limiter.take('k')).toBe(0);
    expect(limiter.take('k')).toBe(1);
  });
});
