import { DEFAULT_RETRY, HubClient } from '../../sdk/src/index';
import { intFlag } from './args';
import { UsageError } from './exitCodes';

/** Where the hub is and which key to use, from flags first, then the environment. */
export interface HubConfig {
  url: string;
  apiKey: string;
  attempts: number;
}

/** The hub the CLI talks to when neither --url nor HUB_URL says otherwise (what `npm start` runs). */
export const DEFAULT_URL = 'http://localhost:8787';

/**
 * Reads --url/--key/--retries, falling back to HUB_URL/HUB_API_KEY. `attempts` is the default
 * number of attempts per request: long batch jobs ride out a hub restart, interactive commands fail fast.
 */
export function resolveConfig(
  values: { url?: string; key?: string; retries?: string },
  env: NodeJS.ProcessEnv,
  attempts: number,
): HubConfig {
  const url = values.url ?? env.HUB_URL ?? DEFAULT_URL;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new UsageError(`--url must be an http(s) URL, not "${url}"`);
  }
  const apiKey = values.key ?? env.HUB_API_KEY;
  if (!apiKey) throw new UsageError('no API key: pass --key KEY or set HUB_API_KEY');
  return { url, apiKey, attempts: intFlag('retries', values.retries, 1, 100) ?? attempts };
}

/** An SDK client for the configuration. */
export function clientFor(config: HubConfig): HubClient {
  return new HubClient({ url: config.url, apiKey: config.apiKey, retry: { ...DEFAULT_RETRY, attempts: config.attempts } });
}
