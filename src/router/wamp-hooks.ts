import type { WampCloseInfo, WampSession } from '../core/wamp-session.js';
import { errorMessage } from '../core/errors.js';
import type { WampCallInvocation } from '../core/invocation.js';
import type { ThrottledLog } from '../core/throttled-log.js';

/** A publication as it was delivered (after any `@WampPublish` rewrite). */
export interface WampPublication {
  readonly topic: string;
  readonly event: unknown;
  readonly exclude: readonly string[];
  readonly eligible?: readonly string[];
}

/** The CALLERROR a call was answered with. */
export interface WampCallErrorInfo {
  readonly uri: string;
  readonly desc: string;
  readonly details?: unknown;
}

/** After WELCOME was sent (clj-wamp `:on-open`). */
export interface OnWampSessionOpen {
  onWampSessionOpen(session: WampSession): unknown;
}
/** After the connection closed and the session was cleaned up (clj-wamp `:on-close`). */
export interface OnWampSessionClose {
  onWampSessionClose(session: WampSession, close: WampCloseInfo): unknown;
}
/** After a subscription took effect (clj-wamp `:on-subscribe :on-after`). */
export interface OnWampSubscribed {
  onWampSubscribed(session: WampSession, topic: string): unknown;
}
/** After a subscription ended, by UNSUBSCRIBE, the broker or the session closing (clj-wamp `:on-unsubscribe`). */
export interface OnWampUnsubscribed {
  onWampUnsubscribed(session: WampSession, topic: string): unknown;
}
/** After a client's publication was delivered (clj-wamp `:on-publish :on-after`). */
export interface OnWampPublished {
  onWampPublished(session: WampSession, publication: WampPublication): unknown;
}
/** After a CALLRESULT was sent (clj-wamp `:on-call :on-after-success`). */
export interface OnWampCallResult {
  onWampCallResult(call: WampCallInvocation, result: unknown): unknown;
}
/** After a CALLERROR was sent, unknown procedures included (clj-wamp `:on-call :on-after-error`). */
export interface OnWampCallError {
  onWampCallError(call: WampCallInvocation, error: WampCallErrorInfo): unknown;
}

interface HookSignatures {
  onWampSessionOpen: OnWampSessionOpen['onWampSessionOpen'];
  onWampSessionClose: OnWampSessionClose['onWampSessionClose'];
  onWampSubscribed: OnWampSubscribed['onWampSubscribed'];
  onWampUnsubscribed: OnWampUnsubscribed['onWampUnsubscribed'];
  onWampPublished: OnWampPublished['onWampPublished'];
  onWampCallResult: OnWampCallResult['onWampCallResult'];
  onWampCallError: OnWampCallError['onWampCallError'];
}

export type WampHookName = keyof HookSignatures;

const HOOK_NAMES: readonly WampHookName[] = [
  'onWampSessionOpen',
  'onWampSessionClose',
  'onWampSubscribed',
  'onWampUnsubscribed',
  'onWampPublished',
  'onWampCallResult',
  'onWampCallError',
];

/**
 * The lifecycle hooks of every provider that implements one of the interfaces above. Hooks
 * observe and cannot change what the protocol does; one that throws or rejects is logged.
 */
export class WampHooks {
  private readonly hooks = new Map<WampHookName, Array<(...args: unknown[]) => unknown>>();
  /** What each provider registered, so that it can be taken back. */
  private readonly byProvider = new Map<object, Array<[WampHookName, (...args: unknown[]) => unknown]>>();
  /** The hooks some provider of the application implements (nest-wamp's own parts aside). */
  private readonly observedByApplication = new Set<WampHookName>();

  constructor(private readonly logger: ThrottledLog) {}

  /** Registers the hook methods a provider has; returns their names. */
  register(provider: object, owner: 'application' | 'nest-wamp' = 'application'): WampHookName[] {
    const found = HOOK_NAMES.filter((name) => typeof (provider as Record<string, unknown>)[name] === 'function');
    const registered = this.byProvider.get(provider) ?? [];
    for (const name of found) {
      const method = (provider as Record<string, (...args: unknown[]) => unknown>)[name];
      const bound = method.bind(provider);
      const list = this.hooks.get(name) ?? [];
      list.push(bound);
      this.hooks.set(name, list);
      registered.push([name, bound]);
      if (owner === 'application') this.observedByApplication.add(name);
    }
    if (registered.length > 0) this.byProvider.set(provider, registered);
    return found;
  }

  /** Takes back what `register` registered for a provider; false when it had nothing registered. */
  unregister(provider: object): boolean {
    const registered = this.byProvider.get(provider);
    if (!registered) return false;
    this.byProvider.delete(provider);
    for (const [name, bound] of registered) {
      const list = this.hooks.get(name)!.filter((hook) => hook !== bound);
      if (list.length > 0) this.hooks.set(name, list);
      else this.hooks.delete(name);
    }
    return true;
  }

  /** Whether a provider of the application implements the hook. */
  observedByApp(name: WampHookName): boolean {
    return this.observedByApplication.has(name);
  }

  emit<K extends WampHookName>(name: K, ...args: Parameters<HookSignatures[K]>): void {
    const list = this.hooks.get(name);
    if (!list) return;
    for (const hook of list) {
      try {
        const result = hook(...args);
        if (result instanceof Promise) result.catch((error) => this.report(name, error));
      } catch (error) {
        this.report(name, error);
      }
    }
  }

  private report(name: WampHookName, error: unknown): void {
    this.logger.limitedError('hook-failed', `${name} hook failed: ${errorMessage(error)}`, (error as Error)?.stack);
  }
}
