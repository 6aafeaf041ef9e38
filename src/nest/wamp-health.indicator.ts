import { Injectable } from '@nestjs/common';
import { type HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { WampBroker } from '../broker/wamp-broker.js';

/** What `WampHealthIndicator.isHealthy` asks for. */
export interface WampHealthCheckOptions {
  /**
   * Whether a disconnected backplane makes the indicator `down` (default true). With false it
   * stays `up` and says `backplane: 'disconnected'`: an instance then still serves its own
   * sessions, and a readiness probe does not take every instance out at once when Redis goes away.
   */
  readonly requireBackplane?: boolean;
}

/**
 * A @nestjs/terminus (11 or 12) health indicator for the WAMP endpoint:
 * `health.check([() => wamp.isHealthy('wamp')])`. Up while WAMP serves (listening, not shutting
 * down) and the backplane, if it reports a connection, is connected; down while starting or
 * shutting down, or with the backplane disconnected. The details say `state` (`starting`,
 * `serving`, `stopping`, `stopped`), `sessions` (open now) and `backplane` (`none`, `connected`,
 * `disconnected`). Add it to the providers of a module that imports `TerminusModule`.
 */
@Injectable()
export class WampHealthIndicator {
  constructor(
    private readonly broker: WampBroker,
    private readonly health: HealthIndicatorService,
  ) {}

  isHealthy<const Key extends string>(key: Key, { requireBackplane = true }: WampHealthCheckOptions = {}): HealthIndicatorResult<Key> {
    const { state, sessions, backplane } = this.broker.stats();
    const details = { state, sessions, backplane: backplane.state };
    const indicator = this.health.check(key);
    const healthy = state === 'serving' && (backplane.state !== 'disconnected' || !requireBackplane);
    return healthy ? indicator.up(details) : indicator.down(details);
  }
}
