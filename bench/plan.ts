import type { Task } from './loadgen/task.js';
import { type PeerName, type PeerSettings, PROTOCOL_OF, type ProtocolName } from './protocol.js';

/** One measurement: some peer processes, one task for the load generator(s). */
export interface Entry {
  readonly scenario: string;
  /** How the row is labelled in the results. */
  readonly label: string;
  /** The scale scenarios' size (sessions, subscribers, rooms or rules): rows of one label are compared size by size. */
  readonly size?: number;
  readonly peers: readonly PeerSettings[];
  readonly protocol: ProtocolName;
  readonly task: DistributiveOmit<Task, 'urls' | 'protocol'>;
  /** Load-generator processes splitting the task (rpc only). Default 1. */
  readonly generators?: number;
  /** Pin the peer to core 0 and the load generator to core 1. Default true. */
  readonly pinned?: boolean;
  /** Extra Node.js flags for the peer processes. */
  readonly peerNodeArgs?: readonly string[];
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export interface PlanOptions {
  readonly warmupMs: number;
  readonly measureMs: number;
  readonly redisUrl: string;
  /** A Redis Cluster's nodes (`host:port`) for the cluster scenario's sharded row; none: no such row. */
  readonly redisClusterNodes?: readonly string[];
  readonly channelPrefix: string;
}

/**
 * For the memory measurement only: a small young generation, so that what RSS shows is what the
 * sessions keep, not how full the (otherwise up to tens of MB) nursery happened to be. It makes
 * every allocation dearer, so the connect CPU is measured again (`connect`) with Node's defaults,
 * as applications run.
 */
export const SMALL_YOUNG_GENERATION = ['--max-semi-space-size=1'];

/** The label of the rows where nest-wamp serves a WAMP v2 client. */
export const V2_LABEL = 'nest-wamp (v2)';

const ALL: readonly PeerName[] = ['raw-ws', 'nest-ws', 'socketio', 'nest-socketio', 'nest-wamp', 'nest-wamp-guarded'];
const NO_GUARD_VARIANT: readonly PeerName[] = ['raw-ws', 'nest-ws', 'socketio', 'nest-socketio', 'nest-wamp'];

/** Every scenario of the suite, each over its peers, in the order a round runs them. */
export function plan(options: PlanOptions): Entry[] {
  const timing = { warmupMs: options.warmupMs, measureMs: options.measureMs };
  const single = (scenario: string, peers: readonly PeerName[], task: Entry['task'], settings: Partial<PeerSettings> = {}) =>
    peers.map((peer): Entry => ({
      scenario,
      label: peer,
      peers: [{ peer, ...settings }],
      protocol: PROTOCOL_OF[peer],
      task,
      peerNodeArgs: scenario === 'conns' ? SMALL_YOUNG_GENERATION : undefined,
    }));
  /** Idle sessions 2000 → 5000: memory (`conns`) or CPU per connect (`connect`); WAMP sessions authenticate anonymously. */
  const sessions = (scenario: 'conns' | 'connect'): Entry[] => {
    const memory = scenario === 'conns';
    const task = (auth: boolean): Entry['task'] => ({ scenario: 'conns', from: 2000, to: 5000, concurrency: 50, auth, memory, ...timing });
    const nodeArgs = memory ? SMALL_YOUNG_GENERATION : undefined;
    return [
      ...single(scenario, ['raw-ws', 'nest-ws', 'socketio', 'nest-socketio'], task(false)),
      ...single(scenario, ['nest-wamp'], task(true), { auth: true }),
      {
        scenario,
        label: 'raw-ws, WAMP-like exchange',
        peers: [{ peer: 'raw-ws', welcome: true }],
        protocol: 'raw-ws',
        peerNodeArgs: nodeArgs,
        task: task(true),
      },
    ];
  };
  const rpcTask = (payloadBytes: number): Entry['task'] => ({ scenario: 'rpc', connections: 32, depth: 8, payloadBytes, ...timing });
  const fanoutTask: Entry['task'] = { scenario: 'fanout', subscribers: 200, window: 4, ...timing };
  const cluster = (
    label: string,
    peer: PeerName,
    instances: number,
    redis: Partial<PeerSettings> = { redisUrl: options.redisUrl },
  ): Entry => ({
    scenario: 'cluster',
    label,
    peers: Array.from({ length: instances }, () => (instances > 1 ? { peer, ...redis, channelPrefix: options.channelPrefix } : { peer })),
    protocol: PROTOCOL_OF[peer],
    task: fanoutTask,
    pinned: false,
  });
  /** nest-wamp serving a WAMP v2 client (same peer, same handlers). */
  const v2 = (scenario: string, task: Entry['task']): Entry => ({
    scenario,
    label: V2_LABEL,
    peers: [{ peer: 'nest-wamp' }],
    protocol: 'wamp2',
    task,
  });
  return [
    ...single('rpc', ALL, rpcTask(16)),
    v2('rpc', rpcTask(16)),
    ...single('payload-1k', ALL, rpcTask(1024)),
    ...single('payload-64k', ALL, rpcTask(64 * 1024)),
    ...single('fanout', NO_GUARD_VARIANT, fanoutTask),
    v2('fanout', fanoutTask),
    ...single('paced', NO_GUARD_VARIANT, { scenario: 'paced', subscribers: 200, rate: 250, ...timing }),
    ...sessions('conns'),
    ...sessions('connect'),
    ...single('churn', NO_GUARD_VARIANT, { scenario: 'churn', cycles: 5000, concurrency: 32, connections: 32, depth: 8, ...timing }),
    cluster('nest-wamp ×1', 'nest-wamp', 1),
    cluster('nest-wamp ×2 (Redis)', 'nest-wamp', 2),
    ...(options.redisClusterNodes
      ? [cluster('nest-wamp ×2 (Redis Cluster)', 'nest-wamp', 2, { redisClusterNodes: options.redisClusterNodes })]
      : []),
    cluster('socketio ×1', 'socketio', 1),
    cluster('socketio ×2 (Redis adapter)', 'socketio', 2),
    { scenario: 'loadgen', label: 'raw-ws, 1 generator', peers: [{ peer: 'raw-ws' }], protocol: 'raw-ws', task: rpcTask(16) },
    {
      scenario: 'loadgen',
      label: 'raw-ws, 2 generators',
      peers: [{ peer: 'raw-ws' }],
      protocol: 'raw-ws',
      task: rpcTask(16),
      generators: 2,
    },
  ];
}
