import { rm, stat } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import type { IndicatorInput } from '../../../schemas/indicators';
import { HubUnreachableError, type IntakeResponse } from '../../sdk/src/index';
import { CONNECTION_HELP, CONNECTION_OPTIONS, intFlag, parseCommand, positionals } from './args';
import type { Command } from './command';
import { clientFor, resolveConfig } from './config';
import { openCsvRows } from './csvRows';
import { describeFailure, EXIT, UsageError } from './exitCodes';
import { openNdjsonRows } from './ndjsonRows';
import { note, out, table } from './output';
import { submitProgress } from './progress';
import { RejectsWriter } from './rejects';
import { createMapper, INDICATOR_FIELDS, type InputRow } from './rows';

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  format: { type: 'string' },
  'batch-size': { type: 'string' },
  rejects: { type: 'string' },
  map: { type: 'string', multiple: true },
  category: { type: 'string' },
  country: { type: 'string' },
  confidence: { type: 'string' },
  'run-id': { type: 'string' },
  json: { type: 'boolean' },
} as const;

const HELP = `Usage: hub submit FILE [options]

Streams a CSV or NDJSON file of indicators to the hub in batches (any size; the file is never read
whole). Each batch's Idempotency-Key comes from the file's identity (path, size, mtime, or --run-id)
and the batch's content: rerun the same command after a crash and the batches already committed
replay without counting twice. Rejected rows go to a file, with their line, code and message.

Options:
  --format csv|ndjson    default: from the extension (.csv; .ndjson or .jsonl)
  --batch-size N         indicators per request, 1..10000 (default 1000)
  --map COLUMN=FIELD     read FIELD from COLUMN (repeatable), e.g. --map msisdn=pattern --map type=category
                         fields: ${INDICATOR_FIELDS.join(', ')}
  --category C           for rows without one (a row's own value wins)
  --country CC           for rows without one: how national numbers are read
  --confidence N         for rows without one, 1..100
  --rejects PATH         where rejected rows go (default FILE.rejects.csv, or FILE.rejects.ndjson)
  --run-id ID            idempotency scope instead of the file's identity (same ID = same submission)
  --json                 the summary as JSON

${CONNECTION_HELP}

A progress bar shows on stderr when it is a terminal. Exit codes: 0 every row accepted, 1 some rows
rejected (or the hub answered an error), 2 usage, 3 hub unreachable or the key refused.

Example:
  hub submit partner-feed.csv --map msisdn=pattern --map type=category --country PK --confidence 70`;

