import { randomBytes } from 'node:crypto';
import { CloseCode } from '../core/close-codes.js';
import { serializedOnce } from '../protocol/encode.js';
import { errorMessage } from '../core/errors.js';
import type { HandlerRegistry } from '../router/handler-registry.js';
import type { WampCallInvocation } from '../core/invocation.js';
import type { OnWampSessionClose, OnWampSessionOpen } from '../router/wamp-hooks.js';
import type { ThrottledLog } from '../core/throttled-log.js';
import { WampException } from '../core/wamp-exception.js';
import type { ServerSession } from '../session/server-session.js';
import type { WampSession } from '../core/wamp-session.js';
import { CraError, CraProcedure, isCraProcedure } from '../protocol/cra-uris.js';
import type { CompiledPermissions } from '../permissions/permissions.js';
import type { WampPermissions } from '../core/wamp-permissions.js';
import { isPromiseLike } from '../core/promises.js';
import type { ResolvedAuthOptions } from './resolve-auth-options.js';
import type { WampSecret } from './wamp-auth-options.js';
import { signatureMatches, signChallenge, signChallengeLegacy } from './wamp-cra.js';
import { hmacKeyOf } from './secret-key.js';
import { afterFailureDelay } from './failure-delay.js';
import { grantedPermissionsProblem, quotedKey } from './permission-check.js';

/** Where a session's WAMP-CRA exchange stands. */
type Exchange =
  | { readonly step: 'requesting' }
  | {
      readonly step: 'challenged';
      /** null: anonymous, which `auth` completes without a signature. */
      readonly authKey: string | null;
      /** The signatures `auth` accepts (two with `legacySignature`). */
      readonly signatures: readonly string[];
    }
  | { readonly step: 'verifying' }
  /** A signature failed and its answer is being delayed: no new challenge until it is sent. */
  | { readonly step: 'cooling-down' }
  /** `maxAttempts` signatures failed: nothing more is verified while the session is closed. */
  | { readonly step: 'locked-out' };

const REQUESTING: Exchange = { step: 'requesting' };
const VERIFYING: Exchange = { step: 'verifying' };
const COOLING_DOWN: Exchange = { step: 'cooling-down' };
const LOCKED_OUT: Exchange = { step: 'locked-out' };
const ANONYMOUS_CHALLENGE: Exchange = { step: 'challenged', authKey: null, signatures: [] };

/** What `auth` returns: every registered URI the session may use, per category (as clj-wamp). */
export type ExpandedPermissions = Record<'rpc' | 'subscribe' | 'publish', Record<string, true>>;

/**
 * WAMP-CRA as AutobahnJS 0.8 and AutobahnPython speak it: the `authreq` and `auth` procedures,
 * the authentication timeout and the failed-attempt limit. A session is authorized only once
 * `auth` has verified its signature (never on `authreq` alone, unlike clj-wamp).
 */
export class CraAuthenticator implements OnWampSessionOpen, OnWampSessionClose {
  private readonly exchanges = new Map<string, Exchange>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly expanded = new WeakMap<CompiledPermissions, { readonly revision: number; readonly listing: ExpandedPermissions }>();

  constructor(
    private readonly options: ResolvedAuthOptions,
    private readonly handlers: HandlerRegistry,
    private readonly logger: ThrottledLog,
  ) {
    handlers.addProcedure(CraProcedure.authreq, (call) => this.authreq(call), 'WAMP-CRA (authreq)');
    handlers.addProcedure(CraProcedure.auth, (call) => this.auth(call), 'WAMP-CRA (auth)');
  }

  /** How many sessions have an exchange, failed attempts or a timeout pending (all 0 once every session is gone). */
  get pendingState(): { exchanges: number; failures: number; timers: number } {
    return { exchanges: this.exchanges.size, failures: this.failures.size, timers: this.timers.size };
  }

  /** Whether the session has a WAMP-CRA exchange under way (authreq answered or being answered, auth not yet verified). */
  isRequested(sessionId: string): boolean {
    return this.exchanges.has(sessionId);
  }

  onWampSessionOpen(session: WampSession): void {
    if (session.identity || this.options.timeoutMs === 0) return;
    const timer = setTimeout(() => {
      this.timers.delete(session.id);
      if (!session.identity) session.close(CloseCode.policyViolation, 'authentication timeout');
    }, this.options.timeoutMs);
    this.timers.set(session.id, timer);
  }

