import { type DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { WampMetricsModule } from 'nest-wamp/prometheus';
import { WampHealthIndicator } from 'nest-wamp/terminus';
import { Registry } from 'prom-client';
import { OpsController } from './ops.controller.js';

/** GET /metrics (nest-wamp's series on a registry of this app's own) and GET /health (terminus). */
@Module({})
export class OpsModule {
  static forRoot(): DynamicModule {
    const registry = new Registry();
    return {
      module: OpsModule,
      imports: [WampMetricsModule.forRoot({ registry }), TerminusModule],
      controllers: [OpsController],
      providers: [{ provide: Registry, useValue: registry }, WampHealthIndicator],
    };
  }
}
