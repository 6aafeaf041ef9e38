import type { ProtocolName } from '../protocol.js';

interface Common {
  readonly protocol: ProtocolName;
  /** Peer URLs; subscribers are spread over them, everything else uses the first. */
  readonly urls: readonly string[];
  readonly warmupMs: number;
  readonly measureMs: number;
  /**
   * Spread the connections over this many loopback source addresses (127.0.0.2, 127.0.0.3, …),
   * each with its own range of ephemeral ports, for tens of thousands of connections. Default:
   * none chosen (the kernel's, 127.0.0.1).
   */
  readonly sourceAddresses?: number;
}

export type Task =
  | (Common & { readonly scenario: 'rpc'; readonly connections: number; readonly depth: number; readonly payloadBytes: number })
  | (Common & { readonly scenario: 'fanout'; readonly subscribers: number; readonly window: number })
  | (Common & { readonly scenario: 'paced'; readonly subscribers: number; readonly rate: number })
  | (Common & {
      readonly scenario: 'conns';
      readonly from: number;
      readonly to: number;
      readonly concurrency: number;
      readonly auth: boolean;
      /**
       * Sample memory (after a forced GC) before any session and after each of `CONNS_STEPS`
       * steps; without it, CPU is taken over one window from `from` to `to` and nothing forces a
       * GC (one would leave sweeping and recompilation behind it, in the next window).
       */
      readonly memory: boolean;
      /** WAMP: CURI prefixes each session defines once connected (to hold them at `limits.prefixes`). */
      readonly prefixes?: number;
      /** Rooms each session joins once connected (to hold it at `limits.subscriptions`); the same rooms for every session. */
      readonly subscriptions?: number;
    })
  | (Common & {
      readonly scenario: 'rooms';
      /** Chat rooms, each joined by `perRoom` of the `connections` subscribers (each in `rooms × perRoom / connections` rooms). */
      readonly rooms: number;
      readonly perRoom: number;
      readonly connections: number;
      /** Publishers (not subscribers), publishing to rooms in turn; `window` events in flight over all of them. */
      readonly publishers: number;
      readonly window: number;
    })
  | (Common & {
      readonly scenario: 'rules';
      /** How many prefix patterns the peer has (the topics used fall under the middle one). */
      readonly rules: number;
      readonly connections: number;
      /** Subscribe + unsubscribe pairs, or publishes, per round trip of each connection. */
      readonly batch: number;
    })
  | (Common & {
      readonly scenario: 'churn';
      readonly cycles: number;
      readonly concurrency: number;
      readonly connections: number;
      readonly depth: number;
    });

/** What the load generator reports: named figures, and its own CPU time. */
export interface LoadResult {
  readonly figures: Record<string, number>;
  readonly loadgenCpuMs: number;
  readonly wallMs: number;
}

/** Load generator → orchestrator. */
export type LoadgenMessage =
  { type: 'mark'; name: string; gc?: boolean } | { type: 'result'; result: LoadResult } | { type: 'failed'; error: string };

/** Orchestrator → load generator. */
export type OrchestratorMessage = { type: 'marked'; name: string };
