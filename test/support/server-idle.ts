import type { WampBroker } from '../../src/index.js';
import type { ServerSession } from '../../src/session/server-session.js';
import type { WampTestClient } from '../../src/testing/index.js';
import { until } from './until.js';

/**
 * Waits until the server has handled everything a session sent: a round-trip call shows every
 * earlier frame was received, then the session's pub/sub queue and calls must drain. How a test
 * shows that something did NOT happen, without sleeping.
 */
export async function serverIdle(broker: WampBroker, client: WampTestClient): Promise<void> {
  await client.call('urn:x-test:sync').catch(() => undefined);
  await until(() => {
    const session = broker.session(client.sessionId) as ServerSession | undefined;
    return !session || (session.queuedTasks === 0 && session.pendingCallCount === 0);
  });
}
