import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestHub, type TestHub } from '../support/harness';

let t: TestHub;
let submitter: { id: string; key: string };
beforeAll(async () => {
  t = await startTestHub({ maxBodyBytes: 64 * 1024, maxBatchItems: 500 });
  submitter = await t.partner();
});
afterAll(async () => {
  await t?.close();
});

async function problemOf(res: Response) {
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  return (await res.json() as any) as { status: number; code: string; title: string };
}

describe('intake: malformed envelopes are problem+json and change nothing', () => {
  it.each([
    ['not JSON', 'application/json', '{"indicators": [', 400, 'invalid_json'],
    ['no indicators array', 'application/json', '{"items": []}', 400, 'invalid_request'],
    ['an array at the top', 'application/json', '[{"pattern":"+923001234567"}]', 400, 'invalid_request'],
    ['an empty batch', 'application/json', '{"indicators": []}', 400, 'empty_batch'],
    ['an empty NDJSON body', 'application/x-ndjson', '\n\n', 400, 'empty_batch'],
    ['a CSV without a pattern column', 'text/csv', 'number,category\n+923001234567,wangiri\n', 400, 'invalid_request'],
    ['a CSV with an unclosed quote', 'text/csv', 'pattern,category\n"+923001234567,wangiri\n', 400, 'invalid_request'],
    ['an unsupported content type', 'application/xml', '<indicators/>', 415, 'unsupported_media_type'],
  ])('%s', async (_name, type, body, status, code) => {
    const before = await (await t.request('/v1/feed/changes?since=0&limit=1', { key: submitter.key })).json() as any;
    const res = await t.request('/v1/indicators', { method: 'POST', key: submitter.key, headers: { 'content-type': type }, body });
    expect(res.status).toBe(status);
    expect((await problemOf(res)).code).toBe(code);
    const after = await (await t.request('/v1/feed/changes?since=0&limit=1', { key: submitter.key })).json() as any;
    expect(after).toEqual(before);
  });

  it('a body over the size limit is 413 payload_too_large', async () => {
    const big = { indicators: [{ pattern: '+923001234567', category: 'wangiri', evidence: 'x'.repeat(2000) }] };
    while (JSON.stringify(big).length < 70 * 1024) big.indicators.push(big.indicators[0]!);
    const res = await t.request('/v1/indicators', { ...json(big), key: submitter.key });
    expect(res.status).toBe(413);
    expect((await problemOf(res)).code).toBe('payload_too_large');
  });

  it('a batch over the item limit is 413 batch_too_large', async () => {
    const indicators = Array.from({ length: 501 }, (_, i) => ({ pattern: `+92300${String(i).padStart(7, '0')}`, category: 'wangiri' }));
    const res = await t.request('/v1/indicators', { ...json({ indicators }), key: submitter.key });
    expect(res.status).toBe(413);
    expect((await problemOf(res)).code).toBe('batch_too_large');
  });

  it('a bad Idempotency-Key header is 400', async () => {
    const res = await t.request('/v1/indicators', {
      ...json({ indicators: [{ pattern: '+923001234567', category: 'wangiri' }] }),
      key: submitter.key,
      headers: { 'content-type': 'application/json', 'idempotency-key': 'x'.repeat(201) },
    });
    expect(res.status).toBe(400);
    expect((await problemOf(res)).code).toBe('invalid_idempotency_key');
  });
});

describe('every rejection code, item by item', () => {
  it.each([
    [{ pattern: 'hello', category: 'wangiri' }, 'invalid_pattern'],
    [{ pattern: '+92 12', category: 'wangiri' }, 'invalid_number'],
    [{ pattern: '0300 1234567', category: 'wangiri', country: 'ZZ' }, 'unknown_country'],
    [{ pattern: '+92*', category: 'wangiri' }, 'pattern_too_broad'],
    [{ pattern: '+923001230000-+92300123999', category: 'wangiri' }, 'range_length_mismatch'],
    [{ pattern: '+923001239999-+923001230000', category: 'wangiri' }, 'range_reversed'],
    [{ pattern: '+923001234567', category: 'fraudish' }, 'unknown_category'],
    [{ pattern: '+923001234567', category: 'wangiri', confidence: 0 }, 'invalid_confidence'],
    [{ pattern: '+923001234567', category: 'wangiri', tlp: 'purple' }, 'invalid_field'],
    [{ pattern: '+923001234567', category: 'wangiri', validUntil: '2001-01-01T00:00:00Z' }, 'invalid_field'],
    [{ pattern: '+923001234567', category: 'wangiri', evidence: 'x'.repeat(2001) }, 'invalid_field'],
    [{ pattern: '+923001234567', category: 'wangiri', observedAt: '0000-01-01T00:00:00Z' }, 'invalid_field'],
    [{ pattern: '+923001234567', category: 'wangiri', observedAt: '9999-12-31T23:59:59-14:00' }, 'invalid_field'],
    [{ pattern: '+923001234567', category: 'wangiri', observedAt: 'yesterday' }, 'invalid_field'],
  ])('item %# is rejected', async (item, code) => {
    const res = await t.request('/v1/indicators', { ...json({ indicators: [item] }), key: submitter.key });
    expect(res.status).toBe(200);
    const body = await res.json() as any;
    expect(body.results[0].status).toBe('rejected');
    expect(body.results[0].error.code).toBe(code);
    expect(body.results[0].error.message).toEqual(expect.any(String));
  });

  it('country_required when neither the item nor the partner gives a country for a national number', async () => {
    // The operator key belongs to a partner of country ZZ (none): it may not submit, so use a ZZ submitter.
    const res0 = await t.request('/v1/partners', { ...json({ name: 'nowhere', country: 'ZZ', roles: ['submitter'] }), key: t.operatorKey });
    const { apiKey } = await res0.json() as any;
    const res = await t.request('/v1/indicators', { ...json({ indicators: [{ pattern: '0300 1234567', category: 'wangiri' }] }), key: apiKey });
    const body = await res.json() as any;
    expect(body.results[0].error.code).toBe('country_required');
  });
});
