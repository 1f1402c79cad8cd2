import type { Logger } from 'pino';
import type { Change, FeedFilter } from '../../schemas/feed';
import type { Pattern } from '../../schemas/patterns';
import type { ClientMessage } from '../../schemas/ws';
import { CLOSE_CODES } from '../../schemas/ws';
import type { Database } from '../db/client';
import { selectionKey, selects, viewChange } from '../domain/feed';
import type { Viewer } from '../domain/visibility';
import type { FeedMetrics } from '../http/metrics';
import type { StoredChange } from '../store/changeLog';
import { readChangesSince, readSnapshot, ResyncRequired, type ReaderView } from '../store/feed';
import { recordAck } from '../store/partners';
import type { ChangeTail, TailListener } from './tail';

/** What the hub needs of a socket; `ws.ts` adapts a real WebSocket to it. */
export interface FeedSocket {
  /** Queues a text frame. */
  send(text: string): void;
  /** Sends a text frame and resolves once it is handed to the OS (pacing for snapshots). */
  sendAndWait(text: string): Promise<void>;
  /** Bytes queued and not yet sent. */
  readonly bufferedAmount: number;
  close(code: number, reason: string): void;
}

export interface FeedHubOptions {
  database: Database;
  tail: ChangeTail;
  log: Logger;
  metrics: FeedMetrics;
  /** A subscriber whose queued bytes pass this is closed with 4008 (before the next message is queued). */
  maxBufferedBytes: number;
  /** Idle subscribers get a `position` message this often. */
  positionEveryMs: number;
  /** Patterns per snapshot message. */
  snapshotChunk: number;
  /** Acks are written to the database at most this often per partner. */
  ackFlushMs: number;
}

type State = 'idle' | 'syncing' | 'live' | 'closed';

/** One open WebSocket feed. */
interface Subscriber {
  id: number;
  partnerId: string;
  viewer: Viewer;
  socket: FeedSocket;
  filter: FeedFilter;
  /** Subscribers with equal groupKey see the same messages: one serialization serves them all. */
  groupKey: string;
  state: State;
  /** Everything up to here that the filter selects has been sent. */
  seq: number;
  /** The seq the client last heard about (changes, live or position). */
  toldSeq: number;
}

/**
 * The WebSocket fan-out of one node. It listens to the node's ChangeTail (one read of each change
 * from the database, whatever the number of subscribers), serializes each message once per
 * distinct filter, and hands it to every live socket of that filter. A subscriber is first synced
 * (snapshot or catch-up from the database), then switched to live in the same tick as it is found
 * caught up with the tail, so no change is missed or sent twice.
 */
export class FeedHub implements TailListener {
  readonly #subs = new Map<number, Subscriber>();
  readonly #pendingAcks = new Map<string, number>();
  #nextId = 1;
  #timers: NodeJS.Timeout[] = [];

  constructor(private readonly opts: FeedHubOptions) {
    this.#timers.push(setInterval(() => this.#tellPositions(), opts.positionEveryMs));
    this.#timers.push(setInterval(() => void this.flushAcks(), opts.ackFlushMs));
    for (const t of this.#timers) t.unref();
  }

  /** A new authenticated socket; it is idle until it subscribes. */
  connect(socket: FeedSocket, partnerId: string, viewer: Viewer): number {
    const id = this.#nextId++;
    this.#subs.set(id, { id, partnerId, viewer, socket, filter: {}, groupKey: '', state: 'idle', seq: 0, toldSeq: 0 });
    this.opts.metrics.subscribers.inc();
    return id;
  }

  /** The socket is gone. */
  disconnect(id: number): void {
    const sub = this.#subs.get(id);
    if (!sub) return;
    sub.state = 'closed';
    this.#subs.delete(id);
    this.opts.metrics.subscribers.dec();
  }

  /** Open feeds of a partner on this node. */
  connectedCount(partnerId: string): number {
    let n = 0;
    for (const s of this.#subs.values()) if (s.partnerId === partnerId) n++;
    return n;
  }

  /** Closes every feed of a partner (it was disabled). */
  closePartner(partnerId: string): void {
    this.#closeWhere((s) => s.partnerId === partnerId, CLOSE_CODES.unauthorized, 'partner disabled');
  }

  /** Closes every feed (the node is stopping). */
  closeAll(): void {
    this.#closeWhere(() => true, CLOSE_CODES.goingAway, 'hub shutting down');
  }

  #closeWhere(which: (s: Subscriber) => boolean, code: number, reason: string, last?: object): void {
    for (const s of [...this.#subs.values()]) {
      if (!which(s)) continue;
      if (last) this.#send(s, last);
      s.socket.close(code, reason);
      this.disconnect(s.id);
    }
  }

  /** A parsed client message. */
  handle(id: number, msg: ClientMessage): void {
    const sub = this.#subs.get(id);
    if (!sub) return;
    if (msg.type === 'ack') {
      if (msg.seq <= sub.seq) this.#pendingAcks.set(sub.partnerId, Math.max(msg.seq, this.#pendingAcks.get(sub.partnerId) ?? 0));
      return;
    }
    if (sub.state !== 'idle') return this.#fail(sub, 'already_subscribed', 'one subscribe per connection');
    sub.filter = msg.filter ?? {};
    sub.groupKey = selectionKey(sub.filter, sub.viewer);
    sub.state = 'syncing';
    void this.#sync(sub, msg.since).catch((err: unknown) => {
      if (err instanceof ResyncRequired) {
        // The client takes a snapshot: it may subscribe again on this connection.
        sub.state = 'idle';
        return this.#send(sub, { type: 'error', code: 'resync_required', message: err.message });
      }
      if (isClosed(sub)) return;
      this.opts.log.warn({ err, partnerId: sub.partnerId }, 'feed sync failed');
      sub.socket.close(1011, 'sync failed; resume from your last seq');
      this.disconnect(sub.id);
    });
  }

