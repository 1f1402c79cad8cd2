import { createReadStream } from 'node:fs';
import type { InputRow, RowSource } from './rows';

/**
 * Streams an NDJSON (JSON Lines) file line by line. Blank lines are skipped; a line that is not a
 * JSON object becomes a row with an `invalid_json` error (rejected without being sent), the rest go on.
 */
export function openNdjsonRows(path: string): RowSource {
  const file = createReadStream(path, { encoding: 'utf8' });
  let position = 0;

  async function* rows(): AsyncGenerator<InputRow> {
    let pending = '';
    let line = 0;
    for await (const chunk of file as AsyncIterable<string>) {
      pending += chunk;
      let start = 0;
      for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n', start)) {
        const text = pending.slice(start, end);
        const row = toRow(++line, text);
        position += Buffer.byteLength(text) + 1;
        start = end + 1;
        if (row) yield row;
      }
      pending = pending.slice(start);
    }
    const last = toRow(line + 1, pending);
    position += Buffer.byteLength(pending);
    if (last) yield last;
  }
  return { rows: rows(), position: () => position };
}

function toRow(line: number, text: string): InputRow | null {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (!trimmed) return null;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (err) {
    return { row: line, raw: text, error: { code: 'invalid_json', message: `line is not JSON: ${(err as Error).message}` } };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { row: line, raw: text, error: { code: 'invalid_json', message: 'line is not a JSON object' } };
  }
  return { row: line, raw: text, fields: value as Record<string, unknown> };
}
