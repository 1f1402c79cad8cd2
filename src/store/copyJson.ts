/** How one column of COPY text output becomes a JSON value. */
export type CopyColumnKind = 'string' | 'number' | 'boolean' | 'json';

/** One column of the COPY, in order: the JSON field it becomes. */
export interface CopyColumn {
  name: string;
  kind: CopyColumnKind;
}

const TAB = 9;
const NL = 10;
const QUOTE = 34;
const BACKSLASH = 92;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Turns `COPY ... TO STDOUT` text rows into NDJSON objects, one line per row, byte for byte what
 * `JSON.stringify` writes for an object with these fields: PostgreSQL then sends its cheapest
 * output and no JS object is made per row. Plain bytes are copied; a value that needs escaping
 * in COPY or JSON is decoded and `JSON.stringify`d. Returns a function fed the chunks in order
 * (rows may span chunks) that answers the complete lines so far; `done` checks nothing is left over.
 */
export function copyRowsToNdjson(columns: readonly CopyColumn[]): { convert: (chunk: Uint8Array) => Uint8Array; done: () => void } {
  const heads = columns.map((c, i) => encoder.encode(`${i === 0 ? '{' : ','}${JSON.stringify(c.name)}:`));
  const rowOverhead = heads.reduce((n, h) => n + h.length + 8, 2);
  let carry: Uint8Array | null = null;
  let out = new Uint8Array(0);
  let o = 0;
  const ensure = (n: number) => {
    if (o + n <= out.length) return;
    const bigger = new Uint8Array(Math.max(out.length * 2, o + n));
    bigger.set(out.subarray(0, o));
    out = bigger;
  };
  const put = (bytes: Uint8Array) => {
    ensure(bytes.length);
    out.set(bytes, o);
    o += bytes.length;
  };

  const convert = (chunk: Uint8Array): Uint8Array => {
    let input = chunk;
    if (carry) {
      input = new Uint8Array(carry.length + chunk.length);
      input.set(carry);
      input.set(chunk, carry.length);
    }
    const last = input.lastIndexOf(NL);
    carry = last + 1 < input.length ? input.slice(last + 1) : null;
    out = new Uint8Array(2 * (last + 1) + 64 * 1024);
    o = 0;
    let pos = 0;
    while (pos <= last) {
      const rowEnd = input.indexOf(NL, pos);
      ensure(rowEnd - pos + rowOverhead);
      for (let c = 0; c < columns.length; c++) {
        const end = c === columns.length - 1 ? rowEnd : input.indexOf(TAB, pos);
        if (end < 0 || end > rowEnd || (c === columns.length - 1 && input.lastIndexOf(TAB, rowEnd) >= pos)) throw new Error(`COPY row does not have ${columns.length} columns`);
        put(heads[c]!);
        writeValue(input, pos, end, columns[c]!.kind);
        pos = end + 1;
      }
      out[o++] = 125; // }
      out[o++] = NL;
    }
    return out.subarray(0, o);
  };

  const writeValue = (input: Uint8Array, start: number, end: number, kind: CopyColumnKind) => {
    if (end - start === 2 && input[start] === BACKSLASH && input[start + 1] === 78 /* N */) return put(NULL);
    if (kind === 'boolean') return put(input[start] === 116 /* t */ ? TRUE : FALSE);
    if (kind === 'number') return put(input.subarray(start, end));
    const mark = o;
    if (kind === 'string') out[o++] = QUOTE;
    let i = start;
    // JSON text from PostgreSQL holds no control characters; COPY doubles its backslashes.
    for (; i < end; i++) {
      const b = input[i]!;
      if (b === BACKSLASH || (kind === 'string' && (b < 0x20 || b === QUOTE))) break;
      out[o++] = b;
    }
    if (i === end) {
      if (kind === 'string') out[o++] = QUOTE;
      return;
    }
    o = mark;
    const text = unescapeCopy(input.subarray(start, end));
    put(encoder.encode(kind === 'string' ? JSON.stringify(text) : text));
  };

  return {
    convert,
    done: () => {
      if (carry) throw new Error('COPY output ended inside a row');
    },
  };
}

const NULL = encoder.encode('null');
const TRUE = encoder.encode('true');
const FALSE = encoder.encode('false');
const ESCAPED: Record<number, number> = { 98: 8, 102: 12, 110: 10, 114: 13, 116: 9, 118: 11 };

/** A COPY text value as the string it stands for: `\\`, `\n` and the other letter escapes undone. */
function unescapeCopy(field: Uint8Array): string {
  const bytes = new Uint8Array(field.length);
  let n = 0;
  for (let i = 0; i < field.length; i++) {
    const b = field[i]!;
    if (b !== BACKSLASH) {
      bytes[n++] = b;
      continue;
    }
    const next = field[++i]!;
    bytes[n++] = ESCAPED[next] ?? next;
  }
  return decoder.decode(bytes.subarray(0, n));
}