/** `hub submit FILE`: streamed, batched, idempotent upload with a rejects file and a summary. */
export const submitCommand: Command = {
  name: 'submit',
  summary: 'send a CSV or NDJSON file of indicators (streamed, batched, safe to rerun)',
  help: HELP,
  async run(argv) {
    const { values, positionals: args } = parseCommand(argv, OPTIONS);
    const [file] = positionals(args, ['FILE']) as [string];
    const format = formatOf(file, values.format);
    const mapper = createMapper(values.map ?? [], values);
    const batchSize = intFlag('batch-size', values['batch-size'], 1, 10_000) ?? 1000;
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) throw new UsageError(`${file}: no such file`);
    const rejectsPath = resolve(values.rejects ?? `${file}.rejects.${format === 'csv' ? 'csv' : 'ndjson'}`);
    if (rejectsPath === resolve(file)) throw new UsageError('--rejects must not be the input file');
    if (!(await stat(dirname(rejectsPath)).catch(() => null))?.isDirectory()) throw new UsageError(`--rejects: no directory ${dirname(rejectsPath)}`);
    const client = clientFor(resolveConfig(values, process.env, 8));
    const scope = `hub-cli/1 ${values['run-id'] !== undefined ? `run ${values['run-id']}` : `file ${resolve(file)} ${info.size} ${info.mtimeMs}`}`;

    const source = format === 'csv' ? await openCsvRows(file) : openNdjsonRows(file);
    if (source.columns) mapper.checkColumns(source.columns);
    // A rerun writes every rejected row again (replayed batches answer as they did), so start afresh.
    await rm(rejectsPath, { force: true });
    const rejects = new RejectsWriter(rejectsPath, source.columns);
    const progress = submitProgress(info.size);
    const totals = { rows: 0, batches: 0, created: 0, corroborated: 0, duplicate: 0, rejected: 0, seq: 0 };
    const rowOf = new WeakMap<IndicatorInput, InputRow>();
    const started = Date.now();

    async function* indicators(): AsyncGenerator<IndicatorInput> {
      for await (const row of source.rows) {
        totals.rows++;
        if (totals.rows % 500 === 0) progress.update(source.position(), totals);
        if (!row.fields) {
          totals.rejected++;
          await rejects.write(row, row.error!.code, row.error!.message);
          continue;
        }
        const item = mapper.toIndicator(row.fields);
        rowOf.set(item, row);
        yield item;
      }
    }
    const onBatch = async (answer: IntakeResponse, batch: readonly IndicatorInput[]) => {
      totals.batches++;
      for (const k of ['created', 'corroborated', 'duplicate', 'rejected'] as const) totals[k] += answer.summary[k];
      totals.seq = Math.max(totals.seq, answer.seq);
      for (const r of answer.results) {
        if (r.status === 'rejected') await rejects.write(rowOf.get(batch[r.index]!)!, r.error?.code ?? 'rejected', r.error?.message ?? '');
      }
      progress.update(source.position(), totals);
    };

    // Ctrl-C mid-file: put the terminal back (the bar hides the cursor) and say how to resume.
    const interrupted = (signal: NodeJS.Signals) => {
      progress.stop();
      note(`hub submit: interrupted after ${totals.batches} acknowledged batches; rerun the same command to resume (committed batches replay without counting twice)`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    };
    process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
    try {
      await client.submit(indicators(), { batchSize, idempotencyScope: scope, onBatch });
    } catch (err) {
      progress.stop();
      await rejects.close().catch(() => {}); // the failure being reported says more
      const { code, message } = describeFailure(err);
      note(`hub submit: ${message}`);
      if (err instanceof HubUnreachableError) {
        note(`  ${totals.batches} batches were acknowledged; rerun the same command to resume: committed batches replay without counting twice`);
      }
      return code;
    } finally {
      process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
    }
    progress.stop();
    await rejects.close();
    const summary = { file: resolve(file), ...totals, rejects: rejects.count ? rejectsPath : null, elapsedMs: Date.now() - started };
    if (values.json) await out(JSON.stringify(summary));
    else await printSummary(summary);
    return totals.rejected > 0 ? EXIT.failed : EXIT.ok;
  },
};

function formatOf(file: string, flag: string | undefined): 'csv' | 'ndjson' {
  if (flag !== undefined) {
    if (flag === 'csv' || flag === 'ndjson') return flag;
    throw new UsageError(`--format must be csv or ndjson, not "${flag}"`);
  }
  const ext = extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.ndjson' || ext === '.jsonl') return 'ndjson';
  throw new UsageError(`cannot tell the format of ${file} from its extension; pass --format csv or --format ndjson`);
}

async function printSummary(s: { rows: number; batches: number; created: number; corroborated: number; duplicate: number; rejected: number; seq: number; rejects: string | null; elapsedMs: number }) {
  const width = String(Math.max(s.rows, s.seq)).length;
  const n = (v: number) => String(v).padStart(width);
  const lines = table([
    ['rows', n(s.rows), `read, in ${s.batches} batches, ${(s.elapsedMs / 1000).toFixed(1)} s`],
    ['created', n(s.created), 'new patterns'],
    ['corroborated', n(s.corroborated), 'patterns other partners reported first, now confirmed'],
    ['duplicate', n(s.duplicate), 'reported by this partner before'],
    ['rejected', n(s.rejected), s.rejects ? `written to ${s.rejects}` : ''],
    ['seq', n(s.seq), 'the feed position once every batch is committed'],
  ]);
  for (const line of lines) await out(line);
}
