import { existsSync } from 'node:fs';
import { REDIS_SERVER } from './redis-server.js';

export { RedisClusterServers } from './redis-cluster-servers.js';

/**
 * `describe` when /usr/bin/redis-server (or REDIS_SERVER_BIN) exists; otherwise `describe.skip`
 * with a loud notice, or a failure when REQUIRE_REDIS=1 (CI).
 */
export function describeWithRedisServer(): jest.Describe {
  if (existsSync(REDIS_SERVER)) return describe;
  if (process.env.REQUIRE_REDIS === '1') throw new Error(`REQUIRE_REDIS=1 but there is no redis-server at ${REDIS_SERVER}`);
  console.warn(`\n*** SKIPPING the Redis Cluster tests: no redis-server at ${REDIS_SERVER} (set REDIS_SERVER_BIN). ***\n`);
  return describe.skip;
}
