import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import pino from 'pino';
import type { Role } from '../../schemas/common';
import type { Database } from '../../src/db/client';
import { DEFAULT_TRUST_RULES } from '../../src/domain/trust';
import { generateApiKey, hashApiKey } from '../../src/http/apiKeys';
import { createHubServer } from '../../src/http/nodeServer';
import { startHub, type Hub } from '../../src/hub';
import type { HubSettings } from '../../src/routes/deps';
import { ensureOperatorKey } from '../../src/store/partners';
import { openTestDatabase } from './db';

/** A hub over a database of the test's own, with an operator key and helpers to call it. */
export interface TestHub {
  hub: Hub;
  database: Database;
  operatorKey: string;
  /** Calls the app in process (no socket). */
  request(path: string, init?: RequestInit & { key?: string }): Promise<Response>;
  /** Onboards a partner through the API and returns its id and key. */
  partner(opts?: { roles?: Role[]; country?: string; name?: string }): Promise<{ id: string; key: string }>;
  /** Listens on 127.0.0.1 (random port), with the WebSocket feed, and returns the base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

export interface TestHubOptions {
  maxBodyBytes?: number;
  maxBatchItems?: number;
  clock?: () => Date;
  wsMaxBufferedBytes?: number;
  wsHeartbeatMs?: number;
  wsPositionMs?: number;
  /** How long one turn hands live frames to sockets (0: a slice per 32 sockets). */
  fanoutSliceMs?: number;
  rateLimits?: HubSettings['rateLimits'];
}

/** Starts a hub for one test file. */
export async function startTestHub(opts: TestHubOptions = {}): Promise<TestHub> {
  const { database, drop } = await openTestDatabase();
  const operatorKey = generateApiKey();
  await ensureOperatorKey(database.db, hashApiKey(operatorKey), 'ZZ');
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const hub = await startHub({
    database,
    log,
    settings: {
      maxBodyBytes: opts.maxBodyBytes ?? 16 * 1024 * 1024,
      maxBatchItems: opts.maxBatchItems ?? 10_000,
      rules: DEFAULT_TRUST_RULES,
      wsMaxBufferedBytes: opts.wsMaxBufferedBytes ?? 4 * 1024 * 1024,
      wsHeartbeatMs: opts.wsHeartbeatMs ?? 30_000,
      wsPositionMs: opts.wsPositionMs ?? 1_000,
      // Generous by default: most tests are not about limits.
      rateLimits: opts.rateLimits ?? { intake: { perSecond: 10_000, burst: 10_000 }, lookup: { perSecond: 100_000, burst: 100_000 } },
    },
    clock: opts.clock,
    processMetrics: false,
    maintenanceMs: 0, // tests call hub.sweep() when they mean it
    tailPollMs: 500,
    fanoutSliceMs: opts.fanoutSliceMs,
  });
  let server: Server | undefined;
  let counter = 0;
  const request = (path: string, init: RequestInit & { key?: string } = {}) => {
    const { key, headers, ...rest } = init;
    const h = new Headers(headers);
    if (key) h.set('authorization', `Bearer ${key}`);
    return Promise.resolve(hub.app.request(path, { ...rest, headers: h }));
  };
  return {
    hub,
    database,
    operatorKey,
    request,
    async partner({ roles = ['submitter', 'subscriber'], country = 'PK', name } = {}) {
      const res = await request('/v1/partners', {
        method: 'POST',
        key: operatorKey,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: name ?? `partner-${++counter}`, country, roles }),
      });
      if (res.status !== 201) throw new Error(`partner create failed: ${res.status} ${await res.text()}`);
      const body = (await res.json()) as { id: string; apiKey: string };
      return { id: body.id, key: body.apiKey };
    },
    async listen() {
      server = createHubServer(hub, { log, hostname: '127.0.0.1' });
      hub.attach(server);
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    async close() {
      await hub.stop();
      if (server) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server!.close(() => resolve()));
      }
      await drop();
    },
  };
}

/** JSON body helper for submissions. */
export function json(body: unknown): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
