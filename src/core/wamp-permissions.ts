/**
 * What an authenticated session may do, with clj-wamp's semantics: `{ all: true }`; per
 * category `{ rpc: true, subscribe: false, publish: true }`; or per URI
 * `{ rpc: { [uri]: true }, subscribe: { [uri]: true, [other]: false } }`, where keys may be prefix
 * patterns (`http://x/feed/*`) or `*`, matched like topic rules (the most specific wins).
 * `register` is for WAMP v2 clients registering procedures (by the server's name of the URI).
 * Anything not granted is denied.
 */
export interface WampPermissions {
  readonly all?: boolean;
  readonly rpc?: WampCategoryPermission;
  readonly subscribe?: WampCategoryPermission;
  readonly publish?: WampCategoryPermission;
  readonly register?: WampCategoryPermission;
}

export type WampCategoryPermission = boolean | Readonly<Record<string, boolean>>;
