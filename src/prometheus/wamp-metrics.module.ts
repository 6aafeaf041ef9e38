import { WampBroker } from '../broker/wamp-broker.js';
import { WampMetrics, type WampMetricsOptions } from './wamp-metrics.js';

/**
 * Registers nest-wamp's series (`WampMetrics`) on a prom-client registry when the application
 * starts, and removes them when it closes. Needs `WampModule` (global by default) for the broker.
 * Serving the registry (a `/metrics` route) is the application's: see the README. A registry that
 * is itself a provider: provide `WampMetrics` with a factory instead,
 * `{ provide: WampMetrics, useFactory: (broker, registry) => new WampMetrics(broker, { registry }), inject: [WampBroker, MY_REGISTRY] }`.
 *
 * A plain dynamic module (no decorator): this entry point imports nothing from Nest, only prom-client.
 */
export class WampMetricsModule {
  static forRoot(options: WampMetricsOptions = {}) {
    return {
      module: WampMetricsModule,
      providers: [{ provide: WampMetrics, useFactory: (broker: WampBroker) => new WampMetrics(broker, options), inject: [WampBroker] }],
      exports: [WampMetrics],
    };
  }
}