  onWampSessionClose(session: WampSession): void {
    clearTimeout(this.timers.get(session.id));
    this.timers.delete(session.id);
    this.exchanges.delete(session.id);
    this.failures.delete(session.id);
  }

  /**
   * `authreq(authKey?, authExtra?)`: the challenge (a JSON string), or null for anonymous. Answers
   * synchronously unless a secret has to be looked up.
   */
  private authreq(call: WampCallInvocation<ServerSession>): string | null | Promise<string> {
    const { session } = call;
    const [authKey, extra] = call.args;
    if (session.identity) throw craError(CraError.alreadyAuthenticated);
    const exchange = this.exchanges.get(session.id);
    if (exchange?.step === 'cooling-down') throw craError(CraError.coolingDown);
    if (exchange?.step === 'locked-out') throw craError(CraError.tooManyAttempts);
    if (exchange) throw craError(CraError.alreadyRequested);
    if (extra !== undefined && extra !== null && (typeof extra !== 'object' || Array.isArray(extra))) {
      throw craError(CraError.invalidArgument, 'authExtra must be an object');
    }
    if (authKey === undefined || authKey === null) {
      if (!this.options.allowAnonymous) throw craError(CraError.anonymousForbidden);
      this.exchanges.set(session.id, ANONYMOUS_CHALLENGE);
      return null;
    }
    if (typeof authKey !== 'string') throw craError(CraError.invalidArgument, 'authKey must be a string');
    this.exchanges.set(session.id, REQUESTING);
    return this.challenge(session, authKey, (extra ?? {}) as Record<string, unknown>);
  }

  private async challenge(session: ServerSession, authKey: string, authExtra: Record<string, unknown>): Promise<string> {
    try {
      const secret = await this.lookUpSecret(authKey, authExtra, session);
      const { key, salt } = await hmacKeyOf(secret);
      const challenge = JSON.stringify({
        authid: randomBytes(12).toString('base64url'),
        authkey: authKey,
        timestamp: new Date().toISOString(),
        sessionid: session.id,
        extra: authExtra,
        ...(salt && { authextra: salt }),
      });
      const signatures = [signChallenge(key, challenge)];
      if (this.options.legacySignature) signatures.push(signChallengeLegacy(key, challenge));
      // The session may have closed while the secret was looked up: then its state is gone for good.
      if (this.exchanges.get(session.id) === REQUESTING) {
        this.exchanges.set(session.id, { step: 'challenged', authKey, signatures });
      }
      return challenge;
    } catch (error) {
      if (this.exchanges.get(session.id) === REQUESTING) this.exchanges.delete(session.id);
      if (!(error instanceof WampException)) {
        this.logger.limitedError(
          'auth-secret-failed',
          `authreq for ${quotedKey(authKey)} failed: ${errorMessage(error)}`,
          (error as Error)?.stack,
        );
      }
      throw error;
    }
  }

  /**
   * `auth(signature?)`: the session's permissions once the signature is right. Answers
   * synchronously when the permissions callback does.
   */
  private auth(call: WampCallInvocation<ServerSession>): ExpandedPermissions | Promise<ExpandedPermissions> {
    const { session } = call;
    const [signature] = call.args;
    if (session.identity) throw craError(CraError.alreadyAuthenticated);
    const exchange = this.exchanges.get(session.id);
    if (exchange?.step === 'locked-out') throw craError(CraError.tooManyAttempts);
    if (exchange?.step !== 'challenged') {
      throw craError(exchange?.step === 'verifying' ? CraError.alreadyRequested : CraError.notRequested);
    }
    if (signature !== undefined && signature !== null && typeof signature !== 'string') {
      throw craError(CraError.invalidArgument, 'signature must be a string');
    }
    const valid =
      exchange.authKey === null
        ? signature === undefined || signature === null
        : typeof signature === 'string' && exchange.signatures.some((expected) => signatureMatches(expected, signature));
    if (!valid) return this.rejectSignature(session);

    this.exchanges.set(session.id, VERIFYING);
    const { authKey } = exchange;
    let permissions: WampPermissions | Promise<WampPermissions>;
    try {
      permissions = this.options.permissions(authKey, session);
    } catch (error) {
      throw this.permissionsFailed(session, authKey, error);
    }
    return isPromiseLike(permissions)
      ? Promise.resolve(permissions).then(
          (resolved) => this.grant(session, authKey, resolved),
          (error: unknown) => {
            throw this.permissionsFailed(session, authKey, error);
          },
        )
      : this.grant(session, authKey, permissions);
  }

