import { Controller, Get, Header } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { WampHealthIndicator } from 'nest-wamp/terminus';
import { Registry } from 'prom-client';

/** What an operator scrapes and probes. */
@Controller()
export class OpsController {
  constructor(
    private readonly registry: Registry,
    private readonly health: HealthCheckService,
    private readonly wamp: WampHealthIndicator,
  ) {}

  /** Prometheus text format: nest-wamp's wamp_* series. */
  @Get('metrics')
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /**
   * 200 while WAMP serves (and, with WAMP_REDIS_URL, the backplane is connected), with the state,
   * the open sessions and the backplane in the body; 503 while starting, shutting down, or with
   * the backplane disconnected.
   */
  @Get('health')
  @HealthCheck()
  check() {
    return this.health.check([() => this.wamp.isHealthy('wamp')]);
  }
}
