import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { ClientMessage, CLOSE_CODES } from '../../schemas/ws';
import { authenticateKey, bearerKey, type PartnerKeyCache } from '../http/auth';
import type { PartnerRecord } from '../store/partners';
import { HubError, problem } from '../http/errors';
import type { FeedHub, FeedSocket } from './hub';
import { textFrame } from './textFrame';

/** The WebSocket feed's path. */
export const FEED_WS_PATH = '/v1/feed/ws';

export interface FeedServerOptions {
  hub: FeedHub;
  keys: PartnerKeyCache;
  log: Logger;
  /** Client messages larger than this are refused (error, then close 4400). */
  maxMessageBytes: number;
  /** Ping interval; a peer that has not answered the previous ping is terminated. */
  heartbeatMs: number;
}

/**
 * Serves `/v1/feed/ws` on the HTTP server's port. The API key is checked before the upgrade
 * completes: a missing or wrong key is answered 401 (a wrong role 403) as plain HTTP.
 */
export function attachFeedServer(server: Server, opts: FeedServerOptions): { close(): void } {
  // Frames past maxPayload are cut by ws itself; ours is a friendlier, lower bound. No compression:
  // the live frames are framed once and written to each socket as they are (WsFeedSocket).
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: Math.max(opts.maxMessageBytes * 4, 64 * 1024) });
  const alive = new WeakSet<WebSocket>();

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== FEED_WS_PATH) return refuse(socket, new HubError('not_found', `no WebSocket at ${path}`));
    authenticateKey(opts.keys, bearerKey(req.headers.authorization))
      .then((partner) => {
        if (!partner.roles.includes('subscriber')) throw new HubError('forbidden', 'the feed needs the role subscriber');
        wss.handleUpgrade(req, socket, head, (ws) => serve(opts, ws, socket, partner, alive));
      })
      .catch((err: unknown) => refuse(socket, err instanceof HubError ? err : new HubError('unavailable')));
  });

  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.has(ws)) {
        ws.terminate();
        continue;
      }
      alive.delete(ws);
      ws.ping();
    }
  }, opts.heartbeatMs);
  heartbeat.unref();

  return {
    close() {
      clearInterval(heartbeat);
      wss.close();
    },
  };
}

/**
 * Wires an upgraded socket to the feed hub. Its handlers live as long as the connection, so they
 * are made here, apart from the upgrade handler: closures made there would keep its request (the
 * IncomingMessage with its headers) alive with them, about 1 KiB per idle subscriber.
 */
function serve(opts: FeedServerOptions, ws: WebSocket, socket: Duplex, partner: PartnerRecord, alive: WeakSet<WebSocket>): void {
  alive.add(ws);
  const viewer = { partnerId: partner.id, isOperator: partner.roles.includes('operator'), communities: partner.communities ?? [] };
  const id = opts.hub.connect(new WsFeedSocket(ws, socket), partner.id, viewer);
  ws.on('pong', () => alive.add(ws));
  ws.on('message', (data, isBinary) => onMessage(opts, ws, id, data, isBinary));
  ws.on('close', () => opts.hub.disconnect(id));
  ws.on('error', (err) => opts.log.debug({ err, partnerId: partner.id }, 'feed socket error'));
}

function onMessage(opts: FeedServerOptions, ws: WebSocket, id: number, data: RawData, isBinary: boolean): void {
  const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : (data as Buffer | ArrayBuffer).byteLength;
  const reject = (code: string, message: string) => {
    ws.send(JSON.stringify({ type: 'error', code, message }));
    ws.close(CLOSE_CODES.badMessage, code);
    opts.hub.disconnect(id);
  };
  if (isBinary) return reject('bad_message', 'send JSON text frames');
  if (size > opts.maxMessageBytes) return reject('message_too_large', `messages may be at most ${opts.maxMessageBytes} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString());
  } catch {
    return reject('bad_message', 'not JSON');
  }
  const msg = ClientMessage.safeParse(parsed);
  if (!msg.success) {
    const issue = msg.error.issues[0];
    return reject('bad_message', issue ? `${issue.path.join('.') || 'message'}: ${issue.message}` : 'not a hub message');
  }
  opts.hub.handle(id, msg.data);
}

/** A Buffer is sent as text too: it holds a message's UTF-8 bytes. */
const TEXT_FRAME = { binary: false };
/** The frame of each shared message, made at its first send (see WsFeedSocket.send). */
const framed = new WeakMap<Buffer, Buffer>();

/**
 * A WebSocket, and the socket it was upgraded on, as the hub sees it. A class, so that an idle
 * subscriber holds two fields and no functions of its own: an object of arrow functions cost
 * 1.5 KB more heap per subscriber (snapshots of 2,000), each of its three functions carrying a
 * property array for the name the TypeScript loader sets on it, and the object one more.
 */
export class WsFeedSocket implements FeedSocket {
  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Duplex,
  ) {}

  /**
   * A shared message (a Buffer: one `changes` frame for thousands of subscribers) is framed once
   * and written to the socket as it is: one write per subscriber, where `ws` would build a header
   * for each and write both (about a tenth of the fan-out's time, with the sockets' system calls
   * the rest). Written to the same socket, in call order, as `ws` writes its own frames; `ws` only
   * holds frames back while it compresses (off here) or reads a Blob, and while it holds any,
   * shared messages go through it too.
   */
  send(text: string | Buffer): void {
    const { ws, socket } = this;
    if (typeof text === 'string' || ws.bufferedAmount !== socket.writableLength) return ws.send(text, TEXT_FRAME);
    // As ws.send: nothing is written once the closing handshake has started.
    if (ws.readyState !== ws.OPEN) return;
    let frame = framed.get(text);
    if (!frame) framed.set(text, (frame = textFrame(text)));
    socket.write(frame);
  }

  sendAndWait(text: string): Promise<void> {
    return new Promise((resolve, reject) => this.ws.send(text, (err) => (err ? reject(err) : resolve())));
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }
}

/** Answers a refused upgrade as plain HTTP problem+json, then drops the socket. */
function refuse(socket: Duplex, err: HubError): void {
  const body = JSON.stringify(problem(err.code, err.message));
  const reason = err.status === 401 ? 'Unauthorized' : err.status === 403 ? 'Forbidden' : err.status === 404 ? 'Not Found' : 'Service Unavailable';
  socket.end(
    `HTTP/1.1 ${err.status} ${reason}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `${err.status === 401 ? 'WWW-Authenticate: Bearer\r\n' : ''}Connection: close\r\n\r\n${body}`,
  );
}
