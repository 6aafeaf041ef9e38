/** A question one instance asks the others: an operation of `WampCluster` and its arguments. */
export interface ClusterRequest {
  readonly op: string;
  readonly args: readonly unknown[];
}

/** How an instance answers the others' requests: a JSON value, or a promise of one. */
export type ClusterResponder = (request: ClusterRequest) => unknown;

/**
 * How the instances of an application ask each other (a backplane that connects instances offers
 * one, e.g. `RedisBackplane`). Requests and answers are JSON values.
 */
export interface ClusterBus {
  /** This instance's name in the cluster (in `WampClusterSession.instance`). */
  readonly instanceId: string;
  /** Starts answering the other instances' requests with `respond`. */
  serve(respond: ClusterResponder): void;
  /**
   * Sends `request` to every other instance and resolves with their answers: once every instance
   * that received it answered, or after the bus's timeout with the answers that came (an instance
   * that failed or did not answer in time is left out). Never rejects.
   */
  ask(request: ClusterRequest): Promise<unknown[]>;
}
