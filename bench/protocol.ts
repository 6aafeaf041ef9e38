/**
 * What every peer of the benchmark serves, in its own protocol: an echo procedure (the reply
 * carries the request's payload back) and one topic that subscribers join and a publisher
 * publishes to (every subscriber gets every event; the publisher is not a subscriber).
 */
export const WAMP_ECHO = 'urn:bench:echo';
export const WAMP_TOPIC = 'urn:bench:topic';

/**
 * The scale scenarios' topics: chat rooms (`${ROOM_PREFIX}<n>`, allowed by one prefix rule) and
 * the topics of the rules scenario (`${RULE_PREFIX}<n>:<anything>`, one prefix pattern per n).
 */
export const ROOM_PREFIX = 'urn:bench:room:';
export const RULE_PREFIX = 'urn:bench:rule:';

/** The rules scenario's patterns: `urn:bench:rule:0:*` … `urn:bench:rule:<count - 1>:*`. */
export function rulePatterns(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `${RULE_PREFIX}${index}:*`);
}

/** A topic under the rules scenario's middle pattern: a lookup has to find it among all of them. */
export function ruleTopic(rules: number, name: string): string {
  return `${RULE_PREFIX}${Math.floor(rules / 2)}:${name}`;
}

/** The peers, by name. */
export const PEERS = ['raw-ws', 'nest-ws', 'socketio', 'nest-socketio', 'nest-wamp', 'nest-wamp-guarded'] as const;
export type PeerName = (typeof PEERS)[number];

/** The wire protocol a peer speaks, i.e. which load-generator client talks to it. */
export type ProtocolName = 'raw-ws' | 'nest-ws' | 'socketio' | 'wamp' | 'wamp2';

export const PROTOCOL_OF: Record<PeerName, ProtocolName> = {
  'raw-ws': 'raw-ws',
  'nest-ws': 'nest-ws',
  socketio: 'socketio',
  'nest-socketio': 'socketio',
  'nest-wamp': 'wamp',
  'nest-wamp-guarded': 'wamp',
};

/** The realm the WAMP v2 rows join (nest-wamp's default). */
export const WAMP2_REALM = 'realm1';

/** How a peer process is started. */
export interface PeerSettings {
  readonly peer: PeerName;
  /** WAMP: require anonymous WAMP-CRA before anything (the conns scenario's "authenticated session"). */
  readonly auth?: boolean;
  /** raw ws: greet every connection with a message first, as WAMP's WELCOME (the conns scenario's like-for-like row). */
  readonly welcome?: boolean;
  /** nest-wamp: allow the rooms (one prefix rule, `${ROOM_PREFIX}*`) beside the benchmark topic. */
  readonly rooms?: boolean;
  /**
   * nest-wamp: this many prefix patterns (`rulePatterns`) as topic rules and, with `auth`, as the
   * permission map's subscribe and publish grants (one shared map, compiled once).
   */
  readonly rules?: number;
  /** Share pub/sub through this Redis (WAMP: RedisBackplane; socket.io: @socket.io/redis-adapter). */
  readonly redisUrl?: string;
  /** nest-wamp: share pub/sub through this Redis Cluster (`host:port` of its nodes; RedisBackplane's sharded mode). */
  readonly redisClusterNodes?: readonly string[];
  readonly channelPrefix?: string;
}

/** Messages a peer process sends to the orchestrator. */
export type PeerMessage = { type: 'ready'; port: number } | { type: 'gc-done'; memory: NodeJS.MemoryUsage };
