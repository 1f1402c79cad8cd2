import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { csvLine, writeTo } from './output';
import type { InputRow } from './rows';

/**
 * Writes rejected rows next to the input, in its format, so they can be fixed and submitted again:
 * CSV gets `row,code,message` then the row's own cells under the file's header; NDJSON gets one
 * `{"row","code","message","item"}` object per line (`line` instead of `item` when the line was not
 * JSON). The file is created at the first rejected row; none means no file.
 */
export class RejectsWriter {
  #stream: WriteStream | null = null;
  #count = 0;

  constructor(
    readonly path: string,
    private readonly columns?: readonly string[],
  ) {}

  /** Rows written so far. */
  get count(): number {
    return this.#count;
  }

  async write(row: InputRow, code: string, message: string): Promise<void> {
    if (!this.#stream) {
      this.#stream = createWriteStream(this.path);
      await once(this.#stream, 'open'); // rejects (ENOENT, EACCES) before anything is written
      if (this.columns) await writeTo(this.#stream, csvLine(['row', 'code', 'message', ...this.columns]));
    }
    this.#count++;
    const text = Array.isArray(row.raw)
      ? csvLine([row.row, code, message, ...row.raw])
      : JSON.stringify({ row: row.row, code, message, ...(row.fields ? { item: row.fields } : { line: row.raw }) }) + '\n';
    await writeTo(this.#stream, text);
  }

  /** Flushes and closes the file (if one was started). */
  async close(): Promise<void> {
    if (!this.#stream) return;
    this.#stream.end();
    await finished(this.#stream);
  }
}
