import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { SQL } from 'drizzle-orm';
import { PgDialect, type PgDatabase, type PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { fileURLToPath } from 'node:url';
import * as schema from './schema';

/** The drizzle database, whichever driver is underneath. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

/** An open database: drizzle handle, LISTEN support and a clean close. */
export interface Database {
  readonly db: Db;
  readonly kind: 'postgres' | 'pglite';
  /** Calls `onNotify` for each NOTIFY on `channel`; resolves to a function that stops listening. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  /** PostgreSQL only: a REPEATABLE READ read-only transaction that can also stream COPY out. */
  readOnlyCopy?: <T>(fn: (tx: CopyTransaction) => Promise<T>) => Promise<T>;
  close(): Promise<void>;
}

/** Queries and `COPY (query) TO STDOUT` on one transaction's connection. */
export interface CopyTransaction {
  execute: Db['execute'];
  /** The rows of `query` in COPY text format; params are inlined (COPY takes none). Read it to the end. */
  copyOut(query: SQL): Promise<AsyncIterable<Uint8Array>>;
}

/** Where the committed drizzle-kit migrations live. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations', import.meta.url));

/** Any number over 2^31 works; this one names the hub's migration lock. */
const MIGRATION_LOCK = 7_303_311_001;

export interface OpenOptions {
  /** postgres:// URL; when absent, embedded PGlite is used. */
  url?: string | undefined;
  /** PGlite data directory; absent means in memory. */
  dataDir?: string | undefined;
  poolSize?: number;
}

/** Opens PostgreSQL (when `url` is given) or embedded PGlite, and applies every migration. */
export async function openDatabase(opts: OpenOptions): Promise<Database> {
  return opts.url ? openPostgres(opts.url, opts.poolSize ?? 10) : openPglite(opts.dataDir);
}

async function openPostgres(url: string, poolSize: number): Promise<Database> {
  await migrateWithLock(url);
  const client = postgres(url, {
    max: poolSize,
    onnotice: () => {},
    // JIT off: it compiled intake's statements for 100 ms whenever statistics lagged behind a
    // fast-growing table and inflated their estimated cost (an OLTP service never gains from it).
    connection: { application_name: 'fraud-hub', plan_cache_mode: 'force_custom_plan', jit: 'off' },
  });
  const db = drizzlePostgres(preparingStatements(client), { schema }) as unknown as Db;
  return {
    db,
    kind: 'postgres',
    async listen(channel, onNotify) {
      const sub = await client.listen(channel, onNotify);
      return () => sub.unlisten();
    },
    readOnlyCopy: (fn) => client.begin('isolation level repeatable read read only', (tx) => fn(copyTransaction(tx))) as never,
    close: () => client.end({ timeout: 5 }),
  };
}

/**
 * The client drizzle runs on, with every statement prepared once per connection. drizzle's
 * `execute` asks postgres.js for an unnamed statement, which it sends as Parse + Describe and
 * then waits a round trip for the parameter types before it binds and runs it: two round trips a
 * statement, and none sent behind it meanwhile, so statements meant to go together (pipelined)
 * went one by one. Prepared, a statement is parsed once per connection, then bound and run in one
 * trip, and several go together. The connections' `plan_cache_mode = force_custom_plan` keeps
 * each execution planned with its parameters, as unnamed statements were (generic plans made
 * intake's statements cost PostgreSQL 60% more CPU). Transactions and savepoints hand their
 * callback a client that prepares too.
 */
function preparingStatements<T extends object>(client: T): T {
  return new Proxy(client, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property);
      if (typeof value !== 'function') return value;
      if (property === 'unsafe') {
        return (query: string, params?: unknown[], options?: object) => value.call(target, query, params, { ...options, prepare: true });
      }
      if (property === 'begin' || property === 'savepoint') {
        return (...args: unknown[]) => {
          const body = args.pop() as (tx: object) => unknown;
          return value.call(target, ...args, (tx: object) => body(preparingStatements(tx)));
        };
      }
      return value.bind(target);
    },
  });
}

const dialect = new PgDialect();

function copyTransaction(tx: postgres.TransactionSql): CopyTransaction {
  const execute = (query: SQL) => {
    const q = dialect.sqlToQuery(query);
    return tx.unsafe(q.sql, q.params as never[]);
  };
  return {
    execute: execute as unknown as Db['execute'],
    async copyOut(query) {
      const rows = await tx.unsafe(`copy (${dialect.sqlToQuery(query.inlineParams()).sql}) to stdout`).readable();
      // postgres.js pauses its socket while the stream is over its high-water mark and resumes it
      // only from the stream's read(): a COPY that ends meanwhile would leave the connection
      // paused for good (porsager/postgres#499). One more read() once the stream ends resumes it.
      rows.once('end', () => rows._read(0));
      return rows;
    },
  };
}

/** Several hub nodes may start at once: one migrates, the others wait on the lock. */
async function migrateWithLock(url: string): Promise<void> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await migratePostgres(drizzlePostgres(client), { migrationsFolder: MIGRATIONS_DIR });
    await client`select pg_advisory_unlock(${MIGRATION_LOCK})`;
  } finally {
    await client.end({ timeout: 5 });
  }
}

async function openPglite(dataDir: string | undefined): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const client = dataDir ? await PGlite.create(dataDir) : await PGlite.create();
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  await migratePglite(drizzlePglite(client), { migrationsFolder: MIGRATIONS_DIR });
  return {
    db,
    kind: 'pglite',
    async listen(channel, onNotify) {
      const stop = await client.listen(channel, onNotify);
      return () => stop();
    },
    close: () => client.close(),
  };
}
