import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/store/sql';
import { json, startTestHub, type TestHub } from '../support/harness';

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub();
});
afterAll(async () => {
  await t?.close();
});

const submitBody = json({ indicators: [{ pattern: '+923001234567', category: 'wangiri' }] });

describe('API keys', () => {
  it('are random, at least 128 bits, shown once and stored only as a hash', async () => {
    const a = await t.partner();
    const b = await t.partner();
    expect(a.key).not.toBe(b.key);
    expect(a.key).toMatch(/^fph_[A-Za-z0-9_-]{43}$/); // 32 random bytes
    const stored = await rows<{ key_hash: string }>(t.database.db, sql`select key_hash from partners`);
    for (const r of stored) {
      expect(r.key_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(r.key_hash).not.toContain(a.key.slice(4));
    }
    const list = await (await t.request('/v1/partners', { key: t.operatorKey })).text();
    expect(list).not.toContain(a.key);
    expect(list).not.toContain('apiKey');
  });
});

describe('401 and 403', () => {
  it.each([
    ['no header', undefined],
    ['an unknown key', 'fph_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['garbage', '!!!'],
  ])('%s is 401 problem+json', async (_n, key) => {
    for (const [path, init] of [
      ['/v1/indicators', submitBody],
      ['/v1/feed/snapshot', {}],
      ['/v1/feed/changes?since=0', {}],
      ['/v1/lookup?number=%2B923001234567', {}],
      ['/v1/partners', {}],
    ] as const) {
      const headers = new Headers((init as RequestInit).headers);
      if (key) headers.set('authorization', `Bearer ${key}`);
      const res = await t.request(path, { ...(init as RequestInit), headers });
      expect(res.status, path).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect((await res.json() as any).code).toBe('unauthorized');
    }
  });

  it('a wrong role is 403 problem+json', async () => {
    const subscriberOnly = await t.partner({ roles: ['subscriber'] });
    const submitterOnly = await t.partner({ roles: ['submitter'] });
    const cases: [string, string, RequestInit][] = [
      [subscriberOnly.key, '/v1/indicators', submitBody],
      [submitterOnly.key, '/v1/feed/snapshot', {}],
      [submitterOnly.key, '/v1/feed/changes?since=0', {}],
      [submitterOnly.key, '/v1/partners', {}],
      [subscriberOnly.key, '/v1/partners', json({ name: 'x', country: 'PK', roles: ['operator'] })],
    ];
    for (const [key, path, init] of cases) {
      const res = await t.request(path, { ...init, key });
      expect(res.status, path).toBe(403);
      expect((await res.json() as any).code).toBe('forbidden');
    }
  });

  it('operators onboard partners and see their feed positions', async () => {
    const res = await t.request('/v1/partners', { ...json({ name: 'GB Mobile', country: 'gb', roles: ['subscriber', 'subscriber'] }), key: t.operatorKey });
    expect(res.status).toBe(201);
    const created = await res.json() as any;
    expect(created).toMatchObject({ name: 'GB Mobile', country: 'GB', roles: ['subscriber'] });
    const list = await (await t.request('/v1/partners', { key: t.operatorKey })).json() as any;
    const mine = list.partners.find((p: { id: string }) => p.id === created.id);
    expect(mine).toMatchObject({ ackedSeq: 0, connected: 0, disabled: false, lag: list.head });
  });

  it('a bad partner body is 400 with the fields named', async () => {
    const res = await t.request('/v1/partners', { ...json({ name: '', country: 'Pakistan', roles: ['king'] }), key: t.operatorKey });
    expect(res.status).toBe(400);
    const body = await res.json() as any;
    expect(body.code).toBe('invalid_request');
    expect(body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['country', 'name', 'roles.0']);
  });
});
