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
  /** Queues a text frame (a Buffer holds its UTF-8 bytes: encoded once, sent to many sockets). */
  send(text: string | Buffer): void;
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
  /** How long one turn of the event loop hands live frames to sockets (default FANOUT_SLICE_MS). */
  sliceMs?: number;
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
  /** Everything up to here that the filter selects has been sent, or is in the outbox for it. */
  seq: number;
  /** The seq the client last heard about (changes, live or position). */
  toldSeq: number;
  /** Frames in the outbox for this subscriber (it is told no position while there are any). */
  queued: number;
}

/** A `changes` frame on its way to the live subscribers that share it (see FeedHub.#pump). */
interface Outgoing {
  frame: Buffer;
  seq: number;
  subs: Subscriber[];
  /** The next of `subs` to hand the frame to. */
  next: number;
  /** When the oldest change in the frame was committed (epoch ms). */
  committedAt: number;
}

/**
 * How long one turn of the event loop hands frames to sockets before it lets other work run.
 * Handing a frame to 5,000 sockets takes 50–100 ms on two cores; in one piece it would hold up
 * every lookup and every intake round trip (including the next change's) for that long. An intake
 * makes about seven round trips to the database, each waiting for the slice in progress: under
 * the benchmark's fan-out, 4 ms slices gave intake p90 15–41 ms, 1 ms slices 6–8 ms.
 */
