import { randomBytes } from 'node:crypto';
import { errorMessage } from '../core/errors.js';
import { isPromiseLike } from '../core/promises.js';
import type { ThrottledLog } from '../core/throttled-log.js';
import type { WampPermissions } from '../core/wamp-permissions.js';
import type { WampIdentity } from '../core/wamp-session.js';
import { WampError } from '../protocol/v2/error-uris.js';
import type { Dict, HelloDetails } from '../protocol/v2/messages.js';
import { WAMPCRA, wampCraChallengeExtra } from '../protocol/v2/wampcra.js';
import type { Wamp2Authentication, Wamp2AuthStep, Wamp2Refusal } from '../router/v2/wamp2-authentication.js';
import type { ServerSession } from '../session/server-session.js';
import { afterFailureDelay } from './failure-delay.js';
import { grantedPermissionsProblem, quotedKey } from './permission-check.js';
import type { ResolvedAuthOptions } from './resolve-auth-options.js';
import { hmacKeyOf } from './secret-key.js';
import { signatureMatches, signChallenge } from './wamp-cra.js';

/** The v2 authentication methods served, as HELLO.Details.authmethods names them. */
export const Wamp2AuthMethod = { anonymous: 'anonymous', wampcra: WAMPCRA, ticket: 'ticket' } as const;

/** How long a v2 connection may take to be welcomed when the `auth` option does not say (as `auth.timeoutMs`'s default). */
export const DEFAULT_OPENING_TIMEOUT_MS = 20_000;

/** WELCOME.Details.authprovider, and the provider in a WAMP-CRA challenge. */
const AUTH_PROVIDER = 'nest-wamp';
/** WELCOME.Details.authrole: the server has no roles of its own; its permission maps decide per session. */
const Role = { anonymous: 'anonymous', authenticated: 'user' } as const;

/** WELCOME.Details.authmethod for each way a session authenticates (`WampIdentity.method`). */
const AUTHMETHOD_OF: Readonly<Record<WampIdentity['method'], string>> = {
  'wamp-cra': WAMPCRA,
  anonymous: Wamp2AuthMethod.anonymous,
  ticket: Wamp2AuthMethod.ticket,
  handshake: 'handshake',
  server: 'server',
};

const DENIED: Wamp2Refusal = { step: 'abort', reason: WampError.notAuthorized, message: 'authentication failed' };
const FAILED: Wamp2Refusal = { step: 'abort', reason: WampError.authenticationFailed, message: 'authentication could not be completed' };

/** Where a session's authentication stands between HELLO and AUTHENTICATE. */
type Exchange =
  | { readonly step: 'looking-up' }
  | { readonly step: 'challenged'; readonly method: typeof WAMPCRA; readonly authKey: string; readonly signature: string }
  | { readonly step: 'challenged'; readonly method: 'ticket'; readonly authKey: string };

/**
 * WAMP v2 authentication from the module's `auth` option, the one v1 uses: `wampcra` (the same
 * secrets, salted ones with their PBKDF2 parameters in the CHALLENGE as Autobahn expects),
 * `ticket` (`auth.ticket`), `anonymous` (`auth.allowAnonymous`), and sessions the `handshake`
 * hook identified. Each ends with the same `WampIdentity` v1 would give, so guards and the
 * access policy treat both protocols alike. Without `auth`, every session is anonymous with full
 * rights, as in v1. One attempt per connection: a failure is answered with ABORT after the
 * random `failureDelayMs`.
 */
export class Wamp2Authenticator implements Wamp2Authentication {
  readonly timeoutMs: number;
  private readonly exchanges = new Map<ServerSession, Exchange>();

  constructor(
    private readonly options: ResolvedAuthOptions | undefined,
    private readonly log: ThrottledLog,
  ) {
    this.timeoutMs = options?.timeoutMs ?? DEFAULT_OPENING_TIMEOUT_MS;
  }

  get pendingExchanges(): number {
    return this.exchanges.size;
  }

