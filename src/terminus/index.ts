// nest-wamp/terminus: a health indicator for @nestjs/terminus 11 or 12.
export { WampHealthIndicator, type WampHealthCheckOptions } from '../nest/wamp-health.indicator.js';
