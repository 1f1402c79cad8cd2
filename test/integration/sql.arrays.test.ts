import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client';
import { arrayLiteral, arrayOf, rows } from '../../src/store/sql';
import { openTestDatabase } from '../support/db';

/**
 * Intake sends its rows as typed array literals (store/sql.ts arrayOf). Whatever a partner wrote
 * must come back from PostgreSQL exactly: quotes, backslashes, braces, commas, spaces, the word
 * NULL, empty strings and any Unicode (PostgreSQL text holds no NUL; raw input is JSON text, which
 * escapes it).
 */
describe('typed array parameters', () => {
  let database: Database;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ database, drop } = await openTestDatabase());
  });
  afterAll(async () => {
    await drop?.();
  });

  const text = fc.oneof(
    fc.string({ unit: 'binary' }).map((s) => s.replaceAll('\u0000', '')),
    fc.constantFrom('NULL', 'null', 'NuLl', '', ' ', '"', '\\', '{}', 'a,b', '{a,"b"}', 'wangiri', '+923001234567', '2026-11-26T00:00:00.000Z'),
  );

  it('text elements, and nulls, come back as they were sent', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.option(text, { nil: null }), { maxLength: 20 }), async (values) => {
        // Read back element by element: drivers parse array results each their own way.
        const found = await rows<{ x: string | null }>(database.db, sql`select x from unnest(${arrayOf(values, 'text')}) with ordinality as u(x, n) order by n`);
        expect(found.map((f) => f.x)).toEqual(values);
      }),
      { numRuns: 150 },
    );
  });

  it('a text element that is itself an array literal casts to that array', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(text, { maxLength: 4 }), { minLength: 1, maxLength: 6 }), async (lists) => {
        const found = await rows<{ a: string[] }>(database.db, sql`select x::text[] as a from unnest(${arrayOf(lists.map(arrayLiteral), 'text')}) as x`);
        expect(found.map((f) => f.a)).toEqual(lists);
      }),
      { numRuns: 100 },
    );
  });

  it('uuids, numbers, booleans and timestamps', async () => {
    const found = await rows<{ u: string | null; n: string | null; b: string | null; t: string | null }>(
      database.db,
      sql`select u::text, n::text, b::text, to_char(t at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as t
          from unnest(${arrayOf(['3f1c2b1e-8a4e-4c2f-9d55-0e3a6b7c8d90', null, null], 'uuid')}, ${arrayOf([-2, 32767, null], 'smallint')},
                      ${arrayOf([true, false, null], 'boolean')}, ${arrayOf(['2026-11-26T17:56:38.101Z', '1999-01-01T00:00:00.000Z', null], 'timestamptz')})
            with ordinality as x(u, n, b, t, i)
          order by i`,
    );
    expect(found).toEqual([
      { u: '3f1c2b1e-8a4e-4c2f-9d55-0e3a6b7c8d90', n: '-2', b: 'true', t: '2026-11-26T17:56:38.101Z' },
      { u: null, n: '32767', b: 'false', t: '1999-01-01T00:00:00.000Z' },
      { u: null, n: null, b: null, t: null },
    ]);
  });
});
