import type { Change } from '../../../schemas/feed';
import { BlockList, ResyncRequiredError, type SubscriptionStatus } from '../../sdk/src/index';
import { CONNECTION_HELP, CONNECTION_OPTIONS, FILTER_HELP, FILTER_OPTIONS, filterFrom, intFlag, parseCommand, positionals } from './args';
import type { Command } from './command';
import { clientFor, resolveConfig } from './config';
import { EXIT } from './exitCodes';
import { note, out } from './output';
import { untilStopped } from './signals';

/** Any number the hub can parse: its lookup answer is only asked for its `seq`. */
const PROBE_NUMBER = '+12025550100';

const OPTIONS = { ...CONNECTION_OPTIONS, ...FILTER_OPTIONS, since: { type: 'string' }, json: { type: 'boolean' } } as const;

const HELP = `Usage: hub tail [options]

Prints the hub's changes as they happen, one line each:
  SEQ  OP  KEY  ACTION  CONFIDENCE  CATEGORIES
Follows the feed over WebSocket (long-poll pull when WebSockets are blocked), reconnecting and
resuming by itself, until SIGINT or SIGTERM. Needs a subscriber key.

Options:
  --since N    start after seq N (default: now, the current head of the log)
  --json       raw changes, one JSON object per line (NDJSON)

${FILTER_HELP}

${CONNECTION_HELP}

Example:
  hub tail --country PK --min-confidence 70 --action block`;

/** `hub tail`: live changes, one line each, until a signal. */
export const tailCommand: Command = {
  name: 'tail',
  summary: 'print live changes as they happen (until Ctrl-C)',
  help: HELP,
  async run(argv) {
    const { values, positionals: args } = parseCommand(argv, OPTIONS);
    positionals(args, []);
    const filter = filterFrom(values);
    const since = intFlag('since', values.since, 0, Number.MAX_SAFE_INTEGER);
    const client = clientFor(resolveConfig(values, process.env, 3));

    // Checks the key (and that --since is inside the log) before following, so a bad start fails at once.
    let start: number;
    if (since !== undefined) {
      try {
        await client.changes(since, { limit: 1, filter });
      } catch (err) {
        if (!(err instanceof ResyncRequiredError)) throw err;
        note(`hub tail: seq ${since} is outside the hub's change log (pruned, or past the head); run without --since, or export a snapshot first`);
        return EXIT.failed;
      }
      start = since;
    } else {
      // "Now" is the hub's position, which every lookup answer carries: far cheaper than a snapshot
      // of the whole list. It may trail the head by a moment, so a change may show that just happened.
      start = (await client.lookup(PROBE_NUMBER)).seq;
    }
    // An empty list at `start`: the subscription resumes from there instead of taking a snapshot.
    const list = new BlockList();
    list.applySnapshot(start, []);
    note(`hub tail: following from seq ${start}`);

    let printing = Promise.resolve();
    const print = (changes: readonly Change[], seq: number) => {
      const lines = changes.map((c) => (values.json ? JSON.stringify(c) : formatChange(c))).join('\n');
      printing = printing.then(() => out(lines));
      // tail only prints: emptying the list (at the same seq) keeps memory flat however long it runs.
      list.applySnapshot(seq, []);
    };
    let last: Pick<SubscriptionStatus, 'mode' | 'connected'> = { mode: 'connecting', connected: false };
    let stopping = false;
    const subscription = client.subscribe({
      list,
      filter,
      onChanges: print,
      onSnapshot: (seq) => note(`hub tail: the position was outside the change log; resynced from a snapshot at seq ${seq} (changes in between are not shown)`),
      onStatus: (s) => {
        if (stopping || (s.connected === last.connected && s.mode === last.mode)) return;
        if (s.connected) note(`hub tail: live (${s.mode}) at seq ${s.seq}`);
        else if (last.connected) note(`hub tail: disconnected${s.lastError ? ` (${s.lastError})` : ''}; reconnecting`);
        last = { mode: s.mode, connected: s.connected };
      },
    });
    await untilStopped();
    stopping = true;
    await subscription.close();
    await printing;
    return EXIT.ok;
  },
};

/** One change as a line: seq, op, key, action, confidence, categories. */
export function formatChange(c: Change): string {
  const p = c.pattern;
  return [String(c.seq), c.op.padEnd(6), p.key.padEnd(16), p.action.padEnd(5), String(p.confidence).padStart(3), p.categories.join(',')].join('  ');
}
