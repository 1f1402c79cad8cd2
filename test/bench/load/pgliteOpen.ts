/**
 * The cold-start baseline: `PGlite.create(dir)` alone, in a process of its own started the same
 * way as the hub (node --import tsx). Prints "created" on stderr when the database is open.
 */
import { PGlite } from '@electric-sql/pglite';

const dir = process.argv[2];
if (!dir) throw new Error('usage: pgliteOpen.ts <data dir>');
const db = await PGlite.create(dir);
process.stderr.write('created\n');
await db.close();
process.exit(0);
