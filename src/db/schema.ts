import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** Carriers and operators that hold an API key. Keys are stored only as SHA-256 hashes. */
export const partners = pgTable('partners', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  country: text('country').notNull(),
  roles: text('roles').array().notNull(),
  keyHash: text('key_hash').notNull().unique(),
  ackedSeq: bigint('acked_seq', { mode: 'number' }).notNull().default(0),
  /** The head when the partner's communities last changed: a feed position before it must resync. */
  visibilitySeq: bigint('visibility_seq', { mode: 'number' }).notNull().default(0),
  disabledAt: ts('disabled_at'),
  createdAt: ts('created_at').notNull().defaultNow(),
});

/** One row: the change-log head. Its row lock orders writers, so commit order is seq order. */
export const feedState = pgTable('feed_state', {
  id: smallint('id').primaryKey(),
  head: bigint('head', { mode: 'number' }).notNull(),
  prunedThrough: bigint('pruned_through', { mode: 'number' }).notNull(),
});

/** One row per canonical key: the current state of a shared pattern. */
export const patterns = pgTable('patterns', {
  id: uuid('id').primaryKey(),
  key: text('key').notNull().unique(),
  kind: text('kind').notNull(),
  prefix: text('prefix').notNull(),
  length: smallint('length'),
  country: text('country'),
  categories: text('categories').array().notNull(),
  confidence: smallint('confidence').notNull(),
  reporters: integer('reporters').notNull(),
  action: text('action').notNull(),
  status: text('status').notNull(),
  tlp: text('tlp').notNull(),
  unallocated: boolean('unallocated').notNull(),
  firstSeen: ts('first_seen').notNull(),
  lastSeen: ts('last_seen').notNull(),
  validUntil: ts('valid_until'),
  seq: bigint('seq', { mode: 'number' }).notNull(),
  /** For an amber pattern: the communities that may see it (never sent on the wire). */
  audience: text('audience').array().notNull().default(sql`'{}'::text[]`),
});

/**
 * What each partner has said about a pattern: one row per (pattern, partner), counted once.
 * Like `sightings`, no foreign keys: intake writes these rows before the pattern rows (which it
 * writes last, under the change-log head: see store/intake.ts), in the same transaction; patterns
 * and partners are never deleted. Checking the keys row by row took about a third of the time of
 * intake's inserts.
 */
export const reports = pgTable(
  'reports',
  {
    patternId: uuid('pattern_id').notNull(),
    partnerId: uuid('partner_id').notNull(),
    confidence: smallint('confidence').notNull(),
    categories: text('categories').array().notNull(),
    tlp: text('tlp').notNull(),
    sightings: integer('sightings').notNull(),
    firstSeen: ts('first_seen').notNull(),
    lastSeen: ts('last_seen').notNull(),
    /** The partner holds this number and declared it do-not-originate. */
    dno: boolean('dno').notNull().default(false),
  },
  // Partners' amber reports, for a new community's members (the only read of reports by partner):
  // the index leaves out every other report, so intake does not maintain it for them.
  (t) => [primaryKey({ columns: [t.patternId, t.partnerId] }), index('reports_amber_partner_idx').on(t.partnerId).where(sql`tlp = 'amber'`)],
);

/**
 * Every accepted indicator as it arrived, linked to the pattern it fed. `raw` is the item's JSON
 * text, not jsonb: jsonb refuses \u0000 and reorders keys, and the raw input must be kept as sent.
 */
export const sightings = pgTable(
  'sightings',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    patternId: uuid('pattern_id').notNull(),
    partnerId: uuid('partner_id').notNull(),
    batchId: uuid('batch_id').notNull(),
    itemIndex: integer('item_index').notNull(),
    category: text('category').notNull(),
    confidence: smallint('confidence').notNull(),
    observedAt: ts('observed_at'),
    receivedAt: ts('received_at').notNull(),
    raw: text('raw').notNull(),
  },
  (t) => [index('sightings_pattern_idx').on(t.patternId)],
);

