import type { Command } from './command';
import { describeFailure, EXIT } from './exitCodes';
import { exportCommand } from './export';
import { lookupCommand } from './lookup';
import { mirrorCommand } from './mirror';
import { exitOnClosedStdout, note, table } from './output';
import { partnersCommand } from './partners';
import { submitCommand } from './submit';
import { tailCommand } from './tail';

const COMMANDS: readonly Command[] = [submitCommand, tailCommand, exportCommand, lookupCommand, partnersCommand, mirrorCommand];

const OVERVIEW = `Usage: hub <command> [options]

The fraud number-pattern hub from the command line.

Commands:
${table(COMMANDS.map((c) => [`  ${c.name}`, c.summary])).join('\n')}

Every command takes --url URL (env HUB_URL, default http://localhost:8787) and --key KEY
(env HUB_API_KEY), and --help. Run "hub <command> --help" for its options.

Exit codes: 0 ok, 1 some rows rejected or the hub answered an error, 2 usage, 3 hub unreachable or
the key refused (401/403).`;

/** Runs `hub` with its arguments (no node or script path) and resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
    process.stdout.write(OVERVIEW + '\n');
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const wanted = name === 'help' ? rest[0] : name;
  const command = COMMANDS.find((c) => c.name === wanted);
  if (!command) {
    note(`hub: unknown command "${wanted}"; run "hub --help" for the list`);
    return EXIT.usage;
  }
  if (name === 'help' || wantsHelp(rest)) {
    process.stdout.write(command.help + '\n');
    return EXIT.ok;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    const { code, message } = describeFailure(err);
    note(`hub ${command.name}: ${message}`);
    if (code === EXIT.usage) note(`run "hub ${command.name} --help" for its options`);
    return code;
  }
}

/** --help anywhere before a "--" asks for help, whatever else is on the line. */
function wantsHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

exitOnClosedStdout();
process.exitCode = await main(process.argv.slice(2));
