export { RedisBackplane, type RedisBackplaneOptions } from './redis-backplane.js';
