import {
  type CallHandler,
  type INestApplication,
  type CanActivate,
  type ExecutionContext,
  Injectable,
  Module,
  type NestInterceptor,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import { tap } from 'rxjs';
import { getWampInvocation, WampModule, type WampModuleOptions, WampRpc } from '../../src/index.js';
import { RedisBackplane } from '../../src/redis/index.js';
import { ROOM_PREFIX, rulePatterns, WAMP_ECHO, WAMP_TOPIC } from '../protocol.js';

/** A guard doing what guards do: read the invocation and decide. */
@Injectable()
class CallsOnlyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return getWampInvocation(context).kind === 'call';
  }
}

/** An interceptor doing what interceptors do: look at the result on its way out. */
@Injectable()
class CountingInterceptor implements NestInterceptor {
  results = 0;
  intercept(_context: ExecutionContext, next: CallHandler) {
    return next.handle().pipe(tap(() => this.results++));
  }
}

@Injectable()
class BareEcho {
  @WampRpc(WAMP_ECHO)
  echo(data: unknown) {
    return data;
  }
}

@Injectable()
class GuardedEcho {
  @WampRpc(WAMP_ECHO)
  @UseGuards(CallsOnlyGuard)
  @UseInterceptors(CountingInterceptor)
  echo(data: unknown) {
    return data;
  }
}

export interface NestWampSettings {
  readonly guarded?: boolean;
  readonly auth?: boolean;
  readonly redisUrl?: string;
  readonly redisClusterNodes?: readonly string[];
  readonly channelPrefix?: string;
  readonly rooms?: boolean;
  readonly rules?: number;
}

/** nest-wamp: the echo procedure, bare or behind a guard and an interceptor, a static topic, and the scale scenarios' rooms and rules. */
export async function startNestWamp(settings: NestWampSettings): Promise<number> {
  const app = await createNestWampApp(settings);
  await app.listen(0, '127.0.0.1');
  return (app.getHttpServer().address() as AddressInfo).port;
}

function backplaneOf({ redisUrl, redisClusterNodes, channelPrefix }: NestWampSettings): RedisBackplane | undefined {
  if (redisClusterNodes) return new RedisBackplane({ cluster: { nodes: [...redisClusterNodes] }, channelPrefix });
  return redisUrl ? new RedisBackplane({ url: redisUrl, channelPrefix }) : undefined;
}

export async function createNestWampApp(settings: NestWampSettings): Promise<INestApplication> {
  const patterns = rulePatterns(settings.rules ?? 0);
  const topics: Record<string, boolean> = { [WAMP_TOPIC]: true };
  if (settings.rooms) topics[`${ROOM_PREFIX}*`] = true;
  for (const pattern of patterns) topics[pattern] = true;
  // With rules, every session gets the same map of `rules` patterns per pub/sub category.
  const grants = Object.fromEntries(patterns.map((pattern) => [pattern, true]));
  const shared = { rpc: true, subscribe: grants, publish: grants };
  const permissions = patterns.length > 0 ? () => shared : () => ({ all: true });
  const options: WampModuleOptions = {
    topics,
    auth: settings.auth ? { allowAnonymous: true, timeoutMs: 0, permissions } : undefined,
    backplane: backplaneOf(settings),
  };
  @Module({
    imports: [WampModule.forRoot(options)],
    providers: settings.guarded ? [GuardedEcho, CallsOnlyGuard, CountingInterceptor] : [BareEcho],
  })
  class BenchModule {}
  return NestFactory.create(BenchModule, { logger: false });
}
