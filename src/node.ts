import pino from 'pino';
import { ensureOperator, type OperatorAccess } from './bootstrap';
import { loadConfig, type Config } from './config';
import { openDatabase } from './db/client';
import { createHubServer } from './http/nodeServer';
import { startHub } from './hub';

/** Node entry: configuration, database and migrations, HTTP server, graceful shutdown. */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  const log = pino({ level: config.HUB_LOG_LEVEL, base: { svc: 'fraud-hub' }, redact: ['req.headers.authorization'] });
  const database = await openDatabase({ url: config.DATABASE_URL, dataDir: config.HUB_DATA_DIR, poolSize: config.HUB_DB_POOL_SIZE });
  const access = await ensureOperator(config, database);
  const hub = await startHub({
    database,
    log,
    retentionDays: config.HUB_FEED_RETENTION_DAYS,
    maintenanceMs: config.HUB_SWEEP_MS,
    settings: {
      maxBodyBytes: config.HUB_MAX_BODY_BYTES,
      maxBatchItems: config.HUB_MAX_BATCH_ITEMS,
      rules: config.HUB_TRUST_RULES,
      wsMaxBufferedBytes: config.HUB_WS_MAX_BUFFER_BYTES,
      wsHeartbeatMs: config.HUB_WS_HEARTBEAT_MS,
      wsPositionMs: config.HUB_WS_POSITION_MS,
      rateLimits: {
        intake: { perSecond: config.HUB_RATE_INTAKE_PER_SEC, burst: config.HUB_RATE_INTAKE_BURST },
        lookup: { perSecond: config.HUB_RATE_LOOKUP_PER_SEC, burst: config.HUB_RATE_LOOKUP_BURST },
      },
    },
  });
  const server = createHubServer(hub, { log, hostname: config.HOST });
  hub.attach(server);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
    server.listen(config.PORT, config.HOST);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  printBanner(config, database.kind, port, access);
  log.info({ port, database: database.kind, seq: hub.tail.position, patterns: hub.matcher.size }, 'hub listening');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'draining');
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await hub.stop(); // closes WebSocket feeds (1001) and ends long polls, so draining does not wait for them
    const grace = setTimeout(() => server.closeAllConnections(), config.HUB_SHUTDOWN_GRACE_MS);
    await closed;
    clearTimeout(grace);
    await database.close();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

function printBanner(config: Config, kind: string, port: number, access: OperatorAccess): void {
  const where = kind === 'pglite' ? `embedded PGlite in ${config.HUB_DATA_DIR}` : 'PostgreSQL (DATABASE_URL)';
  const lines = [`fraud hub listening on http://localhost:${port} (${where})`, `  API document: http://localhost:${port}/openapi.json`];
  if (access.kind === 'generated') {
    lines.push(`  operator API key: ${access.key}`);
    if (access.savedTo) lines.push(`  (kept in ${access.savedTo}; set HUB_OPERATOR_KEY to choose your own)`);
  } else if (access.kind === 'existing') {
    lines.push('  an operator already exists; set HUB_OPERATOR_KEY to (re)gain an operator key');
  }
  process.stderr.write(lines.join('\n') + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`hub failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
