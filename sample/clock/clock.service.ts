import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { WampBroker } from 'nest-wamp';
import { TIME_TOPIC } from '../uris.js';

export const CLOCK_INTERVAL_MS = 1000;

/**
 * Publishes `{ now: <epoch ms> }` on the time topic every second, through the injected broker.
 * Every instance runs its own clock for its own subscribers (`local`), so that a subscriber gets
 * one tick a second however many instances share a Redis.
 */
@Injectable()
export class ClockService implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;

  constructor(private readonly broker: WampBroker) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.broker.publish(TIME_TOPIC, { now: Date.now() }, { local: true }), CLOCK_INTERVAL_MS);
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }
}
