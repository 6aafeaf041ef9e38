import type { WampUriPair } from 'nest-wamp';

/** The URIs of the sample (see README, "The sample app"), and their WAMP v2 names. */
export const RPC = 'http://wamp.sample/rpc#';
export const EVENT = 'http://wamp.sample/event#';
const SAMPLE_ERROR = 'http://wamp.sample/error#';
/** Procedures that signed-in WAMP v2 clients register, and that clients of both protocols call. */
export const USER_RPC = 'http://wamp.sample/user#';

export const CHAT_TOPIC = `${EVENT}chat`;
export const TIME_TOPIC = `${EVENT}time`;
export const FEED_TOPICS = `${EVENT}feed/*`;
export const SUB_ONLY_TOPIC = `${EVENT}sub-only`;
export const PUB_ONLY_TOPIC = `${EVENT}pub-only`;

export const INVALID_ARGUMENT_ERROR = `${SAMPLE_ERROR}invalid-argument`;
export const CALC_ERROR = `${SAMPLE_ERROR}calc`;

/** The one realm WAMP v2 clients join. */
export const V2_REALM = 'sample';

/** Every name a WAMP v2 client uses, beside the v1 URI the handlers know it by (prefix pairs end in `*`). */
export const V2_NAMES: readonly WampUriPair[] = [
  { v1: `${RPC}*`, v2: 'sample.rpc.*' },
  { v1: `${USER_RPC}*`, v2: 'sample.user.*' },
  { v1: CHAT_TOPIC, v2: 'sample.event.chat' },
  { v1: TIME_TOPIC, v2: 'sample.event.time' },
  { v1: SUB_ONLY_TOPIC, v2: 'sample.event.sub_only' },
  { v1: PUB_ONLY_TOPIC, v2: 'sample.event.pub_only' },
  { v1: FEED_TOPICS, v2: 'sample.event.feed.*' },
  // The feeds' common prefix, which v2 clients subscribe to with `match: 'prefix'` to get every feed.
  { v1: `${EVENT}feed/`, v2: 'sample.event.feed' },
  { v1: INVALID_ARGUMENT_ERROR, v2: 'sample.error.invalid_argument' },
  { v1: CALC_ERROR, v2: 'sample.error.calc' },
];
