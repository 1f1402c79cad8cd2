import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { copyRowsToNdjson, type CopyColumn } from '../../src/store/copyJson';

const COLUMNS: CopyColumn[] = [
  { name: 'id', kind: 'string' },
  { name: 'n', kind: 'number' },
  { name: 'ok', kind: 'boolean' },
  { name: 'list', kind: 'json' },
  { name: 'maybe', kind: 'string' },
];

/** A value as PostgreSQL's COPY text format writes it (CopyAttributeOutText): backslash escapes, \N for null. */
function copyText(v: string | null): string {
  if (v === null) return '\\N';
  const letters: Record<string, string> = { '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' };
  return [...v].map((ch) => letters[ch] ?? ch).join('');
}

const row = fc.record({
  id: fc.string({ unit: 'binary' }),
  n: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
  ok: fc.boolean(),
  list: fc.array(fc.oneof(fc.string({ unit: 'binary' }), fc.constant('wangiri'))),
  maybe: fc.option(fc.oneof(fc.string(), fc.string({ unit: 'binary' })), { nil: null }),
});
type Row = typeof row extends fc.Arbitrary<infer T> ? T : never;

function copyOf(rows: Row[]): Uint8Array {
  const lines = rows.map((r) => [copyText(r.id), String(r.n), r.ok ? 't' : 'f', copyText(JSON.stringify(r.list)), copyText(r.maybe)].join('\t') + '\n');
  return new TextEncoder().encode(lines.join(''));
}

function convertInChunks(bytes: Uint8Array, cuts: number[]): string {
  const { convert, done } = copyRowsToNdjson(COLUMNS);
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const p of [...points, bytes.length]) {
    parts.push(convert(bytes.subarray(at, p)));
    at = p;
  }
  done();
  return Buffer.concat(parts).toString('utf8');
}

describe('copyRowsToNdjson', () => {
  it('writes exactly JSON.stringify of each row, whatever the content and wherever chunks are cut', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 12 }), (rows, cuts) => {
        const expected = rows.map((r) => JSON.stringify(r) + '\n').join('');
        expect(convertInChunks(copyOf(rows), cuts)).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a row with a missing column and output that stops inside a row', () => {
    expect(() => copyRowsToNdjson(COLUMNS).convert(new TextEncoder().encode('a\t1\tt\n'))).toThrow(/5 columns/);
    expect(() => copyRowsToNdjson(COLUMNS).convert(new TextEncoder().encode('a\t1\tt\t[]\tb\textra\n'))).toThrow(/5 columns/);
    const { convert, done } = copyRowsToNdjson(COLUMNS);
    convert(new TextEncoder().encode('a\t1\tt\t[]\tb'));
    expect(done).toThrow(/inside a row/);
  });
});
