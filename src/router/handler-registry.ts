import { WampUriMap, WampUriMapError } from '../protocol/uri-map.js';
import { isWellFormedPattern, UriPatternTable, uriPatternKind } from '../protocol/uri-pattern.js';
import type { ServerSession } from '../session/server-session.js';
import type { WampPublishDecision } from './publish-decision.js';
import type { WampCallInvocation, WampPublishInvocation, WampSubscribeInvocation } from '../core/invocation.js';

/** Handlers answer synchronously, or with a Promise; both are welcome. They get the server's own session. */
export type CallHandler = (call: WampCallInvocation<ServerSession>) => unknown;
/** A truthy answer allows the subscription. */
export type SubscribeHandler = (subscription: WampSubscribeInvocation<ServerSession>) => unknown;
export type PublishHandler = (publication: WampPublishInvocation<ServerSession>) => WampPublishDecision | Promise<WampPublishDecision>;

/** A topic rule: a handler that decides, or a static allow/deny (`topics` option). */
export type TopicRule<H> = { readonly source: string; readonly handler: H } | { readonly source: string; readonly allow: boolean };

/** Thrown at bootstrap when two handlers claim the same procedure or topic pattern. */
export class WampRegistrationError extends Error {
  override readonly name = 'WampRegistrationError';
}

/**
 * What the server answers: procedures by exact URI, and subscribe and publish rules by topic
 * pattern. Filled at bootstrap and, through `WampRegistry`, while running; a malformed URI or
 * pattern, or a duplicate, is an error naming the claimants.
 */
export class HandlerRegistry {
  private readonly procedures = new Map<string, { readonly source: string; readonly handler: CallHandler }>();
  private readonly subscribeRules = new UriPatternTable<TopicRule<SubscribeHandler>>();
  private readonly publishRules = new UriPatternTable<TopicRule<PublishHandler>>();
  private changes = 0;
  /** Who else holds procedure URIs (clients that registered them, through the router): each names a holder, or says undefined. */
  private readonly otherHolders: Array<(uri: string) => string | undefined> = [];
  /** The WAMP v2 names of the server's URIs (the `v2.uris` option and the decorators' `v2`). */
  readonly uris = new WampUriMap();

  /** Changes with every addition and removal: what is derived from the registry can tell it is stale. */
  get revision(): number {
    return this.changes;
  }

  addProcedure(uri: string, handler: CallHandler, source: string): void {
    if (typeof uri !== 'string' || uri === '' || uriPatternKind(uri) !== 'exact') {
      throw new WampRegistrationError(`${source}: procedure URIs are exact and non-empty; "*" patterns are for topics ("${String(uri)}").`);
    }
    const holder = this.procedures.get(uri)?.source ?? this.holderOutside(uri);
    if (holder !== undefined) {
      throw new WampRegistrationError(
        `WAMP procedure "${uri}" is registered twice: by ${holder} and by ${source}. Give one of them another URI.`,
      );
    }
    this.procedures.set(uri, { source, handler });
    this.changes++;
  }

  /**
   * Procedure URIs are also held outside the registry (a WAMP v2 client's REGISTER): `holder`
   * names who holds a URI, or says undefined, and `addProcedure` refuses a URI held there as it
   * refuses one it holds itself, rather than shadowing the client's procedure unseen.
   */
  addProcedureHolder(holder: (uri: string) => string | undefined): void {
    this.otherHolders.push(holder);
  }

  addSubscribeRule(pattern: string, rule: TopicRule<SubscribeHandler>): void {
    this.addTopicRule(this.subscribeRules, 'subscribe', pattern, rule);
  }

  addPublishRule(pattern: string, rule: TopicRule<PublishHandler>): void {
    this.addTopicRule(this.publishRules, 'publish', pattern, rule);
  }

  /** Gives a URI (or a prefix pattern, ending in `*`) its WAMP v2 name; a second, different name is an error naming `source`. */
  nameForV2(uri: string, v2: string, source: string): void {
    try {
      this.uris.add({ v1: uri, v2 });
    } catch (error) {
      if (error instanceof WampUriMapError) throw new WampRegistrationError(`${source}: ${error.message}`);
      throw error;
    }
  }

  private holderOutside(uri: string): string | undefined {
    for (const holder of this.otherHolders) {
      const name = holder(uri);
      if (name !== undefined) return name;
    }
    return undefined;
  }

  /** Forgets a procedure; false when none was registered. Calls already running finish. */
  removeProcedure(uri: string): boolean {
    return this.changed(this.procedures.delete(uri));
  }

  /** Forgets a subscribe rule; false when there was none for exactly this pattern. */
  removeSubscribeRule(pattern: string): boolean {
    return this.changed(this.subscribeRules.remove(pattern));
  }

  /** Forgets a publish rule; false when there was none for exactly this pattern. */
  removePublishRule(pattern: string): boolean {
    return this.changed(this.publishRules.remove(pattern));
  }

  procedure(uri: string): CallHandler | undefined {
    return this.procedures.get(uri)?.handler;
  }

  subscribeRule(topic: string): TopicRule<SubscribeHandler> | undefined {
    return this.subscribeRules.match(topic)?.value;
  }

  publishRule(topic: string): TopicRule<PublishHandler> | undefined {
    return this.publishRules.match(topic)?.value;
  }

  procedureUris(): string[] {
    return [...this.procedures.keys()];
  }

  topicPatterns(action: 'subscribe' | 'publish'): string[] {
    const table = action === 'subscribe' ? this.subscribeRules : this.publishRules;
    return table.entries().map((entry) => entry.pattern);
  }

  /** The patterns whose rule may let a session in: a handler's, or a static `true` (a static `false` opens nothing). */
  openTopicPatterns(action: 'subscribe' | 'publish'): string[] {
    const table: UriPatternTable<TopicRule<unknown>> = action === 'subscribe' ? this.subscribeRules : this.publishRules;
    return table
      .entries()
      .filter(({ value }) => !('allow' in value) || value.allow)
      .map((entry) => entry.pattern);
  }

  private addTopicRule<H>(table: UriPatternTable<TopicRule<H>>, action: string, pattern: string, rule: TopicRule<H>): void {
    if (typeof pattern !== 'string' || pattern === '') {
      throw new WampRegistrationError(`${rule.source}: a topic URI or pattern is a non-empty string.`);
    }
    if (!isWellFormedPattern(pattern)) {
      throw new WampRegistrationError(
        `WAMP topic pattern "${pattern}" (${rule.source}) has a "*" before its end: a pattern is a URI, a prefix ending in "*", or "*".`,
      );
    }
    const existing = table.add(pattern, rule);
    if (existing) {
      throw new WampRegistrationError(
        `WAMP topic "${pattern}" has two ${action} rules: ${existing.value.source} and ${rule.source}. Keep one.`,
      );
    }
    this.changes++;
  }

  private changed(removed: boolean): boolean {
    if (removed) this.changes++;
    return removed;
  }
}
