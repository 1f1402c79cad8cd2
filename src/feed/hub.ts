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
  /** Queues a text frame (a Buffer holds its UTF-8 bytes: encoded and framed once, sent to many sockets). */
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
  /** What the frame says, as its subscribers see it: kept so that later changes can join it. */
  changes: Change[];
  frame: Buffer;
  seq: number;
  subs: Subscriber[];
  /** The next of `subs` to hand the frame to. */
  next: number;
  /** The seq of the first change the frame was made for (how far the outbox is behind the head). */
  from: number;
  /** When the oldest change in the frame was committed (epoch ms). */
  committedAt: number;
}

/**
 * How long one turn of the event loop hands frames to sockets before it lets other work run.
 * Handing a frame to 5,000 sockets takes 50–100 ms on two cores; in one piece it would hold up
 * every lookup and every intake round trip (including the next change's) for that long. An intake
 * makes about six round trips to the database, each waiting for the slice in progress: under the
 * benchmark's fan-out, 4 ms slices gave intake p90 15–41 ms, 1 ms slices 6–8 ms while the tail
 * waited for each hand-out. With changes joining frames the outbox seldom empties under that load,
 * and 1 ms slices gave intake p50 20–37 ms, slices of 32 sockets (about 0.4 ms) 9–21 ms, in five
 * runs taken in turn (a scratch probe, not kept: 5,000 subscribers, 10 submissions/s).
 */
const FANOUT_SLICE_MS = 0.25;
/** The clock is read once per this many sockets (about 0.4 ms of sends here): a slice is at least this many. */
const SLICE_CHECK_EVERY = 32;
/** The tail reads on while the outbox's oldest frame is fewer seqs than this behind the head (see settled). */
const JOIN_LIMIT = 1000;

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
  /** The head of the last changes handed to onChanges. */
  #head = 0;
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
   * is serialized and encoded once per group of subscribers that see the same messages (again when
   * later changes join it, #join), queued in the outbox, and handed to their sockets a slice at a
   * time (#pump). A subscriber's `seq` moves when its frame is queued: it has at most one frame in
   * the outbox, first in, first out, so its changes still go in order.
   */
  onChanges(rows: readonly StoredChange[], head: number): void {
    if (rows.length === 0) return;
    this.#head = head;
    this.#join(rows, head);
    const committedAt = rows[0]!.committedAt;
    const groups = new Map<string, Subscriber[]>();
    for (const s of this.#subs.values()) {
      if (s.state !== 'live' || s.seq >= head) continue;
      const g = groups.get(s.groupKey);
      if (g) g.push(s);
      else groups.set(s.groupKey, [s]);
    }
    for (const subs of groups.values()) {
      // undefined: not viewed yet; empty: the group's filter selects none of these changes.
      let shared: Change[] | undefined;
      const sharing: Subscriber[] = [];
      for (const s of subs) {
        // A subscriber that went live ahead of the tail already has part of this batch.
        if (s.seq >= rows[0]!.seq) {
          const own = this.#view(s, rows.filter((r) => r.seq > s.seq));
          if (own.length > 0) this.#queue(own, head, [s], rows[0]!.seq, committedAt);
        } else {
          shared ??= this.#view(s, rows);
          if (shared.length > 0) sharing.push(s);
        }
        s.seq = head;
      }
      if (shared && sharing.length > 0) this.#queue(shared, head, sharing, rows[0]!.seq, committedAt);
    }
    this.#pump();
  }

  /**
   * New changes join the frames in the outbox, for the subscribers not yet handed them: one
   * frame, one write per socket, instead of two. When the fan-out falls behind (a frame to
   * thousands of sockets takes longer than the gap between commits), each socket still gets one
   * write per turn of the outbox, so the delay stays about one hand-out instead of growing with a
   * queue. The subscribers a frame was already handed to get the changes in a frame of their own
   * (onChanges), at the end of the outbox.
   */
  #join(rows: readonly StoredChange[], head: number): void {
    for (const [i, out] of this.#outbox.entries()) {
      if (out.next >= out.subs.length) continue;
      const waiting = out.next === 0 ? out.subs : out.subs.slice(out.next);
      // One group: they all see the same changes.
      const more = this.#view(waiting[0]!, rows);
      for (const s of waiting) s.seq = head;
      // None for them: their frame goes as it is, and a position tells them the head later.
      if (more.length === 0) continue;
      const changes = [...out.changes, ...more];
      this.#outbox[i] = { changes, frame: this.#encode(head, changes), seq: head, subs: waiting, next: 0, from: out.from, committedAt: out.committedAt };
    }
  }

  #view(sub: Subscriber, rows: readonly StoredChange[]): Change[] {
    const changes: Change[] = [];
    for (const r of rows) {
      const v = viewChange(sub.filter, sub.viewer, r);
      if (v) changes.push(v);
    }
    return changes;
  }

  #encode(seq: number, changes: Change[]): Buffer {
    this.opts.metrics.messagesSerialized.inc();
    return Buffer.from(JSON.stringify({ type: 'changes', seq, changes }));
  }

  /**
   * Tail listener: once the outbox's oldest frame is JOIN_LIMIT seqs behind the head, the promise
   * of the outbox's end (the tail reads no further until it settles), so a node that cannot keep
   * up leaves the backlog in the log instead of in frames. Before that, what the tail reads joins
   * the frames still going out.
   */
  settled(): Promise<void> | undefined {
    const oldest = this.#outbox[0];
    if (!oldest || this.#head - oldest.from < JOIN_LIMIT) return undefined;
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

  #queue(changes: Change[], seq: number, subs: Subscriber[], from: number, committedAt: number): void {
    for (const s of subs) s.queued++;
    this.#outbox.push({ changes, frame: this.#encode(seq, changes), seq, subs, next: 0, from, committedAt });
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
