import type { Entry, PlanOptions } from './plan.js';
import { SMALL_YOUNG_GENERATION } from './plan.js';
import { PROTOCOL_OF, type PeerName, type PeerSettings } from './protocol.js';

/**
 * The scale part of the suite (`--only scale`): how the costs grow with the number of sessions,
 * subscribers, rooms, rules and per-session state, beside raw ws where raw ws has an equivalent.
 * Every scenario runs at each of its sizes; a row is compared with raw ws at the same size (the
 * rules, which raw ws has no equivalent of, with nest-wamp at the fewest rules).
 */
export const SCALE_SCENARIOS = [
  'scale-sessions',
  'scale-connect',
  'scale-fanout',
  'scale-paced',
  'scale-rooms',
  'scale-rules',
  'scale-limits',
] as const;

export interface ScaleSizes {
  /** Idle authenticated sessions (scale-sessions, scale-connect). */
  readonly sessions: readonly number[];
  /** Subscribers of one topic (scale-fanout, scale-paced). */
  readonly subscribers: readonly number[];
  /** Chat rooms of ROOM_MEMBERS subscribers each (scale-rooms). */
  readonly rooms: readonly number[];
  /** Prefix patterns in the topic rules and the permission map (scale-rules). */
  readonly rules: readonly number[];
  /** Sessions holding prefixes and subscriptions at their limits (scale-limits). */
  readonly limits: readonly number[];
}

/** `--sizes full` (the sizes) or `--sizes smoke` (tiny, to check that everything runs: never results). */
export const SCALE_SIZES: Record<'full' | 'smoke', ScaleSizes> = {
  full: {
    sessions: [5000, 20_000, 50_000],
    subscribers: [200, 2000, 10_000],
    rooms: [100, 1000, 10_000],
    rules: [10, 1000, 10_000],
    limits: [250, 1000, 2000],
  },
  smoke: {
    sessions: [200, 400],
    subscribers: [50, 100],
    rooms: [20, 40],
    rules: [10, 100],
    limits: [20, 40],
  },
};

/** Subscribers per chat room. */
export const ROOM_MEMBERS = 5;
/** scale-paced publishes at this many deliveries per second whatever the number of subscribers (250 events/s to 200). */
export const PACED_DELIVERIES_PER_SEC = 50_000;
/** `limits.prefixes` and `limits.subscriptions` by default: what scale-limits holds per session. */
export const DEFAULT_PREFIX_LIMIT = 256;
export const DEFAULT_SUBSCRIPTION_LIMIT = 1024;
/**
 * Loopback source addresses the load generator spreads its connections over (127.0.0.2 …):
 * each has its own ~28,000 ephemeral ports, so 50,000 connections do not run out of them.
 */
const SOURCE_ADDRESSES = 4;
/** File descriptors a process needs besides its connections (listening socket, pipes, Node's own). */
const SPARE_FILES = 256;

export interface ScalePlan {
  readonly entries: Entry[];
  /** What the machine made smaller or left out (open files), for the report. */
  readonly notes: string[];
}

/**
 * The scale entries, in the order a round runs them (each scenario size by size, the peers
 * side by side within a size). `openFiles` is the open-files limit of the peer and the load
 * generator: a size with more connections than it allows is clipped (sessions) or left out.
 */
