/**
 * A fleet of subscriber load processes (load/subscribers.ts): N feed subscribers spread over a
 * few processes, connected to one system at a time; what they received is gathered here.
 */
import { forkLoad, type LoadProcess } from './proc';
import type { Scope } from './scope';
import { Histogram } from './stats';

export interface SubscriberSpec {
  mode: 'hub' | 'bare' | 'sio';
  url: string;
  keys: string[];
  total: number;
  filters: object[];
  since?: number;
}

export interface Delivery {
  histogram: Histogram;
  delivered: number;
  expected: number;
  duplicates: number;
  missing: number;
  closedEarly: number;
}

export class Fleet {
  #total = 0;
  private constructor(readonly procs: LoadProcess[]) {}

  static async start(scope: Scope, processes: number, deadlineMs: number): Promise<Fleet> {
    return new Fleet(await Promise.all(Array.from({ length: processes }, () => forkLoad(scope, 'subscribers', { deadlineMs }))));
  }

  /** Connects `spec.total` subscribers (spread evenly) and resolves once all are live; returns the time taken. */
  async connect(spec: SubscriberSpec): Promise<number> {
    const n = this.procs.length;
    const started = performance.now();
    await Promise.all(
      this.procs.map((p, i) => {
        const count = Math.floor(spec.total / n) + (i < spec.total % n ? 1 : 0);
        return p.call('connect', { ...spec, count, concurrency: 50 });
      }),
    );
    this.#total += spec.total;
    return performance.now() - started;
  }

  /** Waits until every subscriber has every key, or `timeoutMs` passed; returns the receipts seen. */
  async awaitAll(keys: string[], timeoutMs: number): Promise<number> {
    const until = performance.now() + timeoutMs;
    const want = this.#total * keys.length;
    for (;;) {
      const got = (await Promise.all(this.procs.map((p) => p.call<{ got: number }>('progress', keys)))).reduce((n, r) => n + r.got, 0);
      if (got >= want || performance.now() > until) return got;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async results(sendTimes: Record<string, number>): Promise<Delivery> {
    type Part = Omit<Delivery, 'histogram'> & { histogram: { buckets: [number, number][]; count: number; max: number } };
    const parts = await Promise.all(this.procs.map((p) => p.call<Part>('results', { sendTimes })));
    const histogram = new Histogram();
    const sum = { delivered: 0, expected: 0, duplicates: 0, missing: 0, closedEarly: 0 };
    for (const r of parts) {
      histogram.merge(r.histogram);
      for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += r[k];
    }
    return { histogram, ...sum };
  }

  /** Closes every subscriber and forgets what they received (the processes stay for the next system). */
  async reset(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.call('reset')));
    this.#total = 0;
  }
}
