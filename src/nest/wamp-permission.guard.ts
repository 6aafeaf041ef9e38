import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { AccessPolicy } from '../router/access-policy.js';
import { getWampInvocation, isWampContext } from './wamp-context.js';

/**
 * The WAMP permission check as a Nest guard: with the `auth` option, a session that has not
 * authenticated may run no handler, and an authenticated one only what its permission map
 * grants for the invocation's kind and URI. Other contexts (HTTP, ...) pass. The module applies
 * it globally unless `auth.globalGuard` is false; extend it to add your own rules.
 */
@Injectable()
export class WampPermissionGuard implements CanActivate {
  constructor(protected readonly access: AccessPolicy) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (!isWampContext(context)) return true;
    const { session, kind, uri } = getWampInvocation(context);
    return this.access.allows(session, kind, uri);
  }
}

/** The instance the module registers as a global guard; it steps aside when `auth.globalGuard` is false. */
@Injectable()
export class WampGlobalPermissionGuard extends WampPermissionGuard {
  override canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    return !this.access.guardsEveryHandler || super.canActivate(context);
  }
}
