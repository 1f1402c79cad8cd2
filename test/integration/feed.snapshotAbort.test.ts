import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedSql } from '../bench/lib/db';
import { startTestHub, type TestHub } from '../support/harness';

// More rows than socket buffers hold, so a reader that goes away leaves PostgreSQL mid-COPY.
const PATTERNS = 40_000;

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub();
  for (const statement of seedSql(PATTERNS, 10)) await t.database.db.execute(sql.raw(statement));
});
afterAll(async () => {
  await t?.close();
});

describe('NDJSON snapshot readers that go away', () => {
  it('free their connection: more aborted snapshots than the pool holds, then a whole one', async () => {
    const { key } = await t.partner({ roles: ['subscriber'] });
    for (let i = 0; i < 12; i++) {
      const res = await t.request('/v1/feed/snapshot', { key, headers: { accept: 'application/x-ndjson' } });
      const reader = res.body!.getReader();
      await reader.read();
      await reader.cancel();
    }
    const whole = await t.request('/v1/feed/snapshot', { key, headers: { accept: 'application/x-ndjson' } });
    expect(whole.status).toBe(200);
    const lines = (await whole.text()).trimEnd().split('\n');
    expect(lines).toHaveLength(PATTERNS + 1);
    expect(JSON.parse(lines[1]!).key < JSON.parse(lines[PATTERNS]!).key).toBe(true);
  }, 60_000);

  it('a slow reader gets every line, and the connection serves the next snapshot', async () => {
    const { key } = await t.partner({ roles: ['subscriber'] });
    for (let i = 0; i < 12; i++) {
      const res = await t.request('/v1/feed/snapshot', { key, headers: { accept: 'application/x-ndjson' } });
      const reader = res.body!.getReader();
      let lines = 0;
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        for (const b of chunk.value) if (b === 10) lines++;
        if (lines % 7 === 0) await new Promise((r) => setTimeout(r, 1));
      }
      expect(lines).toBe(PATTERNS + 1);
    }
  }, 60_000);
});
