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
import { WAMP_ECHO, WAMP_TOPIC } from '../protocol.js';

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
  readonly channelPrefix?: string;
}

/** nest-wamp: the echo procedure, bare or behind a guard and an interceptor, and a static topic. */
export async function startNestWamp(settings: NestWampSettings): Promise<number> {
  const app = await createNestWampApp(settings);
  await app.listen(0, '127.0.0.1');
  return (app.getHttpServer().address() as AddressInfo).port;
}

export async function createNestWampApp(settings: NestWampSettings): Promise<INestApplication> {
  const options: WampModuleOptions = {
    topics: { [WAMP_TOPIC]: true },
    auth: settings.auth ? { allowAnonymous: true, timeoutMs: 0, permissions: () => ({ all: true }) } : undefined,
    backplane: settings.redisUrl ? new RedisBackplane({ url: settings.redisUrl, channelPrefix: settings.channelPrefix }) : undefined,
  };
  @Module({
    imports: [WampModule.forRoot(options)],
    providers: settings.guarded ? [GuardedEcho, CallsOnlyGuard, CountingInterceptor] : [BareEcho],
  })
  class BenchModule {}
  return NestFactory.create(BenchModule, { logger: false });
}
