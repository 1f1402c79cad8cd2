/** Small statistics helpers: percentiles and a mergeable latency histogram. */

/** The p-th percentile (0..100) of values, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/**
 * Latencies in 0.1 ms buckets, as a sparse object so that load processes can send theirs to the
 * coordinator over IPC and the coordinator can merge them.
 */
export class Histogram {
  readonly buckets = new Map<number, number>();
  count = 0;
  max = 0;

  add(ms: number): void {
    const b = Math.max(0, Math.round(ms * 10));
    this.buckets.set(b, (this.buckets.get(b) ?? 0) + 1);
    this.count++;
    if (ms > this.max) this.max = ms;
  }

  merge(other: { buckets: [number, number][]; count: number; max: number }): void {
    for (const [b, n] of other.buckets) this.buckets.set(b, (this.buckets.get(b) ?? 0) + n);
    this.count += other.count;
    this.max = Math.max(this.max, other.max);
  }

  /** The p-th percentile (0..100) in ms. */
  percentile(p: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (const b of [...this.buckets.keys()].sort((x, y) => x - y)) {
      seen += this.buckets.get(b)!;
      if (seen >= rank) return b / 10;
    }
    return this.max;
  }

  toJSON(): { buckets: [number, number][]; count: number; max: number } {
    return { buckets: [...this.buckets], count: this.count, max: this.max };
  }
}
