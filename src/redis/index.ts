export {
  RedisBackplane,
  type RedisBackplaneClusterOptions,
  type RedisBackplaneOptions,
  type RedisBackplaneReplayOptions,
} from './redis-backplane.js';
export type { RedisClusterNode } from './backplane-wire.js';
