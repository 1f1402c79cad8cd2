import WebSocket from 'ws';
import type { FeedFilter } from '../../schemas/feed';
import type { Pattern } from '../../schemas/patterns';
import type { ServerMessage } from '../../schemas/ws';
import { LocalList } from './feedClient';

/** A test subscriber over a real WebSocket: keeps its list, resumes from its seq. */
export class WsSubscriber {
  readonly list = new LocalList();
  readonly messages: ServerMessage[] = [];
  ws: WebSocket | null = null;
  live = false;
  closeCode: number | null = null;
  #waiters: { test: () => boolean; resolve: () => void }[] = [];
  #snapshot: { seq: number; patterns: Pattern[] } | null = null;

  constructor(private readonly base: string, private readonly key: string, readonly filter?: FeedFilter) {}

  /** Connects and subscribes: from a snapshot the first time, then from the last seq. */
  connect(opts: { since?: number | 'resume'; ackEvery?: boolean } = {}): Promise<void> {
    const url = this.base.replace(/^http/, 'ws') + '/v1/feed/ws';
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${this.key}` } });
    this.ws = ws;
    this.live = false;
    this.closeCode = null;
    ws.on('message', (data) => this.#onMessage(JSON.parse(data.toString()) as ServerMessage, opts.ackEvery ?? false));
    ws.on('close', (code) => {
      this.closeCode = code;
      this.live = false;
      this.#check();
    });
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        const since = opts.since === 'resume' ? this.list.seq : opts.since;
        ws.send(JSON.stringify({ type: 'subscribe', ...(since !== undefined ? { since } : {}), ...(this.filter ? { filter: this.filter } : {}) }));
        resolve();
      });
      ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode })));
      ws.once('error', reject);
    });
  }

  #onMessage(msg: ServerMessage, ack: boolean): void {
    this.messages.push(msg);
    if (msg.type === 'snapshot') {
      this.#snapshot ??= { seq: msg.seq, patterns: [] };
      this.#snapshot.patterns.push(...msg.patterns);
      if (msg.last) {
        this.list.load(this.#snapshot);
        this.#snapshot = null;
      }
    } else if (msg.type === 'changes') {
      this.list.apply(msg.changes, msg.seq);
    } else if (msg.type === 'position' || msg.type === 'live') {
      if (msg.type === 'live') this.live = true;
      this.list.seq = Math.max(this.list.seq, msg.seq);
    }
    if (ack && (msg.type === 'changes' || msg.type === 'position')) this.ws?.send(JSON.stringify({ type: 'ack', seq: msg.seq }));
    this.#check();
  }

  #check(): void {
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.test()) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves when `test` holds, or rejects after `ms`. */
  until(test: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what} (seq ${this.list.seq})`)), ms);
      this.#waiters.push({ test, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  /** Stops reading from the socket (a stalled switch); `resume` reads again. */
  pause(): void {
    this.ws?.pause();
  }

  resume(): void {
    this.ws?.resume();
  }

  close(): void {
    this.ws?.close();
  }

  terminate(): void {
    this.ws?.terminate();
  }
}
