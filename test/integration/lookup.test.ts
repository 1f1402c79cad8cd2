import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IntakeResponse } from '../../schemas/indicators';
import type { LookupResponse } from '../../schemas/lookup';
import { json, startTestHub, type TestHub } from '../support/harness';

let t: TestHub;
let p: { id: string; key: string };
let q: { id: string; key: string };
beforeAll(async () => {
  t = await startTestHub();
  p = await t.partner();
  q = await t.partner({ roles: ['subscriber'], country: 'GB' });
  const res = await t.request('/v1/indicators', {
    ...json({
      indicators: [
        { pattern: '+92300333*', category: 'irsf', confidence: 40 },
        { pattern: '+92300333XXXX', category: 'wangiri', confidence: 45 },
        { pattern: '+923003331234', category: 'scam_call_center', confidence: 90 },
        { pattern: '+92300444XXXX', category: 'robocall', confidence: 30 },
      ],
    }),
    key: p.key,
  });
  const body = (await res.json()) as IntakeResponse;
  await t.hub.tail.waitFor(body.seq - 1, 5000);
});
afterAll(async () => {
  await t?.close();
});

const lookup = async (query: string, key = p.key) => {
  const res = await t.request(`/v1/lookup?${query}`, { key });
  return { status: res.status, body: (await res.json()) as LookupResponse & { code?: string } };
};

describe('lookup', () => {
  it('answers every matching pattern, longest prefix first, and block when any match blocks', async () => {
    const { status, body } = await lookup('number=%2B923003331234');
    expect(status).toBe(200);
    expect(body.number).toBe('+923003331234');
    expect(body.verdict).toBe('block');
    expect(body.matches.map((m) => m.key)).toEqual(['+923003331234', '+92300333XXXX', '+92300333*']);
  });

  it('flag when only flagging patterns match, allow when none does', async () => {
    expect((await lookup('number=%2B923003339999')).body).toMatchObject({ verdict: 'flag' });
    expect((await lookup('number=%2B923003339999')).body.matches.map((m) => m.key)).toEqual(['+92300333XXXX', '+92300333*']);
    expect((await lookup('number=%2B923005559999')).body).toMatchObject({ verdict: 'allow', matches: [] });
    // a fixed-length block does not cover a number of another length; the open prefix does
    expect((await lookup('number=%2B9230044412345')).body.matches).toEqual([]);
  });

  it('accepts the same number forms as intake', async () => {
    for (const [query, key] of [
      ['number=0300%20333%201234', p.key], // national, the partner's country (PK)
      ['number=0300-3331234&country=PK', q.key], // national, explicit country
      ['number=tel%3A%2B92-300-333-1234', q.key],
      ['number=0092%20300%20333%201234', p.key],
      ['number=sip%3A%2B923003331234%40carrier.example%3Buser%3Dphone', q.key],
    ] as const) {
      const { status, body } = await lookup(query, key);
      expect(status, query).toBe(200);
      expect(body.number, query).toBe('+923003331234');
      expect(body.verdict, query).toBe('block');
    }
  });

  it('a number it cannot parse is 400 invalid_number; no number, or two of them, is 400 invalid_request', async () => {
    const bad = await lookup('number=hello');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('invalid_number');
    const missing = await lookup('');
    expect(missing.status).toBe(400);
    expect(missing.body.code).toBe('invalid_request');
    const twice = await lookup('number=%2B923001234567&number=%2B442071234567');
    expect(twice.status).toBe(400);
    expect(twice.body.code).toBe('invalid_request');
  });

  it('follows the change log: a new pattern is found without a restart, from memory', async () => {
    const res = await t.request('/v1/indicators', { ...json({ indicators: [{ pattern: '+923005559999', category: 'wangiri', confidence: 95 }] }), key: p.key });
    const body = (await res.json()) as IntakeResponse;
    expect(await t.hub.tail.waitFor(body.seq - 1, 5000)).toBe(true);
    const after = await lookup('number=%2B923005559999');
    expect(after.body.verdict).toBe('block');
    expect(after.body.seq).toBeGreaterThanOrEqual(body.seq);
    expect(t.hub.matcher.size).toBe(5);
  });
});
