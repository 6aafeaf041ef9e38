import { Injectable } from '@nestjs/common';
import type { WampPermissions, WampSecret } from 'nest-wamp';
import { RPC, EVENT } from '../uris.js';

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

  /** Named users may do everything the topic rules allow; anonymous ones a safe subset, and never publish. */
  permissionsOf(authKey: string | null): WampPermissions {
    if (authKey !== null) return { all: true };
    return {
      rpc: Object.fromEntries(['add', 'echo', 'calc', 'whoami', 'slow'].map((name) => [`${RPC}${name}`, true])),
      subscribe: { [`${EVENT}chat`]: true, [`${EVENT}feed/*`]: true, [`${EVENT}time`]: true },
      publish: false,
    };
  }
}