  /** The signature was right and the permissions are known: the session is authenticated. */
  private grant(session: ServerSession, authKey: string | null, permissions: WampPermissions): ExpandedPermissions {
    const problem = grantedPermissionsProblem(permissions);
    if (problem) throw this.permissionsFailed(session, authKey, new Error(problem));
    if (this.exchanges.get(session.id) !== VERIFYING) throw craError(CraError.notRequested); // closed meanwhile
    this.exchanges.delete(session.id);
    this.failures.delete(session.id);
    clearTimeout(this.timers.get(session.id));
    this.timers.delete(session.id);
    session.authenticate({ authKey, method: authKey === null ? 'anonymous' : 'wamp-cra', permissions });
    return this.expand(session);
  }

  private permissionsFailed(session: WampSession, authKey: string | null, error: unknown): WampException {
    this.logger.limitedError(
      'auth-permissions-failed',
      `auth.permissions failed for ${authKey === null ? 'anonymous' : quotedKey(authKey)}: ${errorMessage(error)}`,
      (error as Error)?.stack,
    );
    if (this.exchanges.get(session.id) === VERIFYING) this.exchanges.delete(session.id);
    return craError(CraError.permissionsFailed);
  }

  /**
   * One attempt per challenge: the client must authreq again, and cannot before this failure is
   * answered, after a random delay. Without that wait a client that does not wait for answers
   * would have signatures checked as fast as it can send them. The last allowed failure locks
   * the exchange for good and closes the session when answered.
   */
  private async rejectSignature(session: WampSession): Promise<never> {
    const failures = (this.failures.get(session.id) ?? 0) + 1;
    this.failures.set(session.id, failures);
    const lockedOut = failures >= this.options.maxAttempts;
    this.exchanges.set(session.id, lockedOut ? LOCKED_OUT : COOLING_DOWN);
    await afterFailureDelay(this.options.failureDelayMs);
    // Unless the session closed meanwhile (its state is gone for good), it may authreq again.
    if (this.exchanges.get(session.id) === COOLING_DOWN) this.exchanges.delete(session.id);
    const [uri, desc] = CraError.invalidSignature;
    const kill = lockedOut ? { code: CloseCode.policyViolation, reason: 'too many failed authentication attempts' } : undefined;
    throw new WampException(uri, desc, undefined, { kill });
  }

  private async lookUpSecret(authKey: string, authExtra: Record<string, unknown>, session: WampSession): Promise<WampSecret> {
    const secret = await this.options.secret?.(authKey, authExtra, session);
    if (secret === null || secret === undefined) throw craError(CraError.noSuchAuthKey);
    return secret;
  }

  /**
   * Computed once per compiled permission map and state of the handler registry (which
   * `WampRegistry` may change while running): what the session may use of what is registered.
   */
  private expand(session: ServerSession): ExpandedPermissions {
    const grants = session.grants!;
    const revision = this.handlers.revision;
    const cached = this.expanded.get(grants);
    if (cached?.revision === revision) return cached.listing;
    const granted = (kind: 'call' | 'subscribe' | 'publish', uris: string[]): Record<string, true> =>
      Object.fromEntries(uris.filter((uri) => !isCraProcedure(uri) && grants.allows(kind, uri)).map((uri) => [uri, true]));
    const listing = deepFrozenListing({
      rpc: granted('call', this.handlers.procedureUris()),
      subscribe: granted('subscribe', this.handlers.openTopicPatterns('subscribe')),
      publish: granted('publish', this.handlers.openTopicPatterns('publish')),
    });
    this.expanded.set(grants, { revision, listing });
    return listing;
  }
}

/** Frozen all through, so that it is serialized once for every session granted the same map. */
function deepFrozenListing<T extends Record<string, object>>(value: T): T {
  for (const inner of Object.values(value)) Object.freeze(inner);
  return serializedOnce(Object.freeze(value));
}

function craError([uri, desc]: readonly [string, string], details?: string): WampException {
  return new WampException(uri, desc, details);
}