  /** Snapshot (no `since`) or catch-up from `since`, then live. */
  async #sync(sub: Subscriber, since: number | undefined): Promise<void> {
    if (since === undefined) {
      sub.seq = await this.#sendSnapshot(sub);
      sub.toldSeq = sub.seq;
    } else {
      sub.seq = since;
    }
    for (;;) {
      if (isClosed(sub)) return;
      const page = await readChangesSince(this.opts.database.db, { partnerId: sub.partnerId, since: sub.seq, limit: 1000 }, (view) => {
        this.#see(sub, view.communities);
        return (row) => viewChange(sub.filter, sub.viewer, row);
      });
      if (isClosed(sub)) return;
      if (page.changes.length > 0) await this.#sendAndWait(sub, { type: 'changes', seq: page.next, changes: page.changes });
      sub.seq = page.next;
      // Same tick as the check: no tail dispatch can slip between "caught up" and "live".
      if (!page.hasMore && sub.seq >= this.opts.tail.position) {
        sub.state = 'live';
        sub.toldSeq = sub.seq;
        this.#send(sub, { type: 'live', seq: sub.seq });
        return;
      }
    }
  }

  async #sendSnapshot(sub: Subscriber): Promise<number> {
    const keepFor = (view: ReaderView) => {
      this.#see(sub, view.communities);
      return (p: Pattern, audience: readonly string[]) => selects(sub.filter, sub.viewer, { ...p, audience });
    };
    let pending: Pattern[] = [];
    let seq = 0;
    const flushing: Pattern[][] = [];
    // Embedded PGlite has one connection: take the pages first, then pace them to the socket.
    const buffer = this.opts.database.kind === 'pglite';
    const emit = async (patterns: Pattern[], last: boolean) => {
      if (buffer && !last) return void flushing.push(patterns);
      await this.#sendAndWait(sub, { type: 'snapshot', seq, patterns, last });
    };
    seq = await readSnapshot(this.opts.database.db, {
      partnerId: sub.partnerId,
      keepFor,
      onStart: (at) => {
        seq = at;
      },
      onPage: async (page) => {
        for (const p of page) {
          pending.push(p);
          if (pending.length === this.opts.snapshotChunk) {
            const chunk = pending;
            pending = [];
            await emit(chunk, false);
          }
        }
      },
    });
    for (const chunk of flushing) await this.#sendAndWait(sub, { type: 'snapshot', seq, patterns: chunk, last: false });
    await this.#sendAndWait(sub, { type: 'snapshot', seq, patterns: pending, last: true });
    return seq;
  }

  /** The subscriber's communities as read with its snapshot or catch-up (they decide amber). */
  #see(sub: Subscriber, communities: readonly string[]): void {
    sub.viewer = { ...sub.viewer, communities };
    sub.groupKey = selectionKey(sub.filter, sub.viewer);
  }

  /**
   * A partner's communities changed: its feeds must resync (their past was filtered with the old
   * ones). They get `resync_required` and a close; a resubscribe without `since` takes a snapshot.
   */
  resyncPartner(partnerId: string): void {
    const last = { type: 'error', code: 'resync_required', message: 'your communities changed: take a snapshot' };
    this.#closeWhere((s) => s.partnerId === partnerId, CLOSE_CODES.goingAway, 'resync required', last);
  }

  /** Tail listener: the node's one read of new changes, fanned out to live subscribers. */
  onChanges(rows: readonly StoredChange[], head: number): void {
    if (rows.length === 0) return;
    const oldest = rows[0]!.committedAt;
    const groups = new Map<string, Subscriber[]>();
    for (const s of this.#subs.values()) {
      if (s.state !== 'live' || s.seq >= head) continue;
      const g = groups.get(s.groupKey);
      if (g) g.push(s);
      else groups.set(s.groupKey, [s]);
    }
    for (const subs of groups.values()) {
      const first = subs[0]!;
      let shared: { text: string; count: number } | null = null;
      for (const s of subs) {
        // A subscriber that went live ahead of the tail already has part of this batch.
        const from = s.seq >= rows[0]!.seq ? rows.filter((r) => r.seq > s.seq) : rows;
        const message = from === rows ? (shared ??= this.#render(first, rows, head)) : this.#render(s, from, head);
        s.seq = head;
        if (message.count === 0) continue;
        this.#sendLive(s, message.text, oldest);
      }
    }
  }

  #render(sub: Subscriber, rows: readonly StoredChange[], head: number): { text: string; count: number } {
    const changes: Change[] = [];
    for (const r of rows) {
      const v = viewChange(sub.filter, sub.viewer, r);
      if (v) changes.push(v);
    }
    if (changes.length === 0) return { text: '', count: 0 };
    this.opts.metrics.messagesSerialized.inc();
    return { text: JSON.stringify({ type: 'changes', seq: head, changes }), count: changes.length };
  }

  #sendLive(sub: Subscriber, text: string, committedAt: number): void {
    if (sub.socket.bufferedAmount > this.opts.maxBufferedBytes) return this.#tooSlow(sub);
    sub.socket.send(text);
    sub.toldSeq = sub.seq;
    this.opts.metrics.messagesSent.inc();
    this.opts.metrics.bytesSent.inc(text.length);
    this.opts.metrics.fanoutDelay.observe(Math.max(0, Date.now() - committedAt) / 1000);
  }

  #tooSlow(sub: Subscriber): void {
    this.opts.metrics.slowConsumerCloses.inc();
    this.opts.log.warn({ partnerId: sub.partnerId, buffered: sub.socket.bufferedAmount, seq: sub.toldSeq }, 'closing a slow feed');
    sub.socket.close(CLOSE_CODES.tooSlow, 'too slow: resume from your last seq');
    this.disconnect(sub.id);
  }

  /** Idle live subscribers learn that the log moved past changes they were not sent. */
  #tellPositions(): void {
    for (const s of this.#subs.values()) {
      if (s.state === 'live' && s.seq > s.toldSeq) {
        s.toldSeq = s.seq;
        this.#send(s, { type: 'position', seq: s.seq });
      }
    }
  }

  #send(sub: Subscriber, msg: object): void {
    if (isClosed(sub)) return;
    const text = JSON.stringify(msg);
    if (sub.socket.bufferedAmount > this.opts.maxBufferedBytes) return this.#tooSlow(sub);
    sub.socket.send(text);
    this.opts.metrics.messagesSent.inc();
    this.opts.metrics.bytesSent.inc(text.length);
  }

  async #sendAndWait(sub: Subscriber, msg: object): Promise<void> {
    if (isClosed(sub)) throw new Error('subscriber closed');
    const text = JSON.stringify(msg);
    await sub.socket.sendAndWait(text);
    this.opts.metrics.messagesSent.inc();
    this.opts.metrics.bytesSent.inc(text.length);
  }

  #fail(sub: Subscriber, code: string, message: string): void {
    this.#send(sub, { type: 'error', code, message });
    sub.socket.close(CLOSE_CODES.badMessage, code);
    this.disconnect(sub.id);
  }

  /** Writes the latest acked seq of each partner (throttled; also called at shutdown). */
  async flushAcks(): Promise<void> {
    const acks = [...this.#pendingAcks];
    this.#pendingAcks.clear();
    for (const [partnerId, seq] of acks) {
      await recordAck(this.opts.database.db, partnerId, seq).catch((err: unknown) => this.opts.log.warn({ err }, 'ack write failed'));
    }
  }

  /** Stops timers and closes every feed. */
  async stop(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    this.closeAll();
    await this.flushAcks();
  }
}


/** Read through a function: the state changes across awaits, which narrowing cannot see. */
function isClosed(sub: Subscriber): boolean {
  return sub.state === 'closed';
}
