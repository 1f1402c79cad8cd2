import { createServer, type Server } from 'node:http';

/** An indicator as the benchmark submits it. */
export interface BenchIndicator {
  pattern: string;
  category: string;
  confidence: number;
}

/**
 * The HTTP side of a baseline broadcaster (bare ws, socket.io): POST /submit takes the same body
 * the hub's intake takes, hands the indicators and the seq of the first to `broadcast`, and answers
 * `{seq}`. Requests that `passThrough` claims are left to whatever else listens on the server.
 */
export function submitServer(broadcast: (indicators: BenchIndicator[], first: number) => void, passThrough: (url: string) => boolean = () => false) {
  let seq = 0;
  const server: Server = createServer((req, res) => {
    if (passThrough(req.url ?? '')) return;
    if (req.method !== 'POST' || req.url !== '/submit') return void res.writeHead(404).end();
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const { indicators } = JSON.parse(body) as { indicators: BenchIndicator[] };
      const first = seq + 1;
      seq += indicators.length;
      broadcast(indicators, first);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ seq }));
    });
  });
  const listening = new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
  return { server, listening, seq: () => seq };
}