  hello(session: ServerSession, details: HelloDetails): Wamp2AuthStep | Promise<Wamp2AuthStep> {
    if (this.options === undefined) {
      return { step: 'welcome', identity: undefined, authid: anonymousId(session), ...welcomeNames(null, 'anonymous') };
    }
    if (session.identity) return { step: 'welcome', identity: session.identity, ...identityNames(session, session.identity) };
    const authKey = details.authid;
    switch (this.chooseMethod(details)) {
      case Wamp2AuthMethod.anonymous:
        return this.grant(session, null, 'anonymous');
      case Wamp2AuthMethod.wampcra:
        return this.challengeCra(session, authKey!, details.authextra ?? {});
      case Wamp2AuthMethod.ticket:
        this.exchanges.set(session, { step: 'challenged', method: 'ticket', authKey: authKey! });
        return { step: 'challenge', authmethod: Wamp2AuthMethod.ticket, extra: {} };
      default:
        return {
          step: 'abort',
          reason: WampError.notAuthorized,
          message: `none of the authmethods offered is accepted here (accepted: ${this.acceptedMethods()})`,
        };
    }
  }

  authenticate(session: ServerSession, signature: string, _extra: Dict): Wamp2AuthStep | Promise<Wamp2AuthStep> {
    const exchange = this.exchanges.get(session);
    // The opening hands AUTHENTICATE over only after a CHALLENGE, and one at a time.
    if (exchange?.step !== 'challenged') {
      return { step: 'abort', reason: WampError.protocolViolation, message: 'AUTHENTICATE without a CHALLENGE' };
    }
    this.exchanges.delete(session);
    if (exchange.method === Wamp2AuthMethod.ticket) return this.checkTicket(session, exchange.authKey, signature);
    if (!signatureMatches(exchange.signature, signature)) return this.deny();
    return this.grant(session, exchange.authKey, 'wamp-cra');
  }

  closed(session: ServerSession): void {
    this.exchanges.delete(session);
  }

  /** The first of the client's authmethods (in its order) that `auth` can serve; no authmethods means anonymous. */
  private chooseMethod(details: HelloDetails): string | undefined {
    const auth = this.options!;
    const hasAuthId = typeof details.authid === 'string';
    return (details.authmethods ?? [Wamp2AuthMethod.anonymous]).find((method) => {
      if (method === Wamp2AuthMethod.anonymous) return auth.allowAnonymous;
      if (method === Wamp2AuthMethod.wampcra) return hasAuthId && auth.secret !== undefined;
      if (method === Wamp2AuthMethod.ticket) return hasAuthId && auth.ticket !== undefined;
      return false;
    });
  }

  private acceptedMethods(): string {
    const auth = this.options!;
    const methods = [
      auth.secret && `${WAMPCRA} with an authid`,
      auth.ticket && `${Wamp2AuthMethod.ticket} with an authid`,
      auth.allowAnonymous && Wamp2AuthMethod.anonymous,
    ].filter(Boolean);
    return methods.length ? methods.join(', ') : 'none';
  }

  /** CHALLENGE `wampcra`, once the secret is known; the expected signature is kept for AUTHENTICATE. */
  private async challengeCra(session: ServerSession, authKey: string, authExtra: Dict): Promise<Wamp2AuthStep> {
    const lookingUp: Exchange = { step: 'looking-up' };
    this.exchanges.set(session, lookingUp);
    try {
      const secret = await this.options!.secret!(authKey, authExtra as Record<string, unknown>, session);
      if (secret === null || secret === undefined) {
        // No such authid: refused like a wrong signature, and no sooner.
        await afterFailureDelay(this.options!.failureDelayMs);
        return this.settle(session, lookingUp, DENIED);
      }
      const { key, salt } = await hmacKeyOf(secret);
      const extra = wampCraChallengeExtra(
        {
          authid: authKey,
          authrole: Role.authenticated,
          authprovider: AUTH_PROVIDER,
          nonce: randomBytes(24).toString('base64'),
          timestamp: new Date().toISOString(),
          session: session.v2Id,
        },
        salt,
      );
      // The session may have closed while the secret was looked up: then its state is gone for good.
      if (this.exchanges.get(session) !== lookingUp) return DENIED;
      this.exchanges.set(session, { step: 'challenged', method: WAMPCRA, authKey, signature: signChallenge(key, extra.challenge) });
      return { step: 'challenge', authmethod: WAMPCRA, extra };
    } catch (error) {
      this.log.limitedError(
        'auth-secret-failed',
        `auth.secret failed for ${quotedKey(authKey)} (WAMP v2): ${errorMessage(error)}`,
        (error as Error)?.stack,
      );
      return this.settle(session, lookingUp, FAILED);
    }
  }

