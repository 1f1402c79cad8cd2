import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, startCli, startCliHub, tempDir, waitUntil, type CliHub } from '../support/cliHarness';

/** Every `hub` command against a real hub process: help, usage errors, exit codes, and what each prints. */

const COMMANDS = ['submit', 'tail', 'export', 'lookup', 'partners', 'mirror'];

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('hub commands', () => {
  let hub: CliHub;
  let tmp: { dir: string; remove: () => void };
  let submitter: Record<string, string>;
  let subscriber: Record<string, string>;
  let operator: Record<string, string>;
  /** A small indicator file in the tmp dir. */
  const file = (name: string, text: string) => {
    const path = join(tmp.dir, name);
    writeFileSync(path, text);
    return path;
  };

  beforeAll(async () => {
    hub = await startCliHub();
    tmp = tempDir('hub-cli-commands-');
    submitter = { HUB_URL: hub.base, HUB_API_KEY: await hub.partner(['submitter']) };
    subscriber = { HUB_URL: hub.base, HUB_API_KEY: await hub.partner(['subscriber'], 'GB') };
    operator = { HUB_URL: hub.base, HUB_API_KEY: hub.operatorKey };
  });
  afterAll(async () => {
    await hub?.close();
    tmp?.remove();
  });

  it('--help on hub and on every command exits 0 and says how to use it', { timeout: 120_000 }, async () => {
    const overview = await runCli(['--help'], {});
    expect(overview.code).toBe(0);
    for (const name of COMMANDS) expect(overview.stdout).toContain(`  ${name} `);
    const results = await Promise.all([
      ...COMMANDS.map((name) => runCli([name, '--help'], {})),
      runCli(['partners', 'add', '--help'], {}),
      runCli(['help', 'export'], {}),
      runCli(['submit', '-h', '--batch-size', 'nonsense'], {}),
    ]);
    const names = [...COMMANDS, 'partners', 'export', 'submit'];
    results.forEach((r, i) => {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`Usage: hub ${names[i]}`);
      expect(r.stdout).toContain('--url');
    });
  });

  it('usage errors exit 2 with a message', { timeout: 120_000 }, async () => {
    const csv = file('ok.csv', 'pattern,category\n+923001112233,wangiri\n');
    const noPattern = file('no-pattern.csv', 'msisdn,category\n+923001112233,wangiri\n');
    const noCategory = file('no-category.csv', 'pattern\n+923001112233\n');
    const cases: [string[], Record<string, string>, RegExp][] = [
      [[], {}, /Usage: hub <command>/],
      [['frobnicate'], submitter, /unknown command "frobnicate"/],
      [['submit'], submitter, /missing FILE/],
      [['submit', join(tmp.dir, 'absent.csv')], submitter, /no such file/],
      [['submit', file('feed.txt', 'x')], submitter, /--format csv/],
      [['submit', csv, '--format', 'xml'], submitter, /--format must be csv or ndjson/],
      [['submit', csv, '--batch-size', '0'], submitter, /--batch-size must be an integer from 1 to 10000/],
      [['submit', csv, '--map', 'msisdn'], submitter, /--map takes COLUMN=FIELD/],
      [['submit', csv, '--map', 'msisdn=number'], submitter, /not an indicator field/],
      [['submit', csv, '--category', 'spam'], submitter, /--category must be one of/],
      [['submit', csv, '--confidence', '101'], submitter, /--confidence must be an integer from 1 to 100/],
      [['submit', csv, '--unknown-flag'], submitter, /Unknown option '--unknown-flag'/],
      [['submit', noPattern], submitter, /no pattern column.*--map COLUMN=pattern/],
      [['submit', noCategory], submitter, /no category column/],
      [['submit', csv, '--map', 'absent=pattern'], submitter, /--map names columns the file does not have: absent/],
      [['submit', csv], { HUB_URL: hub.base }, /no API key/],
      [['submit', csv, '--url', 'ftp://hub'], submitter, /--url must be an http\(s\) URL/],
      [['tail', '--min-confidence', '200'], subscriber, /--min-confidence must be an integer from 0 to 100/],
      [['tail', '--action', 'drop'], subscriber, /--action must be block or flag/],
      [['tail', '--country', 'Pakistan'], subscriber, /--country takes an ISO 3166-1 alpha-2 code/],
      [['export', '--format', 'xml'], subscriber, /--format must be json, csv or ndjson/],
      [['lookup'], subscriber, /missing NUMBER/],
      [['lookup', '+923001112233', 'extra'], subscriber, /unexpected argument "extra"/],
      [['partners'], operator, /missing add\|list/],
      [['partners', 'remove'], operator, /unknown partners action "remove"/],
      [['partners', 'add', '--name', 'X', '--roles', 'submitter'], operator, /needs --country/],
      [['partners', 'add', '--name', 'X', '--country', 'PK', '--roles', 'admin'], operator, /"admin" is not one of/],
      [['mirror', '--port', '70000'], subscriber, /--port must be an integer from 0 to 65535/],
    ];
    const results = await Promise.all(cases.map(([args, env]) => runCli(args, env)));
    results.forEach((r, i) => {
      const [args, , message] = cases[i]!;
      expect(r.code, `hub ${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stdout + r.stderr, `hub ${args.join(' ')}`).toMatch(message);
    });
    // Nothing was sent: a usage error never reaches the hub.
    const snapshot = await hub.get<{ patterns: unknown[] }>('/v1/feed/snapshot', subscriber.HUB_API_KEY);
    expect(snapshot.patterns).toEqual([]);
  });

  it('an unreachable hub exits 3', async () => {
    const env = { HUB_URL: `http://127.0.0.1:${await closedPort()}`, HUB_API_KEY: hub.operatorKey };
    const csv = file('unreachable.csv', 'pattern,category\n+923001112233,wangiri\n');
    const results = await Promise.all([
      runCli(['lookup', '+923001112233'], env),
      runCli(['export', '--format', 'csv'], env),
      runCli(['tail'], env),
      runCli(['partners', 'list'], env),
      runCli(['submit', csv, '--retries', '2'], env),
    ]);
    for (const r of results) {
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/hub unreachable: cannot reach http:\/\/127\.0\.0\.1:\d+.*ECONNREFUSED/);
    }
    expect(results[4]!.stderr).toContain('rerun the same command to resume');
  });

  it('a wrong key, or one without the role, exits 3', async () => {
    const wrong = { HUB_URL: hub.base, HUB_API_KEY: 'fph_this-key-was-never-issued-by-the-hub' };
    const csv = file('wrong-key.csv', 'pattern,category\n+923001112233,wangiri\n');
    const results = await Promise.all([
      runCli(['lookup', '+923001112233'], wrong),
      runCli(['submit', csv], wrong),
      runCli(['tail'], wrong),
      runCli(['export'], wrong),
      runCli(['partners', 'list'], subscriber), // 403: not an operator
      runCli(['submit', csv], subscriber), // 403: not a submitter
    ]);
    results.forEach((r, i) => {
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(i < 4 ? /refused the API key \(401 unauthorized\)/ : /refused the API key \(403 forbidden\)/);
    });
  });

  it('partners add prints a working key once; partners list shows it', async () => {
    const human = await runCli(['partners', 'add', '--name', 'AE Telecom', '--country', 'ae', '--roles', 'submitter,subscriber'], operator);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/created partner "AE Telecom" \(AE, submitter,subscriber\)/);
    expect(human.stdout).toMatch(/API key\s+fph_\S+/);

    const json = await runCli(['partners', 'add', '--name', 'GB Mobile', '--country', 'GB', '--roles', 'subscriber', '--json'], operator);
    expect(json.code, json.stderr).toBe(0);
    const created = JSON.parse(json.stdout) as { id: string; apiKey: string; roles: string[] };
    expect(created.roles).toEqual(['subscriber']);
    // The new key works (as a subscriber).
    expect((await runCli(['export'], { HUB_URL: hub.base, HUB_API_KEY: created.apiKey })).code).toBe(0);

    const list = await runCli(['partners', 'list'], operator);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^head seq \d+, \d+ partners$/m);
    expect(list.stdout).toMatch(/^NAME\s+COUNTRY\s+ROLES\s+ACKED\s+LAG\s+FEEDS\s+STATE\s+ID$/m);
    expect(list.stdout).toMatch(new RegExp(`^AE Telecom\\s+AE\\s+submitter,subscriber\\s+\\d+\\s+\\d+\\s+\\d+\\s+enabled\\s+[0-9a-f-]{36}$`, 'm'));
    const listed = JSON.parse((await runCli(['partners', 'list', '--json'], operator)).stdout) as { partners: { id: string }[] };
    expect(listed.partners.map((p) => p.id)).toContain(created.id);
  });

  it('submit (NDJSON), lookup and export in json, csv and ndjson', async () => {
    const ndjson = file(
      'feed.ndjson',
      [
        '{"number":"+92 300 555 0001","kind":"wangiri","confidence":90}',
        '{"number":"0300 5550002","kind":"robocall"}',
        'this line is not JSON',
        '',
        '{"number":"+92300555*","kind":"scam_call_center","confidence":40}',
      ].join('\n'),
    );
    const submitted = await runCli(['submit', ndjson, '--map', 'number=pattern', '--map', 'kind=category', '--country', 'PK', '--json'], submitter);
    expect(submitted.code, submitted.stderr).toBe(1);
    expect(JSON.parse(submitted.stdout)).toMatchObject({ rows: 4, created: 3, rejected: 1, rejects: `${ndjson}.rejects.ndjson` });
    const rejected = readFileSync(`${ndjson}.rejects.ndjson`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rejected).toEqual([{ row: 3, code: 'invalid_json', message: expect.stringContaining('not JSON'), line: 'this line is not JSON' }]);

    const lookup = await runCli(['lookup', '0300 5550001', '--country', 'PK'], subscriber);
    expect(lookup.code, lookup.stderr).toBe(0);
    expect(lookup.stdout).toMatch(/^\+923005550001 {2}block {2}\(seq \d+, 2 matches\)$/m);
    expect(lookup.stdout).toMatch(/^ {2}\+923005550001\s+number\s+block\s+confidence 90\s+wangiri\s+1 reporter\s+active\s+id /m);
    expect(lookup.stdout).toMatch(/^ {2}\+92300555\*\s+prefix\s+flag\s+confidence 40\s+scam_call_center/m);
    const raw = JSON.parse((await runCli(['lookup', '+923009990000', '--json'], subscriber)).stdout) as { verdict: string; matches: unknown[] };
    expect(raw).toMatchObject({ verdict: 'allow', matches: [] });

    const snapshot = await hub.get<{ seq: number; patterns: { key: string }[] }>('/v1/feed/snapshot', subscriber.HUB_API_KEY);
    const keys = snapshot.patterns.map((p) => p.key).sort();
    expect(keys).toEqual(['+92300555*', '+923005550001', '+923005550002']);

    const json = await runCli(['export', '--format', 'json'], subscriber);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(snapshot);

    const csvPath = join(tmp.dir, 'export.csv');
    const csv = await runCli(['export', '--out', csvPath], subscriber); // format from the extension
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stderr).toContain(`3 patterns at seq ${snapshot.seq} written to ${csvPath}`);
    const text = readFileSync(csvPath, 'utf8');
    expect(text.split('\n')[0]).toBe('key,kind,country,categories,confidence,reporters,action,status,firstSeen,lastSeen,validUntil,seq');
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.key).sort()).toEqual(keys);
    expect(rows.find((r) => r.key === '+923005550001')).toMatchObject({ kind: 'number', country: 'PK', categories: 'wangiri', confidence: '90', reporters: '1', action: 'block', status: 'active' });

    const ndjsonOut = await runCli(['export', '--format', 'ndjson', '--action', 'flag'], subscriber);
    expect(ndjsonOut.code, ndjsonOut.stderr).toBe(0);
    const lines = ndjsonOut.stdout.trim().split('\n').map((l) => JSON.parse(l) as { key: string; action: string });
    expect(lines.map((p) => p.action)).toEqual(lines.map(() => 'flag'));
    expect(lines.map((p) => p.key).sort()).toEqual(['+92300555*', '+923005550002']);
    expect(existsSync(`${csvPath}.tmp`)).toBe(false);
  });

  it('tail prints each change as it happens (filtered) and stops on SIGTERM', async () => {
    const tail = startCli(['tail', '--category', 'irsf,wangiri'], subscriber);
    const json = startCli(['tail', '--json', '--min-confidence', '80'], subscriber);
    await waitUntil(() => /following from seq \d+/.test(tail.stderr()) && /following from seq \d+/.test(json.stderr()), 'both tails to start');
    const csv = file('tail.csv', 'pattern,category,confidence\n+971501234567,irsf,95\n+971509999999,robocall,90\n+971507777777,wangiri,60\n');
    const submitted = await runCli(['submit', csv], submitter);
    expect(submitted.code, submitted.stderr).toBe(0);

    await waitUntil(() => tail.stdout().includes('+971507777777') && json.stdout().includes('+971509999999'), 'the changes on both tails');
    tail.child.kill('SIGTERM');
    json.child.kill('SIGTERM');
    const [plain, raw] = await Promise.all([tail.done, json.done]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(raw.code, raw.stderr).toBe(0);

    // SEQ OP KEY ACTION CONFIDENCE CATEGORIES; robocall is filtered out.
    const lines = plain.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d+ {2}upsert {2}\+971501234567 {5}block {3}95 {2}irsf$/);
    expect(lines[1]).toMatch(/^\d+ {2}upsert {2}\+971507777777\s+flag\s+60 {2}wangiri$/);
    // --json: the raw changes of confidence 80 and up.
    const changes = raw.stdout.trim().split('\n').map((l) => JSON.parse(l) as { seq: number; op: string; pattern: { key: string } });
    expect(changes.map((c) => [c.op, c.pattern.key])).toEqual([
      ['upsert', '+971501234567'],
      ['upsert', '+971509999999'],
    ]);
    expect(changes[1]!.seq).toBeGreaterThan(changes[0]!.seq);

    // --since replays from there.
    const since = startCli(['tail', '--since', String(changes[0]!.seq - 1), '--json'], subscriber);
    await waitUntil(() => since.stdout().includes('+971507777777'), 'the replayed changes');
    since.child.kill('SIGINT');
    const replayed = await since.done;
    expect(replayed.code).toBe(0);
    expect(replayed.stdout.trim().split('\n')).toHaveLength(3);
  });

  it.skipIf(!existsSync(join(ROOT, 'clients/mirror/src/index.ts')))('mirror starts, says where it listens, and stops on SIGTERM', async () => {
    const data = join(tmp.dir, 'mirror');
    const mirror = startCli(['mirror', '--port', '0', '--data', data], subscriber);
    await waitUntil(() => /listening on http/.test(mirror.stderr()) || mirror.child.exitCode !== null, 'the mirror to listen');
    mirror.child.kill('SIGTERM');
    const result = await mirror.done;
    expect(result.code, result.stderr).toBe(0);
  });
});