export function scalePlan(options: PlanOptions, sizes: ScaleSizes, openFiles: number): ScalePlan {
  const timing = { warmupMs: options.warmupMs, measureMs: options.measureMs };
  const maxConnections = openFiles - SPARE_FILES;
  const notes: string[] = [];
  const entry = (
    scenario: string,
    size: number,
    label: string,
    settings: PeerSettings,
    task: Entry['task'],
    nodeArgs?: readonly string[],
  ) =>
    ({
      scenario,
      label,
      size,
      peers: [settings],
      protocol: PROTOCOL_OF[settings.peer],
      task,
      peerNodeArgs: nodeArgs,
    }) satisfies Entry;
  /** The sizes that fit in the open files; sessions are clipped to the most that fit, other sizes left out. */
  const fitting = (what: string, wanted: readonly number[], connectionsOf: (size: number) => number, clip: boolean): number[] => {
    const kept = new Set<number>();
    for (const size of wanted) {
      if (connectionsOf(size) <= maxConnections) kept.add(size);
      else if (clip) {
        kept.add(maxConnections);
        notes.push(`${what}: ${size} clipped to ${maxConnections} (open files limit ${openFiles}; raise \`ulimit -n\`, as root, for more)`);
      } else notes.push(`${what}: ${size} left out (it needs ${connectionsOf(size)} connections; open files limit ${openFiles})`);
    }
    return [...kept];
  };

  const sessions = (scenario: 'scale-sessions' | 'scale-connect'): Entry[] => {
    const memory = scenario === 'scale-sessions';
    const nodeArgs = memory ? SMALL_YOUNG_GENERATION : undefined;
    return fitting(scenario, sizes.sessions, (size) => size, true).flatMap((size) => {
      const task = (auth: boolean): Entry['task'] => ({
        scenario: 'conns',
        from: Math.round(size * 0.4),
        to: size,
        concurrency: 50,
        auth,
        memory,
        sourceAddresses: SOURCE_ADDRESSES,
        ...timing,
      });
      return [
        entry(scenario, size, 'raw-ws', { peer: 'raw-ws' }, task(false), nodeArgs),
        entry(scenario, size, 'nest-wamp', { peer: 'nest-wamp', auth: true }, task(true), nodeArgs),
        entry(scenario, size, 'raw-ws, WAMP-like exchange', { peer: 'raw-ws', welcome: true }, task(true), nodeArgs),
      ];
    });
  };
  const bothPeers = (scenario: string, size: number, task: Entry['task'], nestWamp: Partial<PeerSettings> = {}): Entry[] =>
    (['raw-ws', 'nest-wamp'] as const satisfies readonly PeerName[]).map((peer) =>
      entry(scenario, size, peer, peer === 'nest-wamp' ? { peer, ...nestWamp } : { peer }, task),
    );
  const subscriberSizes = fitting('scale-fanout and scale-paced', sizes.subscribers, (size) => size + 1, false);
  const publishers = 16;
  return {
    notes,
    entries: [
      ...sessions('scale-sessions'),
      ...sessions('scale-connect'),
      ...subscriberSizes.flatMap((size) =>
        bothPeers('scale-fanout', size, { scenario: 'fanout', subscribers: size, window: 4, sourceAddresses: SOURCE_ADDRESSES, ...timing }),
      ),
      ...subscriberSizes.flatMap((size) =>
        bothPeers('scale-paced', size, {
          scenario: 'paced',
          subscribers: size,
          rate: PACED_DELIVERIES_PER_SEC / size,
          sourceAddresses: SOURCE_ADDRESSES,
          ...timing,
        }),
      ),
      ...fitting('scale-rooms', sizes.rooms, (size) => size + publishers, false).flatMap((size) =>
        bothPeers(
          'scale-rooms',
          size,
          {
            scenario: 'rooms',
            rooms: size,
            perRoom: ROOM_MEMBERS,
            connections: size,
            publishers,
            window: 64,
            sourceAddresses: SOURCE_ADDRESSES,
            ...timing,
          },
          { rooms: true },
        ),
      ),
      ...sizes.rules.map((size) =>
        entry(
          'scale-rules',
          size,
          'nest-wamp',
          { peer: 'nest-wamp', auth: true, rules: size },
          {
            scenario: 'rules',
            rules: size,
            connections: 8,
            batch: 50,
            ...timing,
          },
        ),
      ),
      ...fitting('scale-limits', sizes.limits, (size) => size, false).flatMap((size) => {
        const task = (auth: boolean, prefixes: number): Entry['task'] => ({
          scenario: 'conns',
          from: Math.round(size * 0.4),
          to: size,
          concurrency: 50,
          auth,
          memory: true,
          prefixes,
          subscriptions: DEFAULT_SUBSCRIPTION_LIMIT,
          sourceAddresses: SOURCE_ADDRESSES,
          ...timing,
        });
        return [
          entry('scale-limits', size, LIMITS_BASELINE, { peer: 'raw-ws' }, task(false, 0), SMALL_YOUNG_GENERATION),
          entry(
            'scale-limits',
            size,
            `nest-wamp, ${DEFAULT_SUBSCRIPTION_LIMIT} rooms`,
            { peer: 'nest-wamp', auth: true, rooms: true },
            task(true, 0),
            SMALL_YOUNG_GENERATION,
          ),
          entry(
            'scale-limits',
            size,
            `nest-wamp, ${DEFAULT_SUBSCRIPTION_LIMIT} rooms + ${DEFAULT_PREFIX_LIMIT} prefixes`,
            { peer: 'nest-wamp', auth: true, rooms: true },
            task(true, DEFAULT_PREFIX_LIMIT),
            SMALL_YOUNG_GENERATION,
          ),
        ];
      }),
    ],
  };
}

/** scale-limits' baseline row: raw ws connections in the same 1024 rooms (raw ws has no prefixes). */
export const LIMITS_BASELINE = `raw-ws, ${DEFAULT_SUBSCRIPTION_LIMIT} rooms`;
