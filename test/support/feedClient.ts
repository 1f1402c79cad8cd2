import type { Change, ChangesResponse, Snapshot } from '../../schemas/feed';
import type { Pattern } from '../../schemas/patterns';

/** A subscriber's local list built from a snapshot and changes, as a partner would keep it. */
export class LocalList {
  readonly byKey = new Map<string, Pattern>();
  seq = 0;
  readonly seenSeqs: number[] = [];

  load(snapshot: Snapshot): void {
    this.byKey.clear();
    for (const p of snapshot.patterns) this.byKey.set(p.key, p);
    this.seq = snapshot.seq;
  }

  apply(changes: readonly Change[], next: number): void {
    for (const c of changes) {
      this.seenSeqs.push(c.seq);
      if (c.op === 'upsert') this.byKey.set(c.pattern.key, c.pattern);
      else this.byKey.delete(c.pattern.key);
    }
    this.seq = next;
  }

  /** The list in key order, comparable with a snapshot's patterns. */
  sorted(): Pattern[] {
    return [...this.byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}

/** Sorts patterns by key. */
export function byKey(patterns: readonly Pattern[]): Pattern[] {
  return [...patterns].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Pulls every change after `since` over HTTP until caught up. */
export async function pullAll(base: string, key: string, list: LocalList, query = '', limit = 200): Promise<void> {
  for (;;) {
    const res = await fetch(`${base}/v1/feed/changes?since=${list.seq}&limit=${limit}${query}`, { headers: { authorization: `Bearer ${key}` } });
    if (res.status !== 200) throw new Error(`changes: ${res.status} ${await res.text()}`);
    const page = (await res.json()) as ChangesResponse;
    list.apply(page.changes, page.next);
    if (!page.hasMore) return;
  }
}
