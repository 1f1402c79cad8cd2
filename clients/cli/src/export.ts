import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { rename, rm } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Writable } from 'node:stream';
import type { Pattern } from '../../../schemas/patterns';
import type { Snapshot } from '../../sdk/src/index';
import { CONNECTION_HELP, CONNECTION_OPTIONS, FILTER_HELP, FILTER_OPTIONS, filterFrom, parseCommand, positionals } from './args';
import type { Command } from './command';
import { clientFor, resolveConfig } from './config';
import { EXIT, UsageError } from './exitCodes';
import { csvLine, note, writeTo } from './output';

const OPTIONS = { ...CONNECTION_OPTIONS, ...FILTER_OPTIONS, format: { type: 'string' }, out: { type: 'string' } } as const;
const FORMATS = ['json', 'csv', 'ndjson'] as const;
type Format = (typeof FORMATS)[number];

/** The CSV columns of `hub export --format csv`, in order. */
export const EXPORT_COLUMNS = ['key', 'kind', 'country', 'categories', 'confidence', 'reporters', 'action', 'status', 'firstSeen', 'lastSeen', 'validUntil', 'seq'] as const;

const HELP = `Usage: hub export [--format json|csv|ndjson] [--out PATH] [filter]

Writes the current block list (the hub's snapshot, filtered) to stdout or a file. Needs a
subscriber key.
  json     the snapshot document {"seq", "patterns": [...]}
  csv      a header, then one row per pattern: ${EXPORT_COLUMNS.join(',')}
           (categories joined with ";")
  ndjson   one pattern per line

Options:
  --format F     json, csv or ndjson (default: from --out's extension, else json)
  --out PATH     write there (atomically: a temporary file renamed into place) instead of stdout

${FILTER_HELP}

${CONNECTION_HELP}

Example:
  hub export --format csv --country PK --action block --out pk-block.csv`;

/** `hub export`: the filtered snapshot as JSON, CSV or NDJSON. */
export const exportCommand: Command = {
  name: 'export',
  summary: 'write the current (filtered) list as JSON, CSV or NDJSON',
  help: HELP,
  async run(argv) {
    const { values, positionals: args } = parseCommand(argv, OPTIONS);
    positionals(args, []);
    const format = formatOf(values.format, values.out);
    const filter = filterFrom(values);
    const client = clientFor(resolveConfig(values, process.env, 3));
    const snapshot = await client.snapshot(filter);
    if (values.out === undefined) {
      await writeSnapshot(process.stdout, snapshot, format);
      return EXIT.ok;
    }
    const tmp = `${values.out}.${process.pid}.tmp`;
    try {
      const file = createWriteStream(tmp);
      await once(file, 'open'); // rejects (ENOENT, EACCES) before the snapshot is written
      await writeSnapshot(file, snapshot, format);
      file.end();
      await once(file, 'close');
      await rename(tmp, values.out);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    note(`hub export: ${snapshot.patterns.length} patterns at seq ${snapshot.seq} written to ${values.out}`);
    return EXIT.ok;
  },
};

function formatOf(flag: string | undefined, out: string | undefined): Format {
  if (flag !== undefined) {
    if ((FORMATS as readonly string[]).includes(flag)) return flag as Format;
    throw new UsageError(`--format must be json, csv or ndjson, not "${flag}"`);
  }
  const ext = out ? extname(out).slice(1).toLowerCase() : '';
  if (ext === 'jsonl') return 'ndjson';
  return (FORMATS as readonly string[]).includes(ext) ? (ext as Format) : 'json';
}

async function writeSnapshot(stream: Writable, snapshot: Snapshot, format: Format): Promise<void> {
  if (format === 'json') return writeTo(stream, JSON.stringify(snapshot) + '\n');
  if (format === 'csv') await writeTo(stream, csvLine(EXPORT_COLUMNS));
  // In chunks, so a large list is written as the stream drains rather than built as one string.
  for (let i = 0; i < snapshot.patterns.length; i += 1000) {
    const chunk = snapshot.patterns.slice(i, i + 1000);
    await writeTo(stream, chunk.map((p) => (format === 'csv' ? csvRow(p) : JSON.stringify(p) + '\n')).join(''));
  }
}

function csvRow(p: Pattern): string {
  return csvLine([p.key, p.kind, p.country, p.categories.join(';'), p.confidence, p.reporters, p.action, p.status, p.firstSeen, p.lastSeen, p.validUntil, p.seq]);
}
