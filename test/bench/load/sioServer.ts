/**
 * The peer: socket.io broadcasting the same frames as the bare ws server, one room per filter
 * group, websocket transport only. POST /submit on the same HTTP server triggers a broadcast.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { serveParent } from '../lib/child';
import { changesFrame } from '../lib/frames';

let seq = 0;
const server = createServer((req, res) => {
  if (req.url?.startsWith('/socket.io')) return; // socket.io answers these
  if (req.method !== 'POST' || req.url !== '/submit') return void res.writeHead(404).end();
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (c: string) => (body += c));
  req.on('end', () => {
    const { indicators } = JSON.parse(body) as { indicators: { pattern: string; category: string; confidence: number }[] };
    const first = seq + 1;
    seq += indicators.length;
    for (const room of io.sockets.adapter.rooms.keys()) {
      if (!room.startsWith('group:')) continue;
      io.to(room).emit('m', changesFrame(indicators, first, randomUUID));
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ seq }));
  });
});

const io = new Server(server, { transports: ['websocket'], serveClient: false, perMessageDeflate: false });
io.on('connection', (socket) => {
  void socket.join(`group:${String((socket.handshake.auth as { group?: string }).group ?? '0')}`);
  socket.emit('live', seq);
});

const listening = new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));

serveParent('sioServer', { port: () => listening, clients: () => io.engine.clientsCount });
