import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { openDatabase, type Database } from '../../src/db/client';

/** The real PostgreSQL the tests use when set (e.g. postgres://postgres@127.0.0.1:5432/postgres). */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;

/** A database of the test's own: a fresh PostgreSQL database when TEST_DATABASE_URL is set, else in-memory PGlite. */
export async function openTestDatabase(): Promise<{ database: Database; url?: string; drop: () => Promise<void> }> {
  if (!TEST_DATABASE_URL) {
    const database = await openDatabase({});
    return { database, drop: () => database.close() };
  }
  const { url, drop } = await createScratchDatabase();
  const database = await openDatabase({ url, poolSize: 10 });
  return {
    database,
    url,
    drop: async () => {
      await database.close();
      await drop();
    },
  };
}

/** Creates an empty PostgreSQL database (for tests that start hub processes on it). */
export async function createScratchDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!TEST_DATABASE_URL) throw new Error('TEST_DATABASE_URL is not set');
  const name = `hub_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const a = postgres(TEST_DATABASE_URL!, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}
