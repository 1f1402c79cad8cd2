import { createWriteStream, existsSync, readFileSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, startCliHub, tempDir, waitUntil, type CliHub, type CliResult } from '../support/cliHarness';

/**
 * `hub submit` against a real hub process: a 100,000-row partner CSV (columns under other names,
 * no category column, a few hundred bad rows) streamed in batches with flat memory, and a rerun
 * after a SIGKILL in the middle that counts nothing twice.
 */

const ROWS = 100_000;
/** One row in BAD_EVERY is bad: 500 bad rows of the kinds below, in turn. */
const BAD_EVERY = 200;
const BAD_KINDS: { cells: (i: number) => string[]; code: string }[] = [
  { cells: () => ['hello', '80', 'PK'], code: 'invalid_pattern' },
  { cells: () => ['+92*', '80', 'PK'], code: 'pattern_too_broad' },
  { cells: () => ['+923009999999-+923009990000', '80', 'PK'], code: 'range_reversed' },
  { cells: () => ['+92300123', '80', 'PK'], code: 'invalid_number' },
  { cells: (i) => [number('300', i), '150', 'PK'], code: 'invalid_confidence' },
  { cells: (i) => [number('300', i), '80', 'QQ'], code: 'unknown_country' },
  { cells: () => ['', '80', 'PK'], code: 'invalid_pattern' },
];
/** The partner's columns: msisdn, score and cc stand for pattern, confidence and country; no category. */
const MAP = ['--map', 'msisdn=pattern', '--map', 'score=confidence', '--map', 'cc=country', '--category', 'wangiri'];

function number(operator: string, i: number): string {
  return `+92${operator}${String(i).padStart(7, '0')}`;
}

/** Writes the CSV (streamed, like the file it stands for) and returns the expected rejects by line. */
async function writePartnerCsv(path: string, rows: number, operator: string): Promise<Map<number, string>> {
  const file = createWriteStream(path);
  const bad = new Map<number, string>();
  file.write('msisdn,score,cc,note\n');
  for (let i = 0; i < rows; i++) {
    let cells: string[];
    if (i % BAD_EVERY === 7) {
      const kind = BAD_KINDS[Math.floor(i / BAD_EVERY) % BAD_KINDS.length]!;
      cells = kind.cells(i);
      bad.set(i + 2, kind.code); // line 1 is the header
    } else {
      cells = [number(operator, i), String(50 + (i % 50)), 'PK'];
    }
    // A quoted cell with a comma, so the rejects file must quote it back.
    if (!file.write(`${cells.join(',')},"row ${i}, from the switch log"\n`)) await once(file, 'drain');
  }
  file.end();
  await once(file, 'close');
  return bad;
}

/** The highest VmHWM (peak resident set) seen for a process while it runs, in kB. */
function watchPeakRss(pid: number): { stop: () => number } {
  let peak = 0;
  const read = () => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]));
    } catch {
      // exited
    }
  };
  read();
  const timer = setInterval(read, 20);
  return {
    stop: () => {
      clearInterval(timer);
      return peak;
    },
  };
}

interface Summary {
  rows: number;
  batches: number;
  created: number;
  corroborated: number;
  duplicate: number;
  rejected: number;
  seq: number;
  rejects: string | null;
}

