import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The hub's Prometheus metrics, on a registry of their own (one per app, so tests do not share). */
export interface HubMetrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  indicatorsAccepted: Counter<'status'>;
  indicatorsRejected: Counter<'code'>;
  patternsActive: Gauge;
}

/** Creates the registry; `activePatterns` is read at scrape time. */
export function createMetrics(activePatterns: () => number, withProcessMetrics = true): HubMetrics {
  const registry = new Registry();
  if (withProcessMetrics) collectDefaultMetrics({ register: registry, prefix: 'hub_' });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'hub_http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    indicatorsAccepted: new Counter({
      name: 'hub_indicators_accepted_total',
      help: 'Indicators accepted, by outcome (created, corroborated, duplicate)',
      labelNames: ['status'],
      registers: [registry],
    }),
    indicatorsRejected: new Counter({
      name: 'hub_indicators_rejected_total',
      help: 'Indicators rejected, by rejection code',
      labelNames: ['code'],
      registers: [registry],
    }),
    patternsActive: new Gauge({
      name: 'hub_patterns_active',
      help: 'Live patterns (active or disputed) held by this node',
      registers: [registry],
      collect() {
        this.set(activePatterns());
      },
    }),
  };
}