  private async checkTicket(session: ServerSession, authKey: string, ticket: string): Promise<Wamp2AuthStep> {
    let valid: boolean;
    try {
      valid = (await this.options!.ticket!(authKey, ticket, session)) === true;
    } catch (error) {
      this.log.limitedError(
        'auth-secret-failed',
        `auth.ticket failed for ${quotedKey(authKey)}: ${errorMessage(error)}`,
        (error as Error)?.stack,
      );
      return FAILED;
    }
    return valid ? this.grant(session, authKey, 'ticket') : this.deny();
  }

  /** The credentials were wrong: ABORT `not_authorized`, after the failure delay. */
  private async deny(): Promise<Wamp2AuthStep> {
    await afterFailureDelay(this.options!.failureDelayMs);
    return DENIED;
  }

  /** The session is who it says: WELCOME with the permissions `auth.permissions` gives it (synchronously when the callback answers so). */
  private grant(session: ServerSession, authKey: string | null, method: WampIdentity['method']): Wamp2AuthStep | Promise<Wamp2AuthStep> {
    let permissions: WampPermissions | Promise<WampPermissions>;
    try {
      permissions = this.options!.permissions(authKey, session);
    } catch (error) {
      return this.permissionsFailed(authKey, error);
    }
    return isPromiseLike(permissions)
      ? Promise.resolve(permissions).then(
          (resolved) => this.welcome(session, authKey, method, resolved),
          (error: unknown) => this.permissionsFailed(authKey, error),
        )
      : this.welcome(session, authKey, method, permissions);
  }

  private welcome(
    session: ServerSession,
    authKey: string | null,
    method: WampIdentity['method'],
    permissions: WampPermissions,
  ): Wamp2AuthStep {
    const problem = grantedPermissionsProblem(permissions);
    if (problem) return this.permissionsFailed(authKey, new Error(problem));
    const identity: WampIdentity = { authKey, method, permissions };
    return { step: 'welcome', identity, ...identityNames(session, identity) };
  }

  private permissionsFailed(authKey: string | null, error: unknown): Wamp2Refusal {
    this.log.limitedError(
      'auth-permissions-failed',
      `auth.permissions failed for ${authKey === null ? 'anonymous' : quotedKey(authKey)} (WAMP v2): ${errorMessage(error)}`,
      (error as Error)?.stack,
    );
    return FAILED;
  }

  /** Ends a HELLO's exchange with `step`, unless the session closed meanwhile. */
  private settle(session: ServerSession, exchange: Exchange, step: Wamp2Refusal): Wamp2Refusal {
    if (this.exchanges.get(session) === exchange) this.exchanges.delete(session);
    return step;
  }
}

/** The authid of an anonymous session: `anonymous-` and the start of its v1 id, as the sample's user names. */
function anonymousId(session: ServerSession): string {
  return `anonymous-${session.id.slice(0, 6)}`;
}

function identityNames(session: ServerSession, identity: WampIdentity) {
  return { authid: identity.authKey ?? anonymousId(session), ...welcomeNames(identity.authKey, identity.method) };
}

function welcomeNames(authKey: string | null, method: WampIdentity['method']) {
  return {
    authrole: authKey === null ? Role.anonymous : Role.authenticated,
    authmethod: AUTHMETHOD_OF[method],
    authprovider: AUTH_PROVIDER,
  };
}
