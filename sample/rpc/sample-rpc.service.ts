import { Injectable } from '@nestjs/common';
import { WampException, WampRpc, WampSession } from 'nest-wamp';
import { INVALID_ARGUMENT_ERROR, RPC } from '../uris.js';

const MAX_SLOW_MS = 10_000;

/** The sample's plain procedures. */
@Injectable()
export class SampleRpcService {
  @WampRpc(`${RPC}add`)
  add(a: unknown, b: unknown): number {
    if (typeof a !== 'number' || typeof b !== 'number') {
      throw new WampException(INVALID_ARGUMENT_ERROR, 'add takes two numbers');
    }
    return a + b;
  }

  @WampRpc(`${RPC}echo`)
  echo(value: unknown): unknown {
    return value;
  }

  /** The caller's session id in its own protocol's form (v1: a string, v2: a number), and its auth key. */
  @WampRpc(`${RPC}whoami`)
  whoami(@WampSession() session: WampSession): { sessionId: string | number; authKey: string | null } {
    return { sessionId: session.protocolVersion === 2 ? session.v2Id : session.id, authKey: session.identity?.authKey ?? null };
  }

  @WampRpc(`${RPC}slow`)
  slow(ms: unknown): Promise<number> {
    const delay = Math.min(MAX_SLOW_MS, Math.max(0, Number(ms) || 0));
    return new Promise((resolve) => setTimeout(() => resolve(delay), delay));
  }

  @WampRpc(`${RPC}fail`)
  fail(): never {
    throw new Error('the sample fails on purpose');
  }
}
