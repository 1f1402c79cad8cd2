/**
 * The peer: socket.io broadcasting the same frames as the bare ws server, one room per filter
 * group, websocket transport only. POST /submit on the same HTTP server triggers a broadcast.
 */
import { randomUUID } from 'node:crypto';
import { Server } from 'socket.io';
import { serveParent } from '../lib/child';
import { changesFrame } from '../lib/frames';
import { submitServer } from '../lib/submitServer';

const { server, listening, seq } = submitServer(
  (indicators, first) => {
    for (const room of io.sockets.adapter.rooms.keys()) {
      if (!room.startsWith('group:')) continue;
      io.to(room).emit('m', changesFrame(indicators, first, randomUUID));
    }
  },
  (url) => url.startsWith('/socket.io'), // socket.io answers these
);

const io = new Server(server, { transports: ['websocket'], serveClient: false, perMessageDeflate: false });
io.on('connection', (socket) => {
  void socket.join(`group:${String((socket.handshake.auth as { group?: string }).group ?? '0')}`);
  socket.emit('live', seq());
});

serveParent('sioServer', { port: () => listening, clients: () => io.engine.clientsCount });
