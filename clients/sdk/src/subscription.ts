import WebSocket from 'ws';
import type { Change, FeedFilter } from '../../../schemas/feed';
import type { Pattern } from '../../../schemas/patterns';
import { ServerMessage } from '../../../schemas/ws';
import { BlockList } from './blockList';
import type { HubClient } from './client';
import { HubApiError, ResyncRequiredError } from './errors';
import { backoffMs, sleep, type RetryPolicy } from './retry';

/** How the subscription is receiving changes right now. */
export interface SubscriptionStatus {
  mode: 'websocket' | 'pull' | 'connecting';
  connected: boolean;
  /** The list's position. */
  seq: number;
  /** When the list was last known to be current (live on the socket, or a pull came back). */
  lastSyncAt: Date | null;
  /** The last error, if the feed is not connected. */
  lastError: string | null;
}

export interface SubscribeOptions {
  filter?: FeedFilter;
  /** The list to keep in sync (restore it first to resume from its seq); a new one by default. */
  list?: BlockList;
  /** Called after changes are applied to the list (never twice for one change). */
  onChanges?: (changes: readonly Change[], seq: number) => void;
  /** Called after a snapshot replaced the list. */
  onSnapshot?: (seq: number, patterns: readonly Pattern[]) => void;
  onStatus?: (status: SubscriptionStatus) => void;
  /** Failed WebSocket upgrades in a row (refused, or no answer) before falling back to pull. */
  wsFailuresBeforePull?: number;
  /** In pull mode, how often to try WebSockets again. */
  retryWebSocketMs?: number;
  /** Long-poll wait in pull mode (seconds). */
  pullWaitSeconds?: number;
  reconnect?: RetryPolicy;
}

/**
 * Keeps a BlockList in sync: over WebSocket with automatic reconnect and resume from the list's
 * `seq`, acknowledging what it applied; a snapshot on `resync_required`; and REST long-poll pull
 * when WebSockets keep failing (a proxy that blocks upgrades), going back to WebSockets later.
 */
export class Subscription {
  readonly list: BlockList;
  #status: SubscriptionStatus = { mode: 'connecting', connected: false, seq: 0, lastSyncAt: null, lastError: null };
  readonly #stop = new AbortController();
  readonly #done: Promise<void>;
  #ws: WebSocket | null = null;

  constructor(private readonly client: HubClient, private readonly opts: SubscribeOptions = {}) {
    this.list = opts.list ?? new BlockList();
    this.#status.seq = this.list.seq;
    this.#done = this.#run();
  }

  get status(): SubscriptionStatus {
    return { ...this.#status };
  }

  /** Stops syncing and closes the socket. */
  async close(): Promise<void> {
    this.#stop.abort();
    this.#ws?.close(1000, 'client closing');
    await this.#done;
  }

  /** Drops the current socket (tests, or a switch that wants a fresh connection); it reconnects. */
  dropSocket(): void {
    this.#ws?.terminate();
  }

  async #run(): Promise<void> {
    const policy = this.opts.reconnect ?? { attempts: Infinity, baseMs: 200, maxMs: 10_000 };
    const maxWsFailures = this.opts.wsFailuresBeforePull ?? 3;
    let refusals = 0;
    let attempt = 0;
    while (!this.#stop.signal.aborted) {
      const outcome = await this.#runWebSocket().catch((err: unknown) => {
        this.#update({ connected: false, lastError: (err as Error).message });
        return err instanceof HubApiError && err.code === 'upgrade_refused' ? 'refused' : 'unreachable';
      });
      if (this.#stop.signal.aborted) return;
      // Only refused upgrades (a proxy in the way) lead to pull: a hub that is down is retried as it
      // is, and a socket that opened and later dropped is a normal reconnect.
      refusals = outcome === 'refused' ? refusals + 1 : 0;
      if (refusals >= maxWsFailures) {
        await this.#runPull(this.opts.retryWebSocketMs ?? 60_000).catch((err: unknown) => this.#update({ connected: false, lastError: (err as Error).message }));
        refusals = 0;
        continue;
      }
      attempt = outcome === 'dropped' ? 0 : attempt + 1;
      await sleep(backoffMs(Math.min(attempt, 10), policy), this.#stop.signal);
    }
  }

