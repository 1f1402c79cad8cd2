import type { LookupResponse } from '../../sdk/src/index';
import { CONNECTION_HELP, CONNECTION_OPTIONS, countryFlag, parseCommand, positionals } from './args';
import type { Command } from './command';
import { clientFor, resolveConfig } from './config';
import { EXIT } from './exitCodes';
import { out, table } from './output';

const OPTIONS = { ...CONNECTION_OPTIONS, country: { type: 'string' }, json: { type: 'boolean' } } as const;

const HELP = `Usage: hub lookup NUMBER [--country CC] [--json]

Asks the hub what a switch should do with a call from NUMBER (any form intake accepts: E.164,
national with --country, 00/011 prefixes, tel: and sip: URIs). Prints the verdict (block, flag or
allow) and the matching patterns, longest prefix first.

Options:
  --country CC   how a national number is read (default: the key's partner country)
  --json         the hub's answer as JSON

${CONNECTION_HELP}

Example:
  hub lookup "0300 1234567" --country PK`;

/** `hub lookup NUMBER`: the verdict and matches. */
export const lookupCommand: Command = {
  name: 'lookup',
  summary: 'the verdict for a number (block, flag or allow) and what matches it',
  help: HELP,
  async run(argv) {
    const { values, positionals: args } = parseCommand(argv, OPTIONS);
    const [number] = positionals(args, ['NUMBER']) as [string];
    const country = values.country === undefined ? undefined : countryFlag('country', values.country);
    const client = clientFor(resolveConfig(values, process.env, 3));
    const answer = await client.lookup(number, country);
    if (values.json) await out(JSON.stringify(answer));
    else for (const line of describeVerdict(answer)) await out(line);
    return EXIT.ok;
  },
};

/** The answer as lines: the verdict, then one line per match. */
export function describeVerdict(a: LookupResponse): string[] {
  const lines = [`${a.number}  ${a.verdict}  (seq ${a.seq}, ${a.matches.length} match${a.matches.length === 1 ? '' : 'es'})`];
  if (a.allowlisted) lines.push(`  allowlisted: ${a.allowlisted.holder} (certificate ${a.allowlisted.certificate})`);
  const rows = a.matches.map((p) => [
    p.key,
    p.kind,
    p.action,
    `confidence ${p.confidence}`,
    p.categories.join(','),
    `${p.reporters} reporter${p.reporters === 1 ? '' : 's'}`,
    p.status,
    `id ${p.id}`,
  ]);
  return lines.concat(table(rows).map((l) => `  ${l}`));
}
