export {
  WampEmitter,
  WampEmitterBusyError,
  type WampEmitterConnection,
  type WampEmitterOptions,
  type WampEmitterRecipients,
} from './wamp-emitter.js';
export type { RedisClusterNode } from '../redis/backplane-wire.js';