const FANOUT_SLICE_MS = 1;
/** The clock is read once per this many sockets (about 0.5 ms of sends). */
const SLICE_CHECK_EVERY = 32;

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
  /** Live frames not yet handed to every socket they are for, oldest first. */
  readonly #outbox: Outgoing[] = [];
  /** The next slice of the outbox is scheduled. */
  #slice: NodeJS.Immediate | null = null;
  /** Resolved when the outbox is next empty (see `settled`). */
  #emptied: { promise: Promise<void>; resolve: () => void } | null = null;
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
    this.#subs.set(id, { id, partnerId, viewer, socket, filter: {}, groupKey: '', state: 'idle', seq: 0, toldSeq: 0, queued: 0 });
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

  /**
   * Tail listener: the node's one read of new changes, fanned out to live subscribers. Each frame
   * is serialized and encoded once per group of subscribers that see the same messages, queued in
   * the outbox, and handed to their sockets a slice at a time (#pump). A subscriber's `seq` moves
   * when its frame is queued: the outbox is first in, first out, so its frames still go in order.
   */
  onChanges(rows: readonly StoredChange[], head: number): void {
    if (rows.length === 0) return;
    const committedAt = rows[0]!.committedAt;
    const groups = new Map<string, Subscriber[]>();
    for (const s of this.#subs.values()) {
      if (s.state !== 'live' || s.seq >= head) continue;
      const g = groups.get(s.groupKey);
      if (g) g.push(s);
      else groups.set(s.groupKey, [s]);
    }
    for (const subs of groups.values()) {
      // undefined: not rendered yet; null: the group's filter selects none of these changes.
      let shared: Buffer | null | undefined;
      const sharing: Subscriber[] = [];
      for (const s of subs) {
        // A subscriber that went live ahead of the tail already has part of this batch.
        if (s.seq >= rows[0]!.seq) {
          const own = this.#render(s, rows.filter((r) => r.seq > s.seq), head);
          if (own) this.#queue(own, head, [s], committedAt);
        } else {
          if (shared === undefined) shared = this.#render(s, rows, head);
          if (shared) sharing.push(s);
        }
        s.seq = head;
      }
      if (shared) this.#queue(shared, head, sharing, committedAt);
    }
    this.#pump();
  }

  #render(sub: Subscriber, rows: readonly StoredChange[], head: number): Buffer | null {
    const changes: Change[] = [];
    for (const r of rows) {
      const v = viewChange(sub.filter, sub.viewer, r);
      if (v) changes.push(v);
    }
    if (changes.length === 0) return null;
    this.opts.metrics.messagesSerialized.inc();
    return Buffer.from(JSON.stringify({ type: 'changes', seq: head, changes }));
  }

  /** Tail listener: while the outbox holds frames, the promise of its end (the tail waits for it). */
  settled(): Promise<void> | undefined {
    if (this.#outbox.length === 0) return undefined;
    if (!this.#emptied) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.#emptied = { promise, resolve };
    }
    return this.#emptied.promise;
  }

  #wasEmptied(): void {
    this.#emptied?.resolve();
    this.#emptied = null;
  }

  #queue(frame: Buffer, seq: number, subs: Subscriber[], committedAt: number): void {
    for (const s of subs) s.queued++;
    this.#outbox.push({ frame, seq, subs, next: 0, committedAt });
  }

  /**
   * Hands queued frames to their sockets for one slice (FANOUT_SLICE_MS), then lets the event
   * loop serve I/O before the next slice (setImmediate: after the poll phase, so the database's
   * answers and new requests come first). The first slice runs at once, in the tail's tick.
   */
  #pump(): void {
    if (this.#slice) return;
    const until = performance.now() + (this.opts.sliceMs ?? FANOUT_SLICE_MS);
    let sent = 0;
    let bytes = 0;
    try {
      while (this.#outbox.length > 0) {
        const out = this.#outbox[0]!;
        while (out.next < out.subs.length) {
          const s = out.subs[out.next++]!;
          s.queued--;
          if (!this.#canSend(s)) continue;
          s.socket.send(out.frame);
          s.toldSeq = out.seq;
          sent++;
          bytes += out.frame.length;
          if (sent % SLICE_CHECK_EVERY === 0 && performance.now() >= until) return;
        }
        this.#outbox.shift();
        // Once per frame and group: the delay to the last subscriber it was for.
        this.opts.metrics.fanoutDelay.observe(Math.max(0, Date.now() - out.committedAt) / 1000);
      }
      this.#wasEmptied();
    } finally {
      this.opts.metrics.messagesSent.inc(sent);
      this.opts.metrics.bytesSent.inc(bytes);
      // The next slice; also after a throw, so the rest still goes out (and the tail, waiting for it, goes on).
      if (this.#outbox.length > 0) {
        this.#slice = setImmediate(() => {
          this.#slice = null;
          this.#pump();
        });
      }
    }
  }

  /** False when the subscriber is gone, or is closed now because its socket holds more than the bound. */
  #canSend(sub: Subscriber): boolean {
    if (isClosed(sub)) return false;
    if (sub.socket.bufferedAmount <= this.opts.maxBufferedBytes) return true;
    this.#tooSlow(sub);
    return false;
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
      if (s.state === 'live' && s.queued === 0 && s.seq > s.toldSeq) {
        s.toldSeq = s.seq;
        this.#send(s, { type: 'position', seq: s.seq });
      }
    }
  }

  #send(sub: Subscriber, msg: object): void {
    if (!this.#canSend(sub)) return;
    const text = JSON.stringify(msg);
    sub.socket.send(text);
    this.opts.metrics.messagesSent.inc();
    this.opts.metrics.bytesSent.inc(Buffer.byteLength(text));
  }

  async #sendAndWait(sub: Subscriber, msg: object): Promise<void> {
    if (isClosed(sub)) throw new Error('subscriber closed');
    const text = JSON.stringify(msg);
    await sub.socket.sendAndWait(text);
    this.opts.metrics.messagesSent.inc();
    this.opts.metrics.bytesSent.inc(Buffer.byteLength(text));
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
    if (this.#slice) clearImmediate(this.#slice);
    this.#slice = null;
    this.#outbox.length = 0;
    this.#wasEmptied();
    this.closeAll();
    await this.flushAcks();
  }
}


/** Read through a function: the state changes across awaits, which narrowing cannot see. */
function isClosed(sub: Subscriber): boolean {
  return sub.state === 'closed';
}
