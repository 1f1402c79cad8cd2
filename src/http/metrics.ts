import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { DurationHistogram } from './durationHistogram';

/** The hub's Prometheus metrics, on a registry of their own (one per app, so tests do not share). */
/** Metrics of the WebSocket fan-out. */
export interface FeedMetrics {
  /** Change rows this node read from the log (once each, whatever the number of subscribers). */
  logRowsRead: Counter;
  /** `changes` messages serialized (once per distinct filter and batch, not per socket). */
  messagesSerialized: Counter;
  subscribers: Gauge;
  messagesSent: Counter;
  bytesSent: Counter;
  fanoutDelay: Histogram;
  slowConsumerCloses: Counter;
}

export interface HubMetrics {
  registry: Registry;
  feed: FeedMetrics;
  httpDuration: DurationHistogram;
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
    httpDuration: new DurationHistogram({
      name: 'hub_http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
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
    feed: {
      logRowsRead: new Counter({ name: 'hub_feed_log_rows_read_total', help: 'Change-log rows read by this node\'s tail', registers: [registry] }),
      messagesSerialized: new Counter({ name: 'hub_ws_messages_serialized_total', help: 'Change messages serialized for live feeds', registers: [registry] }),
      subscribers: new Gauge({ name: 'hub_ws_subscribers', help: 'Open WebSocket feeds on this node', registers: [registry] }),
      messagesSent: new Counter({ name: 'hub_ws_messages_sent_total', help: 'WebSocket messages sent', registers: [registry] }),
      bytesSent: new Counter({ name: 'hub_ws_bytes_sent_total', help: 'WebSocket payload bytes sent', registers: [registry] }),
      fanoutDelay: new Histogram({
        name: 'hub_ws_fanout_delay_seconds',
        help: 'From the commit of a change to the hand-off of its message to the last live subscriber it is for (once per message and filter group)',
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
        registers: [registry],
      }),
      slowConsumerCloses: new Counter({ name: 'hub_ws_slow_consumer_closes_total', help: 'Feeds closed with 4008 (send buffer over its bound)', registers: [registry] }),
    },
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
