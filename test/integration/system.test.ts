import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestHub, type TestHub } from '../support/harness';

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub();
});
afterAll(async () => {
  await t?.close();
});

describe('system endpoints', () => {
  it('healthz and readyz answer without a key', async () => {
    expect(await (await t.request('/healthz')).json() as any).toEqual({ status: 'ok' });
    const ready = await t.request('/readyz');
    expect(ready.status).toBe(200);
    expect((await ready.json() as any).status).toBe('ready');
  });

  it('openapi.json is generated from the schemas and names every contract path', async () => {
    const doc = await (await t.request('/openapi.json')).json() as any;
    expect(doc.openapi).toBe('3.1.0');
    for (const path of ['/v1/partners', '/v1/indicators', '/v1/patterns/{id}', '/v1/patterns/{id}/history', '/v1/lookup', '/v1/feed/snapshot', '/v1/feed/changes', '/healthz', '/readyz']) {
      expect(doc.paths, path).toHaveProperty([path]);
    }
    expect(doc.paths['/v1/indicators'].post.requestBody.content).toHaveProperty(['text/csv']);
    expect(doc.components.schemas).toHaveProperty('Pattern');
    expect(doc.components.schemas).toHaveProperty('IndicatorInput');
  });

  it('metrics count requests, accepted and rejected indicators by code, and active patterns', async () => {
    const p = await t.partner();
    await t.request('/v1/indicators', {
      ...json({ indicators: [{ pattern: '+923004440001', category: 'wangiri' }, { pattern: 'x', category: 'wangiri' }] }),
      key: p.key,
    });
    await t.hub.tail.waitFor(0, 5000);
    const text = await (await t.request('/metrics')).text();
    expect(text).toMatch(/hub_indicators_accepted_total\{status="created"\} 1/);
    expect(text).toMatch(/hub_indicators_rejected_total\{code="invalid_pattern"\} 1/);
    expect(text).toMatch(/hub_patterns_active 1/);
    expect(text).toMatch(/hub_http_request_duration_seconds_count\{method="POST",route="\/v1\/indicators",status="200"\} 1/);
  });

  it('unknown routes are 404 problem+json', async () => {
    const res = await t.request('/v2/nothing');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect((await res.json() as any).code).toBe('not_found');
  });

  it('every answer carries x-request-id, in process and over a real socket, for answers, errors and lookups', async () => {
    const base = await t.listen();
    const { key } = await t.partner({ roles: ['subscriber'], country: 'GB' });
    const given = 'carrier-trace-0042';
    const calls: [string, RequestInit][] = [
      ['/healthz', {}],
      ['/v2/nothing', {}],
      ['/v1/lookup?number=%2B923001234567', { headers: { authorization: `Bearer ${key}` } }],
      ['/v1/lookup?number=%2B923001234567', {}],
    ];
    for (const [path, init] of calls) {
      for (const send of [(h?: Record<string, string>) => fetch(`${base}${path}`, { ...init, headers: { ...(init.headers as object), ...h } }), (h?: Record<string, string>) => t.request(path, { ...init, headers: { ...(init.headers as object), ...h } })]) {
        const echoed = await send({ 'x-request-id': given });
        expect(echoed.headers.get('x-request-id'), path).toBe(given);
        await echoed.arrayBuffer();
        const fresh = await send();
        expect(fresh.headers.get('x-request-id'), path).toMatch(/^[0-9a-f-]{36}$/);
        await fresh.arrayBuffer();
      }
    }
  });
});
