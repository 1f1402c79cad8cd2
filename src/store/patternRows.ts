import { sql } from 'drizzle-orm';
import type { Pattern } from '../../schemas/patterns';
import type { CopyColumn } from './copyJson';
import { int, isoOf } from './sql';

/** The select list that reads a `patterns` row (aliased `p`) as a wire Pattern. */
export const PATTERN_COLUMNS = sql.raw(`p.id, p.key, p.kind, p.prefix, p.length, p.country, p.categories,
  p.confidence, p.reporters, p.action, p.status, p.tlp, p.unallocated,
  ${isoOf('p.first_seen')} as "firstSeen", ${isoOf('p.last_seen')} as "lastSeen",
  case when p.valid_until is null then null else ${isoOf('p.valid_until')} end as "validUntil", p.seq`);

/** A row selected with PATTERN_COLUMNS, as either driver returns it. */
export type PatternRow = Omit<Pattern, 'seq' | 'length' | 'confidence' | 'reporters'> & {
  seq: unknown;
  length: unknown;
  confidence: unknown;
  reporters: unknown;
};

/** Normalizes driver-specific number types so both databases give identical objects. */
export function toPattern(r: PatternRow): Pattern {
  return {
    id: r.id,
    key: r.key,
    kind: r.kind,
    prefix: r.prefix,
    length: r.length === null ? null : int(r.length),
    country: r.country,
    categories: r.categories,
    confidence: int(r.confidence),
    reporters: int(r.reporters),
    action: r.action,
    status: r.status,
    tlp: r.tlp,
    unallocated: r.unallocated,
    firstSeen: r.firstSeen,
    lastSeen: r.lastSeen,
    validUntil: r.validUntil,
    seq: int(r.seq),
  };
}

/**
 * PATTERN_COLUMNS for COPY text output, column for column, with how each becomes its JSON field
 * (PATTERN_COPY_FIELDS): the wire Pattern's fields in its order, categories already as JSON.
 */
export const PATTERN_COPY_COLUMNS = sql.raw(`p.id, p.key, p.kind, p.prefix, p.length, p.country, array_to_json(p.categories),
  p.confidence, p.reporters, p.action, p.status, p.tlp, p.unallocated,
  ${isoOf('p.first_seen')}, ${isoOf('p.last_seen')}, ${isoOf('p.valid_until')}, p.seq`);

export const PATTERN_COPY_FIELDS: readonly CopyColumn[] = [
  { name: 'id', kind: 'string' },
  { name: 'key', kind: 'string' },
  { name: 'kind', kind: 'string' },
  { name: 'prefix', kind: 'string' },
  { name: 'length', kind: 'number' },
  { name: 'country', kind: 'string' },
  { name: 'categories', kind: 'json' },
  { name: 'confidence', kind: 'number' },
  { name: 'reporters', kind: 'number' },
  { name: 'action', kind: 'string' },
  { name: 'status', kind: 'string' },
  { name: 'tlp', kind: 'string' },
  { name: 'unallocated', kind: 'boolean' },
  { name: 'firstSeen', kind: 'string' },
  { name: 'lastSeen', kind: 'string' },
  { name: 'validUntil', kind: 'string' },
  { name: 'seq', kind: 'number' },
];
