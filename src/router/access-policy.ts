import type { WampActionKind } from '../core/invocation.js';
import { errorMessage } from '../core/errors.js';
import type { ThrottledLog } from '../core/throttled-log.js';
import type { WampSession } from '../core/wamp-session.js';
import { isCraProcedure } from '../protocol/cra-uris.js';
import type { ServerSession } from '../session/server-session.js';
import type { SessionRegistry } from '../session/session-registry.js';

/**
 * Who may do what. Without the `auth` option everyone may do everything. With it, a session
 * may call the two WAMP-CRA procedures and nothing else until it has authenticated; after that
 * its permission map decides per category and URI. The Nest `WampPermissionGuard` asks this for
 * decorated handlers; the router asks it for what has no handler (static topic rules, unknown
 * procedures), so both are governed by the same rule.
 */
export class AccessPolicy {
  constructor(
    /** Whether the `auth` option is set. */
    readonly enabled: boolean,
    /** Whether the module's global guard applies the policy to every handler (`auth.globalGuard`). */
    readonly guardsEveryHandler: boolean,
    private readonly sessions: SessionRegistry,
    /** `auth.authorize`: asked per message after the permission map allowed it. */
    private readonly authorize?: (session: WampSession, kind: WampActionKind, uri: string) => boolean,
    private readonly log?: ThrottledLog,
  ) {}

  /** The check for a session as handlers see it (an open session of this server, found by its id). */
  allows(session: WampSession, kind: WampActionKind, uri: string): boolean {
    if (!this.enabled) return true;
    const own = this.sessions.get(session.id);
    return own !== undefined && this.permits(own, kind, uri);
  }

  /** The check for the server's own session. */
  permits(session: ServerSession, kind: WampActionKind, uri: string): boolean {
    if (!this.enabled) return true;
    if (kind === 'call' && isCraProcedure(uri)) return true;
    if (!(session.grants?.allows(kind, uri) ?? false)) return false;
    return this.authorize === undefined || this.askAuthorize(session, kind, uri);
  }

  private askAuthorize(session: ServerSession, kind: WampActionKind, uri: string): boolean {
    try {
      return this.authorize!(session, kind, uri) === true;
    } catch (error) {
      this.log?.limitedError('auth-authorize-failed', `auth.authorize failed for ${kind} ${uri}: ${errorMessage(error)}`);
      return false;
    }
  }
}
