import { createServer, type Server } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { Logger } from 'pino';
import type { Hub } from '../hub';
import { lookupLane } from './lookupLane';

/**
 * The hub's HTTP server on Node: plain lookups take the fast lane (lookupLane.ts); everything
 * else, and any lookup the lane passes on, goes to the Hono app through @hono/node-server's
 * listener (as `serve()` would wire it). The WebSocket feed attaches to the same server
 * (`hub.attach`). `hostname` is what the app's request URLs are built with.
 */
export function createHubServer(hub: Pick<Hub, 'app' | 'keys' | 'lookups' | 'requests'>, opts: { log: Logger; hostname?: string }): Server {
  const app = getRequestListener(hub.app.fetch, { hostname: opts.hostname });
  const lane = lookupLane(hub);
  return createServer((req, res) => {
    let answered = false;
    try {
      answered = lane(req, res);
    } catch (err) {
      // A bug in the lane must not cost the request: unless it already answered, the app does.
      opts.log.error({ err }, 'lookup lane failed');
      answered = res.headersSent;
    }
    if (!answered) void app(req, res);
  });
}
