import { ROLES, type Role } from '../../../schemas/common';
import { CONNECTION_HELP, CONNECTION_OPTIONS, countryFlag, listOf, parseCommand, positionals } from './args';
import type { Command } from './command';
import { clientFor, resolveConfig } from './config';
import { EXIT, UsageError } from './exitCodes';
import { out, table } from './output';

const OPTIONS = { ...CONNECTION_OPTIONS, name: { type: 'string' }, country: { type: 'string' }, roles: { type: 'string', multiple: true }, json: { type: 'boolean' } } as const;

const HELP = `Usage: hub partners add --name NAME --country CC --roles ROLE[,ROLE] [--json]
       hub partners list [--json]

Operators onboard partners and watch their feed positions (needs an operator key).
  add    creates a partner and prints its API key: it is shown once, keep it now
  list   every partner with its roles, acknowledged seq, lag behind the head, open feeds

Options:
  --name NAME        the partner's name (add)
  --country CC       its ISO 3166-1 alpha-2 country (add)
  --roles R[,R]      ${ROLES.join(', ')} (add)
  --json             the hub's answer as JSON

${CONNECTION_HELP}

Examples:
  hub partners add --name "PK Telecom" --country PK --roles submitter
  hub partners add --name "GB Mobile" --country GB --roles subscriber
  hub partners list`;

/** `hub partners add|list`: onboarding and feed positions, for operators. */
export const partnersCommand: Command = {
  name: 'partners',
  summary: 'operators: add a partner (prints its key once), list partners and their feed lag',
  help: HELP,
  async run(argv) {
    const { values, positionals: args } = parseCommand(argv, OPTIONS);
    const [action] = positionals(args, ['add|list']);
    if (action === 'add') return add(values);
    if (action === 'list') return list(values);
    throw new UsageError(`unknown partners action "${action}": use add or list`);
  },
};

async function add(values: { name?: string; country?: string; roles?: string[]; json?: boolean; url?: string; key?: string; retries?: string }): Promise<number> {
  if (!values.name?.trim()) throw new UsageError('partners add needs --name NAME');
  if (values.country === undefined) throw new UsageError('partners add needs --country CC');
  const country = countryFlag('country', values.country);
  const roles = listOf(values.roles);
  if (roles.length === 0) throw new UsageError(`partners add needs --roles (${ROLES.join(', ')})`);
  const bad = roles.find((r) => !(ROLES as readonly string[]).includes(r));
  if (bad) throw new UsageError(`--roles: "${bad}" is not one of ${ROLES.join(', ')}`);
  const client = clientFor(resolveConfig(values, process.env, 1));
  const created = await client.createPartner({ name: values.name.trim(), country, roles: roles as Role[] });
  if (values.json) {
    await out(JSON.stringify(created));
    return EXIT.ok;
  }
  await out(`created partner "${created.name}" (${created.country}, ${created.roles.join(',')})`);
  await out(`  id       ${created.id}`);
  await out(`  API key  ${created.apiKey}`);
  await out('  the key is shown only this once: hand it over now; the hub keeps only its hash');
  return EXIT.ok;
}

async function list(values: { json?: boolean; url?: string; key?: string; retries?: string }): Promise<number> {
  const client = clientFor(resolveConfig(values, process.env, 3));
  const answer = await client.partners();
  if (values.json) {
    await out(JSON.stringify(answer));
    return EXIT.ok;
  }
  await out(`head seq ${answer.head}, ${answer.partners.length} partners`);
  const rows = [['NAME', 'COUNTRY', 'ROLES', 'ACKED', 'LAG', 'FEEDS', 'STATE', 'ID']].concat(
    answer.partners.map((p) => [p.name, p.country, p.roles.join(','), String(p.ackedSeq), String(p.lag), String(p.connected), p.disabled ? 'disabled' : 'enabled', p.id]),
  );
  for (const line of table(rows)) await out(line);
  return EXIT.ok;
}
