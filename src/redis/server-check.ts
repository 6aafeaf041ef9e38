/**
 * What a Redis server's INFO says against the way a client means to use it, as messages that say
 * what to change (the backplane logs them, once each). Pure: tested without a server.
 */
export function serverProblems(
  info: string,
  use: { readonly owner: string; readonly node: string; readonly sharded: boolean; readonly cluster: boolean },
): string[] {
  const field = (name: string): string | undefined => new RegExp(`^${name}:(.*?)\\r?$`, 'm').exec(info)?.[1];
  const version = field('redis_version');
  const problems: string[] = [];
  const major = Number(version?.split('.')[0]);
  if (use.sharded && Number.isInteger(major) && major < 7) {
    problems.push(
      `${use.owner}: sharded pub/sub (SPUBLISH, SSUBSCRIBE) needs Redis 7 or later, but the Redis at ${use.node} is ${version}: ` +
        `events are not shared across instances. Upgrade Redis, or leave \`sharded\` unset.`,
    );
  }
  if (use.sharded && !use.cluster && field('cluster_enabled') === '1') {
    problems.push(
      `${use.owner}: the Redis at ${use.node} is a node of a Redis Cluster, which serves the shard channels of its own slots only: ` +
        `give \`cluster: { nodes: [...] }\` instead of \`url\` or \`client\`.`,
    );
  }
  return problems;
}

/** The message for `cluster` given with a Redis that is not a cluster node (CLUSTER SLOTS refused). */
export function notAClusterProblem(owner: string, error: string): string | undefined {
  if (!/cluster support disabled/i.test(error)) return undefined;
  return `${owner}: \`cluster\` is set, but its nodes are not a Redis Cluster (${error}): give \`url\` (with \`sharded: true\` on Redis 7) for one Redis.`;
}
