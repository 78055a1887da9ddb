import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface CollectorMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'route' | 'status'>;
  readonly accepted: Counter<'source'>;
  readonly rejected: Counter<'source' | 'reason'>;
  readonly duplicates: Counter<'source'>;
  readonly requestSeconds: Histogram<'route'>;
  readonly ackSeconds: Histogram;
}

/**
 * The collector's Prometheus metrics, in a registry of its own (no global state, so two collectors in one
 * process, as in tests, never share counters). Gauges that reflect the store and sinks are read at scrape time.
 */
export function createCollectorMetrics(gauges: {
  /** Size of the local log; omitted where there is none (a cluster-mode collector publishes to JetStream). */
  logEvents?: () => number;
  logBytes?: () => number;
  /** Per-sink lag and health; omitted where another process runs the outbox and reports them. */
  sinkLag?: () => ReadonlyArray<{ sink: string; lag: number; healthy: boolean }>;
}): CollectorMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tailor_process_' });
  const latencyBuckets = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
  const metrics: CollectorMetrics = {
    registry,
    requests: new Counter({ name: 'tailor_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers: [registry] }),
    accepted: new Counter({ name: 'tailor_events_accepted_total', help: 'Events durably stored', labelNames: ['source'], registers: [registry] }),
    rejected: new Counter({ name: 'tailor_events_rejected_total', help: 'Events rejected, by reason (issue code)', labelNames: ['source', 'reason'], registers: [registry] }),
    duplicates: new Counter({ name: 'tailor_events_duplicate_total', help: 'Events skipped as duplicates of a stored messageId', labelNames: ['source'], registers: [registry] }),
    requestSeconds: new Histogram({ name: 'tailor_http_request_duration_seconds', help: 'Request handling time', labelNames: ['route'], buckets: latencyBuckets, registers: [registry] }),
    ackSeconds: new Histogram({ name: 'tailor_store_ack_duration_seconds', help: 'Time from append to durable commit', buckets: latencyBuckets, registers: [registry] }),
  };
  // Every worker process reads the same store, so across a cluster these are taken once, not summed.
  const { logEvents, logBytes } = gauges;
  if (logEvents) new Gauge({ name: 'tailor_log_events', help: 'Events in the local log', aggregator: 'first', registers: [registry], collect() { this.set(logEvents()); } });
  if (logBytes) new Gauge({ name: 'tailor_log_bytes', help: 'Bytes used by the local store on disk', aggregator: 'first', registers: [registry], collect() { this.set(logBytes()); } });
  if (gauges.sinkLag) registerSinkGauges(registry, gauges.sinkLag);
  return metrics;
}

/** Sink lag and health gauges, read at scrape time from whoever runs the outbox. */
export function registerSinkGauges(registry: Registry, sinkLag: () => ReadonlyArray<{ sink: string; lag: number; healthy: boolean }>): void {
  new Gauge({
    name: 'tailor_sink_lag_events',
    help: 'Events in the log not yet forwarded, per sink',
    labelNames: ['sink'],
    registers: [registry],
    collect() {
      for (const { sink, lag } of sinkLag()) this.set({ sink }, lag);
    },
  });
  new Gauge({
    name: 'tailor_sink_healthy',
    help: '1 when the sink accepted its last send',
    labelNames: ['sink'],
    registers: [registry],
    collect() {
      for (const { sink, healthy } of sinkLag()) this.set({ sink }, healthy ? 1 : 0);
    },
  });
}
