import { hasUriMaps, permissionsProblem } from '../permissions/permissions.js';
import type { WampPermissions } from '../core/wamp-permissions.js';

/**
 * Permission maps with URI maps already checked (maps are treated as immutable, see
 * `WampAuthOptions.permissions`). A map of booleans is checked again each time: that costs less
 * than remembering it, and applications often build a fresh one per session.
 */
const VALIDATED = new WeakSet<object>();

/** What is wrong with a permission map `auth.permissions` returned, or undefined when it is valid (checked once per map object). */
export function grantedPermissionsProblem(permissions: WampPermissions): string | undefined {
  if (VALIDATED.has(permissions)) return undefined;
  const problem = permissionsProblem(permissions);
  if (problem) return `auth.permissions returned an invalid map: ${problem}`;
  if (hasUriMaps(permissions)) VALIDATED.add(permissions);
  return undefined;
}

/** A client's key as a log line shows it: quoted and escaped (no line breaks of its own), and cut short. */
export function quotedKey(authKey: string): string {
  return JSON.stringify(authKey.length > 100 ? `${authKey.slice(0, 100)}…` : authKey);
}
