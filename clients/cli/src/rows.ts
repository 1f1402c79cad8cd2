import type { IndicatorInput } from '../../../schemas/indicators';
import { categoryFlag, countryFlag, intFlag } from './args';
import { UsageError } from './exitCodes';

/** The indicator fields the hub reads; other columns or keys are not sent. */
export const INDICATOR_FIELDS = ['pattern', 'country', 'category', 'confidence', 'observedAt', 'validUntil', 'evidence', 'originCarrier', 'tlp', 'ref'] as const;
type Field = (typeof INDICATOR_FIELDS)[number];

/** One data row of an input file, as read. */
export interface InputRow {
  /** The line of the file it is on (a CSV header is line 1, so its first data row is 2). */
  row: number;
  /** Its values by column name (CSV) or key (NDJSON); absent when the row could not be read. */
  fields?: Record<string, unknown>;
  /** Why it could not be read: it is rejected here, without being sent. */
  error?: { code: string; message: string };
  /** The row as it was: CSV cells in file order, or the NDJSON line. */
  raw: string[] | string;
}

/** Rows streamed from a file, with how far into it the reader is. */
export interface RowSource {
  /** The CSV header (NDJSON has none). */
  columns?: string[];
  rows: AsyncIterable<InputRow>;
  /** How far into the file (bytes) the rows handed out so far reach. */
  position(): number;
}

/** Fills a file's gaps: values for rows that lack them (a row's own value wins). */
export interface RowDefaults {
  category?: string;
  country?: string;
  confidence?: number;
}

/** Turns file rows into indicators: renames columns (`--map column=field`), drops the rest, fills defaults. */
export interface IndicatorMapper {
  /** Fails (usage) when a CSV header cannot give every row a pattern and a category. */
  checkColumns(columns: readonly string[]): void;
  toIndicator(fields: Record<string, unknown>): IndicatorInput;
}

/** Parses `--map column=field` flags and the default flags into a mapper. */
export function createMapper(maps: readonly string[], flags: { category?: string; country?: string; confidence?: string }): IndicatorMapper {
  const renamed = new Map<string, Field>();
  for (const spec of maps) {
    const eq = spec.indexOf('=');
    const column = spec.slice(0, eq).trim();
    const field = spec.slice(eq + 1).trim();
    if (eq < 1 || !column || !field) throw new UsageError(`--map takes COLUMN=FIELD, not "${spec}"`);
    if (!isField(field)) throw new UsageError(`--map ${spec}: "${field}" is not an indicator field (${INDICATOR_FIELDS.join(', ')})`);
    if (renamed.has(column.toLowerCase())) throw new UsageError(`--map names the column "${column}" twice`);
    renamed.set(column.toLowerCase(), field);
  }
  const defaults: RowDefaults = {};
  if (flags.category !== undefined) defaults.category = categoryFlag('category', flags.category);
  if (flags.country !== undefined) defaults.country = countryFlag('country', flags.country);
  const confidence = intFlag('confidence', flags.confidence, 1, 100);
  if (confidence !== undefined) defaults.confidence = confidence;
  // A field that a --map fills is taken only from the mapped column, never from a same-named one.
  const mappedFields = new Set(renamed.values());
  const targetOf = (column: string): Field | undefined => {
    const lower = column.trim().toLowerCase();
    const mapped = renamed.get(lower);
    if (mapped) return mapped;
    const same = INDICATOR_FIELDS.find((f) => f.toLowerCase() === lower);
    return same && !mappedFields.has(same) ? same : undefined;
  };

  return {
    checkColumns(columns) {
      const seen = new Map<Field, string>();
      for (const column of columns) {
        const field = targetOf(column);
        if (!field) continue;
        if (seen.has(field)) throw new UsageError(`the columns "${seen.get(field)}" and "${column}" both give ${field}; --map one of them`);
        seen.set(field, column);
      }
      const missing = [...renamed.keys()].filter((c) => !columns.some((col) => col.trim().toLowerCase() === c));
      if (missing.length) throw new UsageError(`--map names columns the file does not have: ${missing.join(', ')} (columns: ${columns.join(', ')})`);
      if (!seen.has('pattern')) throw new UsageError(`no pattern column (columns: ${columns.join(', ')}); add --map COLUMN=pattern`);
      if (!seen.has('category') && !defaults.category) throw new UsageError('no category column; add --map COLUMN=category or --category CATEGORY');
    },
    toIndicator(fields) {
      const item: Record<string, unknown> = {};
      for (const [column, value] of Object.entries(fields)) {
        const field = targetOf(column);
        if (field && value !== '' && value !== null && value !== undefined) item[field] = field === 'confidence' ? asNumber(value) : value;
      }
      for (const [field, value] of Object.entries(defaults)) item[field] ??= value;
      // Only the hub judges items: what is sent may still be wrong, and comes back rejected with a code.
      return item as IndicatorInput;
    },
  };
}

function isField(name: string): name is Field {
  return (INDICATOR_FIELDS as readonly string[]).includes(name);
}

/** "80" → 80, so CSV cells type-check as JSON numbers; anything else is left for the hub to reject. */
function asNumber(value: unknown): unknown {
  return typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
}
