import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/store/sql';
import { openTestDatabase, TEST_DATABASE_URL } from '../support/db';

type Opened = Awaited<ReturnType<typeof openTestDatabase>>;

/**
 * On PostgreSQL every statement is prepared once per connection and planned at each execution
 * with its parameters (src/db/client.ts): one round trip a statement, pipelined when sent together.
 */
describe.skipIf(!TEST_DATABASE_URL)('statements on PostgreSQL', () => {
  let t: Opened;
  beforeAll(async () => {
    t = await openTestDatabase();
  });
  afterAll(async () => {
    await t?.drop();
  });

  const probe = (n: number) => sql`select ${n}::int + 1 as "next", 'statement probe' as "tag"`;
  const prepared = sql`select count(*)::int as "count", coalesce(sum(custom_plans), 0)::int as "custom", coalesce(sum(generic_plans), 0)::int as "generic"
                       from pg_prepared_statements where statement like '%statement probe%' and statement not like '%pg_prepared_statements%'`;

  it('are prepared once per connection and planned with their parameters each time, in and out of transactions', async () => {
    const seen = await t.database.db.transaction(async (tx) => {
      const answers = [];
      // Sent together: each is bound and run in turn on the transaction's connection.
      for (const next of await Promise.all(Array.from({ length: 8 }, (_, i) => rows<{ next: number }>(tx, probe(i))))) answers.push(next[0]!.next);
      const [plans] = await rows<{ count: number; custom: number; generic: number }>(tx, prepared);
      const [settings] = await rows<{ mode: string; jit: string }>(tx, sql`select current_setting('plan_cache_mode') as mode, current_setting('jit') as jit`);
      return { answers, plans: plans!, settings: settings! };
    });
    expect(seen.answers).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(seen.plans).toEqual({ count: 1, custom: 8, generic: 0 });
    // Planned each time with the parameters, and never JIT-compiled (100 ms when estimates run high).
    expect(seen.settings).toEqual({ mode: 'force_custom_plan', jit: 'off' });

    const outside = await rows<{ next: number }>(t.database.db, probe(41));
    expect(outside[0]!.next).toBe(42);
  });
});
