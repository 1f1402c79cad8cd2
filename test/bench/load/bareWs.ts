/**
 * The bare `ws` broadcaster: the limit the hub's fan-out is held to. No database, no auth, no
 * per-subscriber state beyond its group. POST /submit takes the same body the hub's intake takes
 * and broadcasts one `changes` frame shaped like the hub's (a full pattern per change),
 * serialized once per filter group. Subscribers send the hub's subscribe message and get `live`.
 */
import { randomUUID } from 'node:crypto';
import { Session } from 'node:inspector/promises';
import { WebSocketServer, type WebSocket } from 'ws';
import { serveParent } from '../lib/child';
import { changesFrame } from '../lib/frames';
import { submitServer } from '../lib/submitServer';

const groups = new Map<string, Set<WebSocket>>();

const { server, listening, seq } = submitServer((indicators, first) => {
  for (const members of groups.values()) {
    const text = changesFrame(indicators, first, randomUUID);
    for (const ws of members) ws.send(text);
  }
});

const wss = new WebSocketServer({ server, path: '/ws', perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.once('message', (data) => {
    const msg = JSON.parse(data.toString()) as { filter?: object };
    const group = JSON.stringify(msg.filter ?? {});
    let members = groups.get(group);
    if (!members) groups.set(group, (members = new Set()));
    members.add(ws);
    ws.on('close', () => members.delete(ws));
    ws.send(JSON.stringify({ type: 'live', seq: seq() }));
  });
});

/**
 * A full garbage collection, for the memory part's readings: the same inspector command the hub
 * gets over its debugger port (lib/inspector.ts), here on a session with this process's own V8.
 */
async function collectGarbage(): Promise<null> {
  const session = new Session();
  session.connect();
  try {
    await session.post('HeapProfiler.collectGarbage');
  } finally {
    session.disconnect();
  }
  return null;
}

serveParent('bareWs', { port: () => listening, clients: () => wss.clients.size, gc: collectGarbage });
