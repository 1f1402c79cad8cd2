import type { Metric, Registry } from 'prom-client';

/** One line of the exposition, as prom-client's metrics give them to the registry. */
export interface HistogramValue {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

/** One (method, route, status) series: counts per bucket (not cumulative), sum and count. */
export class DurationSeries {
  readonly #bounds: readonly number[];
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(readonly labels: Readonly<Record<'method' | 'route' | 'status', string>>, bounds: readonly number[]) {
    this.#bounds = bounds;
    this.counts = new Float64Array(bounds.length);
  }

  /** One request that took `seconds` (finite, not negative: a duration). */
  observe(seconds: number): void {
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]!) i++;
    if (i < bounds.length) this.counts[i]!++;
    this.sum += seconds;
    this.count++;
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

interface Config {
  name: string;
  help: string;
  /** Upper bounds, increasing. */
  buckets: readonly number[];
  registers: Registry[];
}

/**
 * The request-duration histogram (`hub_http_request_duration_seconds`), exposed exactly as
 * prom-client's Histogram exposes one (same series, labels, order and values), but kept by the
 * hub: an observation is a bucket search and three additions on a series the caller holds.
 * prom-client's `observe` checks and hashes the label object on every call, about half a
 * microsecond, which on the lookup lane (tens of thousands of requests per second per core) was
 * more than the lookup itself. Registered in prom-client's registry as any metric is: the registry
 * reads `get()`.
 */
export class DurationHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  readonly #bounds: readonly number[];
  readonly #series = new Map<string, DurationSeries>();

  constructor(config: Config) {
    this.name = config.name;
    this.help = config.help;
    this.#bounds = [...config.buckets];
    for (const registry of config.registers) registry.registerMetric(this as unknown as Metric);
  }

  /** The series of these labels (made on first use); hold it to observe without a lookup. */
  series(method: string, route: string, status: number): DurationSeries {
    const key = `${method} ${status} ${route}`;
    let s = this.#series.get(key);
    if (!s) {
      s = new DurationSeries({ method, route, status: String(status) }, this.#bounds);
      this.#series.set(key, s);
    }
    return s;
  }

  /** What the registry writes: per series the cumulative buckets, `+Inf`, then sum and count. */
  async get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: HistogramValue[] }> {
    const values: HistogramValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.#series.values()) {
      let below = 0;
      for (let i = 0; i < this.#bounds.length; i++) {
        below += s.counts[i]!;
        values.push({ labels: { le: this.#bounds[i]!, ...s.labels }, value: below, metricName: bucket });
      }
      values.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: bucket });
      values.push({ labels: { ...s.labels }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...s.labels }, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Zeroes every series in place (Registry#resetMetrics): a caller holding one counts on in it. */
  reset(): void {
    for (const s of this.#series.values()) s.reset();
  }
}
