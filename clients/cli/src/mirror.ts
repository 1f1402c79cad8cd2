import { CONNECTION_HELP, CONNECTION_OPTIONS, FILTER_HELP, FILTER_OPTIONS, countryFlag, filterFrom, intFlag, parseCommand, positionals } from './args';
import type { Command } from './command';
import { resolveConfig } from './config';
import { EXIT } from './exitCodes';
import { note } from './output';
import { untilStopped } from './signals';

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  ...FILTER_OPTIONS,
  port: { type: 'string' },
  host: { type: 'string' },
  data: { type: 'string' },
  'default-country': { type: 'string' },
} as const;

const HELP = `Usage: hub mirror [--port N] [--data DIR] [filter] [options]

Runs a local mirror of the block list: it follows the hub's feed (resuming from its saved
position in DIR after a restart) and answers lookups from memory on its own port, so a switch
keeps working when the hub is far away or down. Runs until SIGINT or SIGTERM. Needs a subscriber key.

Options:
  --port N                 port to listen on (default 8788; 0 picks a free one)
  --host H                 interface to listen on (default 127.0.0.1)
  --data DIR               where the list is kept between runs (default ./.hub-mirror)
  --default-country CC     how national numbers in lookups are read

${FILTER_HELP}

${CONNECTION_HELP}

Example:
  hub mirror --port 8788 --data /var/lib/hub-mirror --country PK,AE`;

/** `hub mirror`: the local sidecar (startMirror from clients/mirror), until a signal. */
export const mirrorCommand: Command = {
  name: 'mirror',
  summary: 'run a local mirror of the list that answers lookups (until Ctrl-C)',
  help: HELP,
  async run(argv) {
    const { values, positionals: args } = parseCommand(argv, OPTIONS);
    positionals(args, []);
    const filter = filterFrom(values);
    const port = intFlag('port', values.port, 0, 65_535) ?? 8788;
    const defaultCountry = values['default-country'] === undefined ? undefined : countryFlag('default-country', values['default-country']);
    const config = resolveConfig(values, process.env, 3);
    // Loaded here, not at the top: the other commands never load the mirror's server.
    const { startMirror } = await import('../../mirror/src/index');
    const mirror = await startMirror({
      hubUrl: config.url,
      apiKey: config.apiKey,
      port,
      dataDir: values.data ?? '.hub-mirror',
      ...(values.host !== undefined ? { host: values.host } : {}),
      ...(Object.keys(filter).length ? { filter } : {}),
      ...(defaultCountry ? { defaultCountry } : {}),
    });
    // Caught before the line that says it listens: whoever reads that line may stop it at once.
    const stopped = untilStopped();
    note(`hub mirror: listening on ${mirror.url} (list kept in ${values.data ?? '.hub-mirror'}); Ctrl-C stops it`);
    await stopped;
    await mirror.close();
    return EXIT.ok;
  },
};
