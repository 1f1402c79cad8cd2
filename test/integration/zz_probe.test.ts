import { it } from 'vitest';
import { startTestHub } from '../support/harness';
it('probe', async () => {
  const t = await startTestHub();
  const p = await t.partner({ roles: ['submitter', 'subscriber'] });
  const tries: unknown[] = [
    { pattern: '+923001234561', category: 'wangiri', evidence: 'a\u0000b' },
    { pattern: '+923001234562', category: 'wangiri', evidence: 'a\ud800b' },
    { pattern: '+923001234563', category: 'wangiri', observedAt: '0000-01-01T00:00:00Z' },
    { pattern: '+923001234564', category: 'wangiri', validUntil: '9999-12-31T23:59:59.999Z' },
    { pattern: '+923001234565', category: 'wangiri', observedAt: '-000001-01-01T00:00:00Z' },
    { pattern: '+923001234566\u0000', category: 'wangiri' },
    { pattern: '+923001234567', category: 'wangiri', ref: '\u0000' },
    { pattern: '+923001234568', category: 'wangiri', observedAt: '2026-01-01T00:00:00+99:99' },
    { pattern: '+923001234569', category: 'wangiri', observedAt: '0001-01-01T00:00:00+14:00' },
    { pattern: '+92300123*', category: 'wangiri', confidence: '1e2' },
    { pattern: '+923001230000-+923001239999', category: 'wangiri' },
    { pattern: '+92300000000000-+92399999999999', category: 'wangiri' },
  ];
  for (const item of tries) {
    const res = await t.request('/v1/indicators', { method: 'POST', key: p.key, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ indicators: [item] }) });
    console.log(JSON.stringify(item), res.status, (await res.text()).slice(0, 300));
  }
  await t.close();
});
