import type { WampActionKind } from '../core/invocation.js';
import type { ServerSession } from '../session/server-session.js';
import type { WampSession } from '../core/wamp-session.js';
import { isCraProcedure } from '../protocol/cra-uris.js';

/**
 * Who may do what. Without the `auth` option everyone may do everything. With it, a session
 * may call the two WAMP-CRA procedures and nothing else until it has authenticated; after that
 * its permission map decides per category and URI. The Nest `WampPermissionGuard` asks this for
 * decorated handlers; the router asks it for what has no handler (static topic rules, unknown
 * procedures), so both are governed by the same rule.
 */
export class AccessPolicy {
  constructor(readonly enabled: boolean) {}

  allows(session: WampSession, kind: WampActionKind, uri: string): boolean {
    if (!this.enabled) return true;
    if (kind === 'call' && isCraProcedure(uri)) return true;
    return (session as ServerSession).grants?.allows(kind, uri) ?? false;
  }
}
