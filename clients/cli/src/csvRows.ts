import { createReadStream } from 'node:fs';
import { parse, type Info } from 'csv-parse';
import { UsageError } from './exitCodes';
import type { InputRow, RowSource } from './rows';

/**
 * Streams a CSV file row by row (csv-parse's streaming API): the header first, then one row at a
 * time, so memory stays flat whatever the file's size. Empty lines are skipped; rows with more or
 * fewer cells than the header are kept (missing cells are absent).
 */
export async function openCsvRows(path: string): Promise<RowSource> {
  const file = createReadStream(path);
  const parser = parse({ bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, info: true });
  file.on('error', (err) => parser.destroy(err));
  const records = file.pipe(parser)[Symbol.asyncIterator]() as AsyncIterator<{ record: string[]; info: Info }>;
  const first = await records.next();
  if (first.done) {
    file.destroy();
    throw new UsageError(`${path} is empty: a CSV file starts with a header row naming its columns`);
  }
  const columns = first.value.record;
  let lastLine = first.value.info.lines;
  let emptyLines = first.value.info.empty_lines;
  let position = first.value.info.bytes;

  const nextRecord = () =>
    records.next().catch((err: Error) => {
      throw new Error(`${path}: ${err.message}`);
    });

  async function* rows(): AsyncGenerator<InputRow> {
    for (let next = await nextRecord(); !next.done; next = await nextRecord()) {
      const { record, info } = next.value;
      // A record may span lines (a quoted line break): report the line it starts on.
      const row = lastLine + 1 + (info.empty_lines - emptyLines);
      lastLine = info.lines;
      emptyLines = info.empty_lines;
      position = info.bytes;
      const fields: Record<string, string> = {};
      columns.forEach((column, i) => {
        if (i < record.length) fields[column] = record[i]!;
      });
      yield { row, fields, raw: record };
    }
  }
  return { columns, rows: rows(), position: () => position };
}
