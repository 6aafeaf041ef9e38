import { isDict, own } from './dict.js';
import { isId } from './id.js';
import type { Dict } from './messages.js';

/**
 * Checks of the Options and Details attributes this codec reads. An attribute that is
 * present with the wrong type is a protocol violation (a bool is never an integer); absent
 * ones and unknown ones are fine, as the spec asks unknown attributes to be ignored. Each
 * check returns the reason of the first violation, or undefined.
 */

const CLIENT_ROLES = ['publisher', 'subscriber', 'caller', 'callee'] as const;
const ROUTER_ROLES = ['broker', 'dealer'] as const;
const MATCH_POLICIES: readonly unknown[] = ['exact', 'prefix', 'wildcard'];

type Check = (value: unknown) => boolean;

const isString: Check = (value) => typeof value === 'string';
const isBool: Check = (value) => typeof value === 'boolean';
const isStringList: Check = (value) => Array.isArray(value) && value.every((item) => typeof item === 'string');
const isIdList: Check = (value) => Array.isArray(value) && value.every(isId);

function checkAttributes(dict: Dict, where: string, checks: Readonly<Record<string, readonly [Check, string]>>): string | undefined {
  for (const key in checks) {
    const value = own(dict, key);
    if (value === undefined) continue;
    const [check, expected] = checks[key];
    if (!check(value)) return `${where}.${key} must be ${expected}`;
  }
  return undefined;
}

function checkRoles(details: Dict, where: string, names: readonly string[]): string | undefined {
  const roles = own(details, 'roles');
  if (!isDict(roles)) return `${where}.roles must be a dict announcing at least one of ${names.join(', ')}`;
  let announced = 0;
  for (const name of names) {
    const role = own(roles, name);
    if (role === undefined) continue;
    if (!isDict(role)) return `${where}.roles.${name} must be a dict`;
    announced++;
  }
  return announced === 0 ? `${where}.roles must announce at least one of ${names.join(', ')}` : undefined;
}

const AUTH_ATTRIBUTES = {
  agent: [isString, 'a string'],
  authid: [isString, 'a string'],
  authrole: [isString, 'a string'],
  authextra: [isDict, 'a dict'],
} as const;

/** HELLO.Details: `roles` with at least one client role, each a dict; `authmethods` a list of strings. */
export function checkHelloDetails(details: Dict): string | undefined {
  return (
    checkRoles(details, 'HELLO.Details', CLIENT_ROLES) ??
    checkAttributes(details, 'HELLO.Details', { ...AUTH_ATTRIBUTES, authmethods: [isStringList, 'a list of strings'] })
  );
}

/** WELCOME.Details: `roles` with at least one router role, each a dict. */
export function checkWelcomeDetails(details: Dict): string | undefined {
  return (
    checkRoles(details, 'WELCOME.Details', ROUTER_ROLES) ??
    checkAttributes(details, 'WELCOME.Details', {
      ...AUTH_ATTRIBUTES,
      authmethod: [isString, 'a string'],
      authprovider: [isString, 'a string'],
    })
  );
}

const PUBLISH_OPTIONS = {
  acknowledge: [isBool, 'a bool'],
  exclude_me: [isBool, 'a bool'],
  exclude: [isIdList, 'a list of session ids'],
  eligible: [isIdList, 'a list of session ids'],
} as const;

/** PUBLISH.Options: `acknowledge` and `exclude_me` bools, `exclude` and `eligible` lists of session ids. */
export function checkPublishOptions(options: Dict): string | undefined {
  return checkAttributes(options, 'PUBLISH.Options', PUBLISH_OPTIONS);
}

/** SUBSCRIBE.Options and REGISTER.Options: `match` is `exact`, `prefix` or `wildcard`. */
export function checkMatchOptions(options: Dict, where: string): string | undefined {
  const match = own(options, 'match');
  return match === undefined || MATCH_POLICIES.includes(match) ? undefined : `${where}.match must be "exact", "prefix" or "wildcard"`;
}
