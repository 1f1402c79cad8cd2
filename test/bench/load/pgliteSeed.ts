/** Load process for the cold-start part: seeds a PGlite data directory that the hub has created and migrated, with lib/db.ts seedSql. */
import { PGlite } from '@electric-sql/pglite';
import { serveParent } from '../lib/child';
import { seedSql } from '../lib/db';

async function seed(arg: { dir: string; patterns: number; changes: number }) {
  const db = await PGlite.create(arg.dir);
  try {
    for (const statement of seedSql(arg.patterns, arg.changes)) await db.exec(statement);
    await db.exec('vacuum analyze patterns');
    await db.exec('vacuum analyze changes');
  } finally {
    await db.close();
  }
  return null;
}

serveParent('pgliteSeed', { seed });
