// nest-wamp/prometheus: nest-wamp's Prometheus series (needs prom-client 15).
export { WampMetrics, type WampMetricsOptions, type WampStatsSource } from './wamp-metrics.js';
export { WampMetricsModule } from './wamp-metrics.module.js';
