// What the engine holds inside, for tests that prove it is freed: the router's client procedures
// (registrations and invocations of v2 callees), the topic index (v1 subscribers, v2 exact and
// prefix subscriptions), the v2 opening's timers and exchanges. Tests look inside on purpose.
import { WampEngine } from '../../src/engine/wamp-engine.js';
import type { TopicIndex } from '../../src/pubsub/topic-index.js';
import type { ClientProcedures } from '../../src/router/client-procedures.js';
import type { Wamp2Opening } from '../../src/router/v2/wamp2-opening.js';
import type { WampRouter } from '../../src/router/wamp-router.js';
import type { ServerSession } from '../../src/session/server-session.js';
import type { TestServer } from './start-app.js';

/** The dealer's state for procedures clients registered (the v1 router owns it). */
export function clientProcedures(server: TestServer): ClientProcedures {
  return (server.app.get(WampEngine) as unknown as { router: WampRouter }).router.clientProcedures;
}

/** Topics and their subscribers, v1 and v2 alike. */
export function topicIndex(server: TestServer): TopicIndex {
  return (server.app.get(WampEngine) as unknown as { topics: TopicIndex }).topics;
}

/** The v2 router's opening (HELLO to WELCOME, GOODBYE), for what it holds per session; undefined with `v2: false`. */
export function v2Opening(server: TestServer): Wamp2Opening | undefined {
  return (server.app.get(WampEngine) as unknown as { router2?: { opening: Wamp2Opening } }).router2?.opening;
}

/** The bytes the server holds for the connection of the v2 session `v2Id` (0 once it is gone). */
export function v2SessionBytesHeld(server: TestServer, v2Id: number): number {
  const sessions = (server.app.get(WampEngine) as unknown as { sessions: { values(): Iterable<ServerSession> } }).sessions;
  for (const session of sessions.values()) if (session.v2Id === v2Id) return session.bytesHeld;
  return 0;
}

/** Everything a session may leave behind, as counts: all 0 once every session is gone. */
export interface EngineLeftovers {
  readonly sessions: number;
  readonly topics: number;
  readonly v2Subscriptions: number;
  readonly v2Prefixes: number;
  readonly registrations: number;
  readonly invocations: number;
  readonly openingDeadlines: number;
  readonly goodbyes: number;
  readonly exchanges: number;
  readonly bytesHeld: number;
}

export const NOTHING_LEFT: EngineLeftovers = {
  sessions: 0,
  topics: 0,
  v2Subscriptions: 0,
  v2Prefixes: 0,
  registrations: 0,
  invocations: 0,
  openingDeadlines: 0,
  goodbyes: 0,
  exchanges: 0,
  bytesHeld: 0,
};

export function engineLeftovers(server: TestServer): EngineLeftovers {
  const stats = server.broker.stats();
  const topics = topicIndex(server);
  const procedures = clientProcedures(server);
  const opening = v2Opening(server)?.pendingState ?? { deadlines: 0, goodbyes: 0, exchanges: 0 };
  return {
    sessions: stats.sessions,
    topics: stats.topics,
    v2Subscriptions: topics.v2.size,
    v2Prefixes: topics.v2.prefixes.size,
    registrations: procedures.registrationCount,
    invocations: procedures.pendingInvocationCount,
    openingDeadlines: opening.deadlines,
    goodbyes: opening.goodbyes,
    exchanges: opening.exchanges,
    bytesHeld: stats.bytesHeld,
  };
}
