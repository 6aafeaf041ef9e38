import { WampModule } from '../../src/index.js';
import { WampEngine } from '../../src/engine/wamp-engine.js';
import { RedisBackplane, type RedisBackplaneOptions } from '../../src/redis/index.js';
import { Ping } from '../fixtures/ping.js';
import { startApp, type TestServer } from './start-app.js';

/** The topics the backplane tests use: every one of them is open. */
export const EV = 'http://example.com/event#';

/** An app on a `RedisBackplane` of these options, with every `EV` topic open and `Ping`. */
export function startBackplaneApp(options: RedisBackplaneOptions): Promise<TestServer> {
  return startApp({
    imports: [WampModule.forRoot({ topics: { [`${EV}*`]: true }, backplane: new RedisBackplane(options) })],
    providers: [Ping],
  });
}

/** The backplane an app runs on. */
export function backplaneOf(server: TestServer): RedisBackplane {
  return server.app.get(WampEngine).backplane as RedisBackplane;
}
