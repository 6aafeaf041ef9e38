/** The URIs of the sample (see README, "The sample app"). */
export const RPC = 'http://wamp.sample/rpc#';
export const EVENT = 'http://wamp.sample/event#';
export const SAMPLE_ERROR = 'http://wamp.sample/error#';

export const CHAT_TOPIC = `${EVENT}chat`;
export const TIME_TOPIC = `${EVENT}time`;