function summaryOf(result: CliResult): Summary {
  const line = result.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as Summary;
  } catch {
    throw new Error(`no JSON summary; exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  }
}

/** The hub's count of items it really processed (replays are not counted), by status. */
async function acceptedTotals(hub: CliHub): Promise<Record<string, number>> {
  const text = await (await fetch(`${hub.base}/metrics`)).text();
  const totals: Record<string, number> = {};
  for (const m of text.matchAll(/^hub_indicators_accepted_total\{status="(\w+)"\} (\d+)/gm)) totals[m[1]!] = Number(m[2]);
  return totals;
}

describe('hub submit', () => {
  let hub: CliHub;
  let tmp: { dir: string; remove: () => void };

  beforeAll(async () => {
    hub = await startCliHub();
    tmp = tempDir('hub-cli-submit-');
  });
  afterAll(async () => {
    await hub?.close();
    tmp?.remove();
  });

  it('streams 100,000 rows with flat memory, maps columns, and writes exactly the bad rows to the rejects file', { timeout: 120_000 }, async () => {
    const path = join(tmp.dir, 'partner-feed.csv');
    const bad = await writePartnerCsv(path, ROWS, '300');
    const size = statSync(path).size;
    const env = {
      HUB_URL: hub.base,
      HUB_API_KEY: await hub.partner(['submitter']),
      // The memory proof: a 32 MB V8 heap. Streaming keeps the live heap at ~16 MB (the modules;
      // measured with --trace-gc, the same from the first batch to the last), while this file's
      // 100,000 rows held at once need more: a variant that parses the whole file first and then
      // submits it dies of OOM under this cap, even keeping none of the answers.
      NODE_OPTIONS: '--max-old-space-size=32',
    };
    const submit = async (file: string) => {
      const cli = startCli(['submit', file, ...MAP, '--json'], env);
      const rss = watchPeakRss(cli.child.pid!);
      const result = await cli.done;
      return { result, peakKb: rss.stop() };
    };
    // The same command on 1,000 rows first: the runtime's own footprint, to compare with.
    const small = join(tmp.dir, 'small-feed.csv');
    await writePartnerCsv(small, 1000, '302');
    const baseline = await submit(small);
    expect(baseline.result.code, baseline.result.stderr).toBe(1);

    const started = Date.now();
    const { result, peakKb } = await submit(path);
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `hub submit: ${ROWS} rows (${(size / 1e6).toFixed(1)} MB) in ${seconds.toFixed(1)} s, ${Math.round(ROWS / seconds)} rows/s; ` +
        `peak RSS ${(peakKb / 1024).toFixed(0)} MB (1,000 rows: ${(baseline.peakKb / 1024).toFixed(0)} MB)`,
    );

    expect(result.code, result.stderr).toBe(1); // some rows rejected
    const summary = summaryOf(result);
    expect(summary.rows).toBe(ROWS);
    expect(summary.rejected).toBe(bad.size);
    expect(summary.created + summary.corroborated + summary.duplicate + summary.rejected).toBe(ROWS);
    expect(summary.created).toBe(ROWS - bad.size);
    expect(summary.batches).toBe(ROWS / 1000);

    // Exactly the bad rows, each with its code, its line and its own cells (quoted as they were).
    expect(summary.rejects).toBe(`${path}.rejects.csv`);
    const rejects = parse(readFileSync(summary.rejects!), { columns: true }) as Record<string, string>[];
    expect(Object.keys(rejects[0]!)).toEqual(['row', 'code', 'message', 'msisdn', 'score', 'cc', 'note']);
    expect(new Map(rejects.map((r) => [Number(r.row), r.code]))).toEqual(bad);
    for (const r of rejects) {
      expect(r.message).not.toBe('');
      expect(r.note).toBe(`row ${Number(r.row) - 2}, from the switch log`);
    }

    // And the resident set: node, tsx's loader thread and the modules (~140 MB) plus the capped heap,
    // flat whatever the file's size: 100 times the rows, within 24 MB of the 1,000-row run.
    if (peakKb > 0) {
      expect(peakKb).toBeLessThan(200 * 1024);
      expect(peakKb - baseline.peakKb).toBeLessThan(24 * 1024);
    }

    // What was sent is what the hub holds: the mapped country and confidence, the default category.
    const lookup = await hub.get<{ matches: { key: string; categories: string[]; confidence: number; country: string }[] }>(
      `/v1/lookup?number=${encodeURIComponent(number('300', 1))}`,
    );
    expect(lookup.matches[0]).toMatchObject({ key: number('300', 1), categories: ['wangiri'], confidence: 51, country: 'PK' });
  });

  it('a rerun after a SIGKILL in the middle replays the committed batches and counts nothing twice', { timeout: 90_000 }, async () => {
    const rows = 30_000;
    const path = join(tmp.dir, 'crash-feed.csv');
    const bad = await writePartnerCsv(path, rows, '301');
    const key = await hub.partner(['submitter']);
    const env = { HUB_URL: hub.base, HUB_API_KEY: key };
    const args = ['submit', path, ...MAP, '--json'];
    const before = await acceptedTotals(hub);
    const head = async () => (await hub.get<{ head: number }>('/v1/partners')).head;
    const startHead = await head();

    // Kill once a few batches are committed, well before the end.
    const first = startCli(args, env);
    await waitUntil(async () => (await head()) >= startHead + 3000 || first.child.exitCode !== null, 'three committed batches');
    first.child.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal, 'the first run finished before it could be killed').toBe('SIGKILL');
    const committed = (await acceptedTotals(hub)).created! - (before.created ?? 0);
    expect(committed).toBeGreaterThanOrEqual(2000); // (the last committed batch may not be counted yet)
    expect(committed).toBeLessThan(rows - bad.size);

    const rerun = await runCli(args, env);
    expect(rerun.code, rerun.stderr).toBe(1);
    const summary = summaryOf(rerun);
    // Replayed batches answer as they first did, so the rerun adds up like one uninterrupted run.
    expect(summary).toMatchObject({ rows, created: rows - bad.size, corroborated: 0, duplicate: 0, rejected: bad.size });
    const rejects = parse(readFileSync(summary.rejects!), { columns: true }) as Record<string, string>[];
    expect(new Map(rejects.map((r) => [Number(r.row), r.code]))).toEqual(bad);

    // The hub processed every item exactly once over both runs: no duplicate sighting anywhere.
    const after = await acceptedTotals(hub);
    expect(after.created! - (before.created ?? 0)).toBe(rows - bad.size);
    expect((after.duplicate ?? 0) - (before.duplicate ?? 0)).toBe(0);
    // And per pattern, early (replayed), middle and late rows were each seen once.
    for (const i of [0, 1, 999, 1500, 2999, 10_000, 20_001, rows - 1]) {
      const found = await hub.get<{ matches: { id: string }[] }>(`/v1/lookup?number=${encodeURIComponent(number('301', i))}`);
      const pattern = await hub.get<{ reporters: number; reports: { sightings: number }[] }>(`/v1/patterns/${found.matches[0]!.id}`);
      expect(pattern.reporters).toBe(1);
      expect(pattern.reports.map((r) => r.sightings)).toEqual([1]);
    }
    expect(existsSync(`${path}.rejects.csv`)).toBe(true);
  });
});
