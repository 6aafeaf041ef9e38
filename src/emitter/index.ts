export {
  WampEmitter,
  WampEmitterBusyError,
  type WampEmitterConnection,
  type WampEmitterOptions,
  type WampEmitterRecipients,
} from './wamp-emitter.js';
