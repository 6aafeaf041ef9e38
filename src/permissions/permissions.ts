import { UriPatternTable } from '../protocol/uri-pattern.js';
import type { WampActionKind } from '../core/invocation.js';
import type { WampPermissions } from '../core/wamp-permissions.js';

export type WampPermissionCategory = 'rpc' | 'subscribe' | 'publish' | 'register';

export const CATEGORY_OF: Readonly<Record<WampActionKind, WampPermissionCategory>> = {
  call: 'rpc',
  subscribe: 'subscribe',
  publish: 'publish',
  register: 'register',
};

const CATEGORIES: readonly WampPermissionCategory[] = ['rpc', 'subscribe', 'publish', 'register'];

type CompiledGrant = boolean | UriPatternTable<boolean>;

/** A permission map compiled for fast checks; one permission object compiles once, however many sessions share it. */
export class CompiledPermissions {
  private static readonly cache = new WeakMap<WampPermissions, CompiledPermissions>();
  private readonly rpc: CompiledGrant;
  private readonly subscribe: CompiledGrant;
  private readonly publish: CompiledGrant;
  private readonly register: CompiledGrant;

  /** Maps of booleans only (`{ all: true }`, `{ rpc: true, ... }`) share one instance per combination. */
  private static readonly byCategories = new Map<string, CompiledPermissions>();

  static of(permissions: WampPermissions): CompiledPermissions {
    const key = booleanKey(permissions);
    if (key !== undefined) {
      let shared = CompiledPermissions.byCategories.get(key);
      if (!shared) CompiledPermissions.byCategories.set(key, (shared = new CompiledPermissions(permissions)));
      return shared;
    }
    let compiled = CompiledPermissions.cache.get(permissions);
    if (!compiled) {
      compiled = new CompiledPermissions(permissions);
      CompiledPermissions.cache.set(permissions, compiled);
    }
    return compiled;
  }

  constructor(readonly source: WampPermissions) {
    this.rpc = compile(source, 'rpc');
    this.subscribe = compile(source, 'subscribe');
    this.publish = compile(source, 'publish');
    this.register = compile(source, 'register');
  }

  allows(kind: WampActionKind, uri: string): boolean {
    const grant = this[CATEGORY_OF[kind]];
    return typeof grant === 'boolean' ? grant : grant.match(uri)?.value === true;
  }
}

/** Whether a (valid) permission map grants some category per URI rather than as a whole. */
export function hasUriMaps(permissions: WampPermissions): boolean {
  return CATEGORIES.some((category) => typeof permissions[category] === 'object');
}

/** `rpc|subscribe|publish|register` as 0/1 when every grant of the map is a boolean; undefined otherwise. */
function booleanKey(source: WampPermissions): string | undefined {
  if (source.all === true) return '1111';
  let key = '';
  for (const category of CATEGORIES) {
    const grant = source[category];
    if (grant !== undefined && typeof grant !== 'boolean') return undefined;
    key += grant === true ? '1' : '0';
  }
  return key;
}

function compile(source: WampPermissions, category: WampPermissionCategory): CompiledGrant {
  const grant = source.all === true ? true : source[category];
  if (typeof grant === 'boolean' || grant === undefined) return grant === true;
  const table = new UriPatternTable<boolean>();
  for (const [pattern, allowed] of Object.entries(grant)) table.add(pattern, allowed === true);
  return table;
}

/** Checks that a value is a permission map; returns what is wrong, or undefined. */
export function permissionsProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'it is not an object';
  for (const [key, grant] of Object.entries(value)) {
    if (key === 'all') {
      if (typeof grant !== 'boolean') return '"all" is not a boolean';
      continue;
    }
    if (!(CATEGORIES as readonly string[]).includes(key)) return `"${key}" is not all, rpc, subscribe, publish or register`;
    if (typeof grant === 'boolean') continue;
    if (typeof grant !== 'object' || grant === null || Array.isArray(grant)) return `"${key}" is neither a boolean nor a URI map`;
    for (const [uri, allowed] of Object.entries(grant)) {
      if (typeof allowed !== 'boolean') return `"${key}"["${uri}"] is not a boolean`;
    }
  }
  return undefined;
}
