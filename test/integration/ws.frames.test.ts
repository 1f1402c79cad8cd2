import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { FeedSocket } from '../../src/feed/hub';
import { WsFeedSocket } from '../../src/feed/ws';

// The feed's socket adapter between a real ws server and a real ws client: shared messages are
// framed by the hub (src/feed/textFrame.ts) and written to the socket beside the frames ws writes.
let server: Server;
let wss: WebSocketServer;
let url: string;
const accepted: ((pair: { ws: WebSocket; socket: Duplex }) => void)[] = [];

beforeAll(async () => {
  server = createServer();
  wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => accepted.shift()!({ ws, socket })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  wss.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

interface Received {
  text: string;
  binary: boolean;
}

/** A connected pair: the server side adapted for the feed, and what the client receives. */
async function pair(): Promise<{ ws: WebSocket; socket: Duplex; sock: FeedSocket; received: Received[]; client: WebSocket }> {
  const serverSide = new Promise<{ ws: WebSocket; socket: Duplex }>((resolve) => accepted.push(resolve));
  const client = new WebSocket(url, { perMessageDeflate: false });
  const received: Received[] = [];
  client.on('message', (data, binary) => received.push({ text: data.toString(), binary }));
  await new Promise<void>((resolve, reject) => (client.once('open', () => resolve()), client.once('error', reject)));
  const { ws, socket } = await serverSide;
  return { ws, socket, sock: new WsFeedSocket(ws, socket), received, client };
}

async function until(test: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('shared messages written as pre-built frames', () => {
  it('arrive whole, as text, at every length the frame header encodes (7, 16 and 64 bits), in order with the frames ws writes', async () => {
    const { sock, received, client } = await pair();
    const lengths = [0, 1, 125, 126, 127, 65_535, 65_536, 65_537, 300_000];
    const expected: string[] = [];
    for (const [i, n] of lengths.entries()) {
      // Multi-byte characters too: the header counts bytes, not characters.
      const text = 'é'.repeat(Math.floor(n / 2)) + 'x'.repeat(n % 2);
      const shared = Buffer.from(text);
      expect(shared.length).toBe(n);
      sock.send(shared);
      // The same Buffer again: its frame is made once and written twice.
      sock.send(shared);
      sock.send(`"string ${i}"`);
      expected.push(text, text, `"string ${i}"`);
    }
    await until(() => received.length === expected.length, 'every message');
    expect(received.map((r) => r.text)).toEqual(expected);
    expect(received.every((r) => !r.binary)).toBe(true);
    client.close();
  });

  it('while ws holds its frames back (reading a Blob), a shared message goes through ws, after them', async () => {
    const { ws, sock, received, client } = await pair();
    ws.send(new Blob(['held']));
    sock.send(Buffer.from('"after"'));
    await until(() => received.length === 2, 'both messages');
    expect(received).toEqual([
      { text: 'held', binary: true },
      { text: '"after"', binary: false },
    ]);
    client.close();
  });

  it('nothing is written once the closing handshake has started', async () => {
    const { ws, socket, sock, received, client } = await pair();
    const closed = new Promise<number>((resolve) => client.once('close', (code) => resolve(code)));
    ws.close(1000, 'bye');
    const net = socket as Duplex & { bytesWritten: number };
    const written = net.bytesWritten + net.writableLength;
    sock.send(Buffer.from('"too late"'));
    expect(net.bytesWritten + net.writableLength).toBe(written);
    expect(await closed).toBe(1000);
    expect(received).toEqual([]);
  });
});
