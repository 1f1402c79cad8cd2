import { parse as parseCsv } from 'csv-parse/sync';
import type { UnparsableItem } from '../domain/indicators';
import { HubError } from './errors';

/** The three body forms intake accepts. */
export type IntakeFormat = 'json' | 'csv' | 'ndjson';

/** Which form a Content-Type names, or null when it names none of them. */
export function intakeFormat(contentType: string | undefined): IntakeFormat | null {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json' || type === '') return 'json';
  if (type === 'text/csv') return 'csv';
  if (type === 'application/x-ndjson' || type === 'application/ndjson' || type === 'application/jsonl') return 'ndjson';
  return null;
}

/**
 * Splits a body into items. A malformed envelope (not JSON, no `indicators` array, a CSV without a
 * header naming `pattern`) is a 400; a malformed NDJSON line is one rejected item, not a failed batch.
 */
export function parseIntakeBody(body: string, format: IntakeFormat, maxItems: number): unknown[] {
  const items = format === 'json' ? parseJson(body) : format === 'csv' ? parseCsvBody(body) : parseNdjson(body);
  if (items.length === 0) throw new HubError('empty_batch', 'send between 1 and ' + maxItems + ' indicators');
  if (items.length > maxItems) throw new HubError('batch_too_large', `a batch holds at most ${maxItems} indicators; split it`);
  return items;
}

function parseJson(body: string): unknown[] {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (err) {
    throw new HubError('invalid_json', (err as Error).message);
  }
  if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as { indicators?: unknown }).indicators)) {
    throw new HubError('invalid_request', 'the body must be {"indicators": [...]}');
  }
  return (doc as { indicators: unknown[] }).indicators;
}

function parseNdjson(body: string): unknown[] {
  const items: unknown[] = [];
  for (const line of body.split('\n')) {
    const text = line.trim();
    if (!text) continue;
    try {
      items.push(JSON.parse(text));
    } catch (err) {
      items.push({ unparsable: `line is not JSON: ${(err as Error).message}` } satisfies UnparsableItem);
    }
  }
  return items;
}

function parseCsvBody(body: string): unknown[] {
  let records: Record<string, string>[];
  try {
    records = parseCsv(body, {
      columns: (header: string[]) => header.map((h) => h.trim()),
      skip_empty_lines: true,
      trim: true,
      bom: true,
      relax_column_count: true,
    }) as Record<string, string>[];
  } catch (err) {
    throw new HubError('invalid_request', `the CSV cannot be read: ${(err as Error).message}`);
  }
  if (records.length > 0 && !('pattern' in records[0]!)) {
    throw new HubError('invalid_request', 'the CSV header row must name a "pattern" column');
  }
  // Empty cells mean "not given", as a missing JSON field does.
  return records.map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== '')));
}
