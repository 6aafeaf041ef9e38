import { Injectable } from '@nestjs/common';
import type { WampPermissions, WampSecret } from 'nest-wamp';
import { CHAT_TOPIC, FEED_TOPICS, RPC, TIME_TOPIC, USER_RPC } from '../uris.js';

const NAMED_USER: WampPermissions = { rpc: true, subscribe: true, publish: true, register: { [`${USER_RPC}*`]: true } };

const ANONYMOUS: WampPermissions = {
  rpc: Object.fromEntries(['add', 'echo', 'calc', 'whoami', 'slow'].map((name) => [`${RPC}${name}`, true])),
  subscribe: { [CHAT_TOPIC]: true, [FEED_TOPICS]: true, [TIME_TOPIC]: true },
  publish: false,
  register: false,
};

/**
 * The sample's accounts. A real app would look them up in its database; the WAMP module reaches
 * this service through `forRootAsync`, as it would reach a repository.
 */
@Injectable()
export class UserDirectory {
  private readonly secrets = new Map<string, WampSecret>([
    ['guest', 'secret-password'],
    // Salted: clients derive the HMAC key with PBKDF2 (AutobahnJS's ab.deriveKey) from the challenge's authextra.
    ['salted', { secret: 'salted-password', salt: 'wamp-salt', keylen: 32, iterations: 1000 }],
  ]);

  secretOf(authKey: string): WampSecret | undefined {
    return this.secrets.get(authKey);
  }

  /**
   * Named users may call, subscribe and publish whatever the topic rules allow, and register
   * procedures (WAMP v2) under the user prefix; anonymous ones a safe subset: never publish or register.
   */
  permissionsOf(authKey: string | null): WampPermissions {
    if (authKey !== null) return NAMED_USER;
    return ANONYMOUS;
  }
}
