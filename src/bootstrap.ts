import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config';
import type { Database } from './db/client';
import { generateApiKey, hashApiKey } from './http/apiKeys';
import { ensureOperatorKey, hasOperator } from './store/partners';

/** How the operator can get in, for the start-up banner. */
export type OperatorAccess =
  | { kind: 'configured' }
  | { kind: 'generated'; key: string; savedTo?: string }
  | { kind: 'existing' };

/**
 * Makes sure an operator can log in. `HUB_OPERATOR_KEY` is ensured as given. Without it, a first
 * start makes an operator and returns its key to print; the embedded database also keeps that key
 * in its data directory (mode 0600) so a restart can print it again.
 */
export async function ensureOperator(config: Config, database: Database): Promise<OperatorAccess> {
  if (config.HUB_OPERATOR_KEY) {
    await ensureOperatorKey(database.db, hashApiKey(config.HUB_OPERATOR_KEY), 'ZZ');
    return { kind: 'configured' };
  }
  const keyFile = database.kind === 'pglite' ? join(config.HUB_DATA_DIR, 'operator.key') : undefined;
  const saved = keyFile ? readKey(keyFile) : undefined;
  if (saved) {
    await ensureOperatorKey(database.db, hashApiKey(saved), 'ZZ');
    return { kind: 'generated', key: saved, savedTo: keyFile };
  }
  if (await hasOperator(database.db)) return { kind: 'existing' };
  const key = generateApiKey();
  await ensureOperatorKey(database.db, hashApiKey(key), 'ZZ');
  if (keyFile) writeFileSync(keyFile, key + '\n', { mode: 0o600 });
  return { kind: 'generated', key, ...(keyFile ? { savedTo: keyFile } : {}) };
}

function readKey(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
