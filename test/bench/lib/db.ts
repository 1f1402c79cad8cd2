/**
 * Real PostgreSQL for the benchmark. `DATABASE_URL` names the server (default
 * postgres://postgres@127.0.0.1:5432/postgres); every part works in scratch databases created on
 * it and dropped afterwards, so nothing is ever written to the database the URL names.
 * Seeding writes `patterns` and `changes` rows shaped exactly as src/store/changeLog.ts
 * appendChanges writes them (the same columns, the same `state` JSON with ISO timestamps), with
 * generate_series, and keeps feed_state consistent: head = max(changes.seq), and the log holds
 * only the last `changes` seqs (older ones count as pruned).
 */
import { randomBytes } from 'node:crypto';
import { openDatabase } from '../../../src/db/client';
import { ADMIN_URL, connect } from './pg';
import type { Scope } from './scope';


/** Creates an empty database (dropped when `scope` closes) and returns its URL. */
export async function scratchDatabase(scope: Scope, migrate = true): Promise<string> {
  const name = `hub_bench_${randomBytes(6).toString('hex')}`;
  const admin = connect(ADMIN_URL);
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  scope.defer(`database ${name}`, async () => {
    const a = connect(ADMIN_URL);
    try {
      await a.unsafe(`drop database if exists ${name} with (force)`);
    } finally {
      await a.end();
    }
  });
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  if (migrate) {
    // The hub's own migrations, as a start would apply them.
    const database = await openDatabase({ url: url.toString(), poolSize: 1 });
    await database.close();
  }
  return url.toString();
}

/** The PostgreSQL server version, for the record. */
export async function serverVersion(): Promise<string> {
  const admin = connect(ADMIN_URL);
  try {
    const [row] = await admin<{ v: string }[]>`select current_setting('server_version') as v`;
    return row!.v;
  } finally {
    await admin.end();
  }
}

/** The ISO-8601 text the hub keeps in JSON (`Date.toISOString()`), from SQL. */
const iso = (col: string) => `to_char(${col} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * SQL that seeds `patterns` live patterns (seq 1..patterns) and the change rows of the last
 * `changes` of them, on a migrated, empty hub database (PostgreSQL or PGlite). The mix: 70% exact
 * numbers (+923000000001…, PK), 25% fixed-length blocks (+447000001XXX…, GB), 5% open prefixes
 * (+12000019*…, US); confidence 40..99 (block at ≥ 70), one reporter, four categories.
 */
export function seedSql(patterns: number, changes: number): string[] {
  const kept = Math.min(changes, patterns);
  return [
    `insert into patterns (id, key, kind, prefix, length, country, categories, confidence, reporters, action,
                           status, tlp, unallocated, first_seen, last_seen, valid_until, seq, audience)
     select id, case kind when 'number' then '+' || prefix when 'block' then '+' || prefix || 'XXX' else '+' || prefix || '*' end,
            kind, prefix, case kind when 'prefix' then null else 12 end, country, array[category], confidence, 1,
            case when confidence >= 70 then 'block' else 'flag' end, 'active', 'green', false,
            at - (i % 1000) * interval '1 minute', at, at + interval '90 days', i, '{}'::text[]
     from (
       select i, md5('bench-pattern-' || i)::uuid as id, now() as at,
              case when i % 20 < 14 then 'number' when i % 20 < 19 then 'block' else 'prefix' end as kind,
              case when i % 20 < 14 then '92' || (3000000000 + i) when i % 20 < 19 then '44' || (7000000 + i) else '1' || (2000000 + i) end as prefix,
              case when i % 20 < 14 then 'PK' when i % 20 < 19 then 'GB' else 'US' end as country,
              (array['wangiri', 'scam_call_center', 'irsf', 'robocall'])[1 + i % 4] as category,
              (40 + i % 60)::smallint as confidence
       from generate_series(1, ${patterns}) as i
     ) s`,
    `insert into changes (seq, op, pattern_id, key, state, audience, prev, committed_at)
     select p.seq, 'upsert', p.id, p.key,
            jsonb_build_object('id', p.id, 'key', p.key, 'kind', p.kind, 'prefix', p.prefix, 'length', p.length,
              'country', p.country, 'categories', to_jsonb(p.categories), 'confidence', p.confidence,
              'reporters', p.reporters, 'action', p.action, 'status', p.status, 'tlp', p.tlp,
              'unallocated', p.unallocated, 'firstSeen', ${iso('p.first_seen')}, 'lastSeen', ${iso('p.last_seen')},
              'validUntil', ${iso('p.valid_until')}, 'seq', p.seq),
            '{}'::text[], null, now()
     from patterns p where p.seq > ${patterns - kept}`,
    `update feed_state set head = ${patterns}, pruned_through = ${patterns - kept} where id = 1`,
  ];
}

/** Seeds a migrated PostgreSQL database (see seedSql), then vacuums it as a settled database would be. */
export async function seedPostgres(url: string, patterns: number, changes: number): Promise<void> {
  const db = connect(url);
  try {
    for (const statement of seedSql(patterns, changes)) await db.unsafe(statement);
    await db.unsafe('vacuum analyze patterns');
    await db.unsafe('vacuum analyze changes');
  } finally {
    await db.end();
  }
}

/** Test numbers (E.164 digits) that hit the seeded patterns: an exact number, a number in a block, one under a prefix. */
export function seededHits(i: number): string[] {
  return [`92${3000000000 + (i * 20 + 1)}`, `44${7000000 + (i * 20 + 15)}123`, `1${2000000 + (i * 20 + 19)}555`];
}
