export { RedisBackplane, type RedisBackplaneClusterOptions, type RedisBackplaneOptions } from './redis-backplane.js';
export type { RedisClusterNode } from './backplane-wire.js';
