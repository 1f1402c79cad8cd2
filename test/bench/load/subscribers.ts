/**
 * Load process holding many feed subscribers (the fan-out and memory parts spread theirs over
 * several of these). Modes: `hub` (the hub's /v1/feed/ws with an API key and a subscribe
 * message), `bare` (the bare ws server, same protocol), `sio` (socket.io-client, websocket
 * transport). Every `changes` frame is parsed as a real client would, and the receipt time of
 * each change key is kept, so that delays can be computed once the submit times are known.
 */
import { io as sioConnect, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import { serveParent, wallNow } from '../lib/child';
import { Histogram } from '../lib/stats';

type Mode = 'hub' | 'bare' | 'sio';

interface ConnectArg {
  mode: Mode;
  /** ws://…/path for hub and bare, http://… for sio. */
  url: string;
  keys: string[];
  count: number;
  /** One filter per group; connection i uses filters[i % filters.length]. */
  filters: object[];
  concurrency: number;
  /** Subscribe with `since` (the hub: resume at the head instead of taking a snapshot). */
  since?: number;
}

interface Conn {
  close(): void;
}

const conns: Conn[] = [];
/** Receipt times by change key. */
const receipts = new Map<string, number[]>();
let frames = 0;
let closedEarly = 0;

function onFrame(text: string): void {
  const msg = JSON.parse(text) as { type: string; changes?: { pattern: { key: string } }[] };
  if (msg.type !== 'changes') return;
  const at = wallNow();
  frames++;
  for (const c of msg.changes!) {
    const list = receipts.get(c.pattern.key);
    if (list) list.push(at);
    else receipts.set(c.pattern.key, [at]);
  }
}

function openWs(arg: ConnectArg, i: number): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const headers = arg.mode === 'hub' ? { authorization: `Bearer ${arg.keys[i % arg.keys.length]}` } : {};
    const ws = new WebSocket(arg.url, { headers, perMessageDeflate: false });
    let live = false;
    let closing = false;
    const timer = setTimeout(() => (ws.terminate(), reject(new Error('no live message within 60 s'))), 60_000);
    ws.on('open', () => {
      const filter = arg.filters[i % arg.filters.length];
      ws.send(JSON.stringify({ type: 'subscribe', ...(arg.since !== undefined ? { since: arg.since } : {}), filter }));
    });
    ws.on('message', (data) => {
      const text = data.toString();
      if (!live) {
        const msg = JSON.parse(text) as { type: string };
        if (msg.type === 'live') {
          live = true;
          clearTimeout(timer);
          resolve({ close: () => ((closing = true), ws.terminate()) });
        } else if (msg.type === 'error') reject(new Error(text));
        return;
      }
      onFrame(text);
    });
    ws.on('close', () => {
      if (live && !closing) closedEarly++;
    });
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

function openSio(arg: ConnectArg, i: number): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const socket: Socket = sioConnect(arg.url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { group: String(i % arg.filters.length) } });
    const timer = setTimeout(() => (socket.close(), reject(new Error('socket.io: no live within 60 s'))), 60_000);
    socket.once('live', () => {
      clearTimeout(timer);
      resolve({ close: () => socket.disconnect() });
    });
    socket.on('m', (text: string) => onFrame(text));
    socket.on('connect_error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

async function connect(arg: ConnectArg) {
  const started = performance.now();
  let next = 0;
  const workers = Array.from({ length: Math.min(arg.concurrency, arg.count) }, async () => {
    for (;;) {
      const i = next++;
      if (i >= arg.count) return;
      conns.push(await (arg.mode === 'sio' ? openSio(arg, i) : openWs(arg, i)));
    }
  });
  await Promise.all(workers);
  return { connected: conns.length, ms: performance.now() - started };
}

/** Receipts so far of the given keys. */
function progress(keys: string[]) {
  let got = 0;
  for (const k of keys) got += receipts.get(k)?.length ?? 0;
  return { got, frames, closedEarly };
}

/** Delays (receipt − submit) of every receipt of the submitted keys, and how many were expected. */
function results(arg: { sendTimes: Record<string, number> }) {
  const h = new Histogram();
  let delivered = 0;
  let duplicates = 0;
  let missing = 0;
  for (const [key, sent] of Object.entries(arg.sendTimes)) {
    const got = receipts.get(key) ?? [];
    for (const at of got) h.add(at - sent);
    delivered += Math.min(got.length, conns.length);
    duplicates += Math.max(0, got.length - conns.length);
    missing += Math.max(0, conns.length - got.length);
  }
  return { histogram: h.toJSON(), delivered, expected: conns.length * Object.keys(arg.sendTimes).length, duplicates, missing, closedEarly };
}

/** Closes every connection and forgets every receipt. */
function reset() {
  for (const c of conns.splice(0)) c.close();
  receipts.clear();
  frames = 0;
  closedEarly = 0;
  return null;
}

serveParent('subscribers', { connect, progress, results, reset });