  /** One WebSocket session; resolves 'dropped' when an open socket ends, rejects when it never opened. */
  #runWebSocket(): Promise<'dropped'> {
    return new Promise((resolve, reject) => {
      const url = this.client.url.replace(/^http/, 'ws') + '/v1/feed/ws';
      const ws = new WebSocket(url, { headers: { authorization: `Bearer ${this.client.apiKey}` }, handshakeTimeout: 10_000 });
      this.#ws = ws;
      this.#update({ mode: 'connecting' });
      let opened = false;
      let snapshot: { seq: number; patterns: Pattern[] } | null = null;
      const subscribe = (withSince: boolean) =>
        ws.send(JSON.stringify({ type: 'subscribe', ...(withSince ? { since: this.list.seq } : {}), ...(this.opts.filter ? { filter: this.opts.filter } : {}) }));
      ws.on('open', () => {
        opened = true;
        subscribe(this.list.ready);
      });
      ws.on('unexpected-response', (_req, res) => {
        ws.terminate();
        reject(new HubApiError(res.statusCode ?? 0, 'upgrade_refused', `WebSocket upgrade refused: HTTP ${res.statusCode}`));
      });
      ws.on('error', (err) => reject(err));
      ws.on('close', (code, reason) => {
        this.#ws = null;
        this.#update({ connected: false, lastError: code === 1000 ? null : `closed ${code} ${reason.toString()}`.trim() });
        if (code === 4001) return reject(new HubApiError(401, 'unauthorized', 'the hub closed the feed: partner disabled'));
        if (opened) resolve('dropped');
        else reject(new Error(`WebSocket closed before it opened (${code})`));
      });
      ws.on('message', (data) => {
        const parsed = ServerMessage.safeParse(JSON.parse(data.toString()));
        if (!parsed.success) return;
        const msg = parsed.data;
        switch (msg.type) {
          case 'snapshot':
            snapshot ??= { seq: msg.seq, patterns: [] };
            snapshot.patterns.push(...msg.patterns);
            if (msg.last) {
              this.list.applySnapshot(snapshot.seq, snapshot.patterns);
              this.opts.onSnapshot?.(snapshot.seq, snapshot.patterns);
              snapshot = null;
              this.#ack(ws);
            }
            break;
          case 'changes':
            this.#apply(msg.changes, msg.seq);
            this.#ack(ws);
            break;
          case 'position':
            this.list.advance(msg.seq);
            this.#update({ seq: this.list.seq, lastSyncAt: new Date() });
            this.#ack(ws);
            break;
          case 'live':
            this.list.advance(msg.seq);
            this.#update({ mode: 'websocket', connected: true, seq: this.list.seq, lastSyncAt: new Date(), lastError: null });
            break;
          case 'error':
            // Our position is outside the log: start over from a snapshot on the same socket.
            if (msg.code === 'resync_required') subscribe(false);
            break;
        }
      });
    });
  }

  /** Long-poll pull until `untilMs` passes (then WebSockets are tried again). */
  async #runPull(untilMs: number): Promise<void> {
    const until = Date.now() + untilMs;
    this.#update({ mode: 'pull' });
    let attempt = 0;
    while (!this.#stop.signal.aborted && Date.now() < until) {
      try {
        if (!this.list.ready) await this.#pullSnapshot();
        const page = await this.client.changes(this.list.seq, {
          wait: this.opts.pullWaitSeconds ?? 25,
          filter: this.opts.filter,
          signal: this.#stop.signal,
        });
        this.#apply(page.changes, page.next);
        if (!page.hasMore) this.#update({ mode: 'pull', connected: true, lastSyncAt: new Date(), lastError: null });
        attempt = 0;
      } catch (err) {
        if (this.#stop.signal.aborted) return;
        if (err instanceof ResyncRequiredError) {
          await this.#pullSnapshot();
          continue;
        }
        if (err instanceof HubApiError && err.isAuth) throw err;
        this.#update({ connected: false, lastError: (err as Error).message });
        await sleep(backoffMs(Math.min(attempt++, 10), { attempts: Infinity, baseMs: 500, maxMs: 10_000 }), this.#stop.signal);
      }
    }
  }

  async #pullSnapshot(): Promise<void> {
    const snap = await this.client.snapshot(this.opts.filter);
    this.list.applySnapshot(snap.seq, snap.patterns);
    this.opts.onSnapshot?.(snap.seq, snap.patterns);
    this.#update({ seq: this.list.seq });
  }

  #apply(changes: readonly Change[], seq: number): void {
    const applied = this.list.applyChanges(changes, seq);
    this.#update({ seq: this.list.seq, lastSyncAt: new Date() });
    if (applied.length) this.opts.onChanges?.(applied, this.list.seq);
  }

  #ack(ws: WebSocket): void {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'ack', seq: this.list.seq }));
  }

  #update(patch: Partial<SubscriptionStatus>): void {
    this.#status = { ...this.#status, ...patch };
    this.opts.onStatus?.(this.status);
  }
}