/** The change log: the single source of every feed. `seq` is assigned under the head row lock. */
export const changes = pgTable(
  'changes',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey(),
    op: text('op').notNull(),
    patternId: uuid('pattern_id').notNull(),
    key: text('key').notNull(),
    state: jsonb('state').notNull(),
    /** The communities that may see an amber state (never sent on the wire). */
    audience: text('audience').array().notNull().default(sql`'{}'::text[]`),
    prev: jsonb('prev'),
    committedAt: ts('committed_at').notNull().default(sql`now()`),
  },
  // BRIN: commit times rise with seq, and only pruning reads by them; a B-tree cost each change an
  // index insert.
  (t) => [index('changes_committed_idx').using('brin', t.committedAt)],
);

/** Every state change of every pattern, written in the same transaction as the change. */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    patternId: uuid('pattern_id').notNull(),
    partnerId: uuid('partner_id'),
    event: text('event').notNull(),
    seq: bigint('seq', { mode: 'number' }),
    detail: jsonb('detail').notNull(),
    /**
     * The state a change committed, without its seq (the row's own). Events that change nothing,
     * and those written before this column, keep the state in `detail.state`: building one jsonb
     * of both cost a sixth of intake's write under the change-log head.
     */
    state: jsonb('state'),
    at: ts('at').notNull(),
  },
  (t) => [index('audit_pattern_idx').on(t.patternId, t.id)],
);

/** First answers to requests that carried an Idempotency-Key, replayed on retry. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    partnerId: uuid('partner_id').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    status: smallint('status').notNull(),
    response: text('response').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.partnerId, t.key] }), index('idempotency_created_idx').on(t.createdAt)],
);

/** A partner's challenge of a pattern; while any is open the pattern is at most `flag`. */
export const disputes = pgTable(
  'disputes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    patternId: uuid('pattern_id').notNull().references(() => patterns.id),
    partnerId: uuid('partner_id').notNull().references(() => partners.id),
    reason: text('reason').notNull(),
    /** open, revoked (the dispute was right), restored (it was not), superseded (the pattern was revoked otherwise). */
    status: text('status').notNull(),
    note: text('note'),
    resolvedBy: uuid('resolved_by'),
    createdAt: ts('created_at').notNull(),
    resolvedAt: ts('resolved_at'),
  },
  (t) => [index('disputes_pattern_idx').on(t.patternId, t.status)],
);

/** Certified legitimate numbers (call centres, BPOs): indicators that overlap them are held. */
export const allowlistEntries = pgTable('allowlist_entries', {
  id: uuid('id').primaryKey().defaultRandom(),
  pattern: text('pattern').notNull(),
  holder: text('holder').notNull(),
  certificate: text('certificate').notNull(),
  validUntil: ts('valid_until'),
  createdBy: uuid('created_by').notNull(),
  createdAt: ts('created_at').notNull(),
  removedAt: ts('removed_at'),
});

/** The canonical blocks of an allowlist entry. */
export const allowlistBlocks = pgTable(
  'allowlist_blocks',
  {
    entryId: uuid('entry_id').notNull().references(() => allowlistEntries.id),
    prefix: text('prefix').notNull(),
    length: smallint('length'),
  },
  (t) => [primaryKey({ columns: [t.entryId, t.prefix] })],
);

/** Number ranges a partner holds (recorded by operators); it may declare DNO inside them. */
export const holdings = pgTable(
  'holdings',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    partnerId: uuid('partner_id').notNull().references(() => partners.id),
    pattern: text('pattern').notNull(),
    prefix: text('prefix').notNull(),
    length: smallint('length'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [index('holdings_partner_idx').on(t.partnerId)],
);

/** Partners that share amber indicators with each other (TLP:AMBER). */
export const communities = pgTable('communities', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull().unique(),
  createdAt: ts('created_at').notNull(),
});

export const communityMembers = pgTable(
  'community_members',
  {
    communityId: uuid('community_id').notNull().references(() => communities.id),
    partnerId: uuid('partner_id').notNull().references(() => partners.id),
  },
  (t) => [primaryKey({ columns: [t.communityId, t.partnerId] }), index('community_members_partner_idx').on(t.partnerId)],
);
