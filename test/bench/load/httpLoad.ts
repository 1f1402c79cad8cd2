/**
 * Load process for the HTTP lookup part: autocannon with keep-alive connections cycling through
 * a list of paths; reports requests/s, latency percentiles and every non-2xx or error.
 */
import autocannon from 'autocannon';
import { serveParent } from '../lib/child';

interface RunArg {
  base: string;
  paths: string[];
  headers: Record<string, string>;
  connections: number;
  seconds: number;
}

async function run(arg: RunArg) {
  const r = await autocannon({
    url: arg.base,
    connections: arg.connections,
    duration: arg.seconds,
    pipelining: 1,
    headers: arg.headers,
    requests: arg.paths.map((path) => ({ method: 'GET', path })),
  });
  return {
    perSecond: r.requests.total / r.duration,
    total: r.requests.total,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}

serveParent('httpLoad', { run });
