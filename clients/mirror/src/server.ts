import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';

/** A listening HTTP server and how to stop it. */
export interface Listening {
  url: string;
  close(): Promise<void>;
}

/** Serves `app` on host:port (0 picks a free port) and resolves with the real URL once listening. */
export async function listen(app: Hono, port: number, host: string): Promise<Listening> {
  const server = serve({ fetch: app.fetch, port, hostname: host }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Switches keep connections open: idle ones go now, busy ones after a short grace.
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 1000).unref();
      }),
  };
}
