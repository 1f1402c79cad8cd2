import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createScratchDatabase, TEST_DATABASE_URL } from '../support/db';
import { spawnHub, type HubProcess } from '../support/process';
import { WsSubscriber } from '../support/wsClient';

const running: HubProcess[] = [];
let drop: (() => Promise<void>) | undefined;
afterAll(async () => {
  for (const h of running) h.child.kill('SIGKILL');
  await Promise.all(running.map((h) => h.exited));
  await drop?.();
});

describe.skipIf(!TEST_DATABASE_URL)('several hub nodes on one PostgreSQL', () => {
  it('a change committed through node A reaches a subscriber on node B within a second; a disable on A closes feeds on B', async () => {
    const scratch = await createScratchDatabase();
    drop = scratch.drop;
    const operatorKey = `op_${randomBytes(24).toString('hex')}`;
    const env = { DATABASE_URL: scratch.url, HUB_OPERATOR_KEY: operatorKey };
    const [a, b] = await Promise.all([spawnHub(env), spawnHub(env)]);
    running.push(a, b);

    const create = async (roles: string[]) => {
      const res = await fetch(`${a.base}/v1/partners`, {
        method: 'POST',
        headers: { authorization: `Bearer ${operatorKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: roles.join('+'), country: 'PK', roles }),
      });
      return (await res.json()) as { id: string; apiKey: string };
    };
    const submitter = await create(['submitter']);
    const subscriber = await create(['subscriber']);
    const onB = new WsSubscriber(b.base, subscriber.apiKey);
    await onB.connect();
    await onB.until(() => onB.live, 10_000, 'live on B');

    const delays: number[] = [];
    for (let i = 0; i < 10; i++) {
      const started = Date.now();
      const res = await fetch(`${a.base}/v1/indicators`, {
        method: 'POST',
        headers: { authorization: `Bearer ${submitter.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ indicators: [{ pattern: `+92300${String(6_000_000 + i)}`, category: 'wangiri', confidence: 90 }] }),
      });
      const { seq } = (await res.json()) as { seq: number };
      await onB.until(() => onB.list.seq >= seq, 5000, `change ${seq} on B`);
      delays.push(Date.now() - started);
    }
    console.log(`submit on A -> receipt on B: ${delays.join(', ')} ms`);
    expect(Math.max(...delays)).toBeLessThan(1000);
    expect(onB.list.byKey.size).toBe(10);

    // Lookup on B follows the log too.
    const look = await fetch(`${b.base}/v1/lookup?number=%2B923006000009`, { headers: { authorization: `Bearer ${subscriber.apiKey}` } });
    expect(((await look.json()) as { verdict: string }).verdict).toBe('block');

    await fetch(`${a.base}/v1/partners/${subscriber.id}/disable`, { method: 'POST', headers: { authorization: `Bearer ${operatorKey}` } });
    await onB.until(() => onB.closeCode !== null, 3000, 'close on B');
    expect(onB.closeCode).toBe(4001);
    const refused = await fetch(`${b.base}/v1/feed/snapshot`, { headers: { authorization: `Bearer ${subscriber.apiKey}` } });
    expect(refused.status).toBe(401);
  });
});
