import { createServer, request, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** A proxy in front of the hub that can refuse WebSocket upgrades (like some corporate proxies). */
export interface TestProxy {
  url: string;
  /** Where requests go (host:port); may change, e.g. after the hub restarts on another port. */
  target: string;
  blockUpgrades: boolean;
  /** Cuts every open WebSocket tunnel. */
  dropTunnels(): void;
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 forwarding to `target` (host:port). */
export async function startProxy(target: string): Promise<TestProxy> {
  const tunnels = new Set<Socket>();
  const proxy: TestProxy = {
    url: '',
    target,
    blockUpgrades: false,
    dropTunnels: () => {
      for (const s of tunnels) s.destroy();
      tunnels.clear();
    },
    close: async () => {
      proxy.dropTunnels();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((req, res) => {
    const [h, p] = proxy.target.split(':');
    const upstream = request({ host: h, port: Number(p), method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('bad gateway');
    });
    req.pipe(upstream);
  });
  server.on('upgrade', (req: IncomingMessage, client: Socket, head: Buffer) => {
    if (proxy.blockUpgrades) {
      client.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      return;
    }
    const [h, p] = proxy.target.split(':');
    const upstream = connect(Number(p), h!, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(lines.join('\r\n') + '\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    tunnels.add(client);
    tunnels.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      tunnels.delete(client);
      tunnels.delete(upstream);
    };
    upstream.on('error', end);
    client.on('error', end);
    upstream.on('close', end);
    client.on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
