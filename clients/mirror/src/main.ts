/**
 * Runs a mirror on its own (without the `hub` command):
 *   HUB_API_KEY=… node --import tsx clients/mirror/src/main.ts --url http://hub:8787 --port 8788 --data ./mirror-data
 * Flags as in `hub mirror` (clients/cli), plus two for tuning; for hosts without the CLI. The key
 * comes from HUB_API_KEY only, so it never shows in a process list.
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { FeedFilter } from '../../../schemas/feed';
import { startMirror } from './index';

const USAGE = `usage: HUB_API_KEY=<subscriber key> mirror [--url URL] [--port 8788] [--host 127.0.0.1] [--data ./.hub-mirror]
  [--country PK,GB] [--category wangiri,irsf] [--min-confidence N] [--action block|flag]
  [--default-country PK] [--save-every-ms 1000] [--reconnect-max-ms 5000]`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

const { values: a } = (() => {
  try {
    return parseArgs({
      options: {
        url: { type: 'string', default: process.env.HUB_URL ?? 'http://localhost:8787' },
        port: { type: 'string', default: '8788' },
        host: { type: 'string', default: '127.0.0.1' },
        data: { type: 'string', default: './.hub-mirror' },
        country: { type: 'string' },
        category: { type: 'string' },
        'min-confidence': { type: 'string' },
        action: { type: 'string' },
        'default-country': { type: 'string' },
        'save-every-ms': { type: 'string', default: '1000' },
        'reconnect-max-ms': { type: 'string', default: '5000' },
      },
    });
  } catch (err) {
    return fail((err as Error).message);
  }
})();

const list = (v: string | undefined) => v?.split(',').map((s) => s.trim()).filter(Boolean);
const filter = FeedFilter.safeParse({
  country: list(a.country)?.map((c) => c.toUpperCase()),
  category: list(a.category),
  minConfidence: a['min-confidence'] === undefined ? undefined : Number(a['min-confidence']),
  action: a.action,
});
const number = (name: string, v: string) => (/^\d+$/.test(v) ? Number(v) : fail(`--${name} must be a whole number`));
if (!process.env.HUB_API_KEY) fail('HUB_API_KEY is required');
if (!filter.success) fail(`bad filter: ${filter.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);

const log = pino({ name: 'hub-mirror', level: process.env.HUB_LOG_LEVEL ?? 'info' }, pino.destination(2));
const mirror = await startMirror({
  hubUrl: a.url,
  apiKey: process.env.HUB_API_KEY,
  port: number('port', a.port),
  host: a.host,
  dataDir: a.data,
  filter: filter.data,
  defaultCountry: a['default-country']?.toUpperCase(),
  saveEveryMs: number('save-every-ms', a['save-every-ms']),
  sync: { reconnect: { attempts: Infinity, baseMs: 250, maxMs: number('reconnect-max-ms', a['reconnect-max-ms']) } },
  logger: log,
});
process.stderr.write(`hub mirror listening on ${mirror.url}\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await mirror.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
