/** The machine and software versions a run was measured on, for results.json and RESULTS.md. */
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { serverVersion } from './db';
import { ROOT } from './proc';

export interface Machine {
  cores: number;
  cpu: string;
  memoryGiB: number;
  os: string;
  node: string;
  postgres: string;
  openFiles: string;
  packages: Record<string, string>;
}

const PACKAGES = ['hono', '@hono/node-server', 'ws', 'postgres', '@electric-sql/pglite', 'libphonenumber-js', 'socket.io', 'socket.io-client', 'autocannon', 'tsx'];

export async function describeMachine(): Promise<Machine> {
  const packages: Record<string, string> = {};
  for (const p of PACKAGES) {
    try {
      packages[p] = (JSON.parse(readFileSync(join(ROOT, 'node_modules', p, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      packages[p] = 'missing';
    }
  }
  let postgres = 'unreachable';
  try {
    postgres = await serverVersion();
  } catch (err) {
    postgres = `unreachable (${(err as Error).message})`;
  }
  let openFiles = '?';
  try {
    openFiles = execSync('ulimit -n', { shell: '/bin/bash', encoding: 'utf8' }).trim();
  } catch {
    // not a shell we know
  }
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${process.platform} ${release()}`,
    node: process.version,
    postgres,
    openFiles,
    packages,
  };
}
