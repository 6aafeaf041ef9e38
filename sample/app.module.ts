import { type DynamicModule, Module } from '@nestjs/common';
import { WampModule } from 'nest-wamp';
import { RedisBackplane } from 'nest-wamp/redis';
import { ChatService } from './chat/chat.service.js';
import { ClockService } from './clock/clock.service.js';
import { OpsModule } from './ops/ops.module.js';
import { CalculatorService } from './rpc/calculator.service.js';
import { SampleRpcService } from './rpc/sample-rpc.service.js';
import type { SampleConfig } from './sample-config.js';
import { EVENT, TIME_TOPIC } from './uris.js';
import { UserDirectory } from './users/user-directory.js';
import { UsersModule } from './users/users.module.js';
import { PageController } from './web/page.controller.js';

/** The sample application: every feature of nest-wamp in one module. */
@Module({})
export class AppModule {
  static forConfig(config: SampleConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        WampModule.forRootAsync({
          imports: [UsersModule],
          inject: [UserDirectory],
          useFactory: (users: UserDirectory) => ({
            path: '/ws',
            allowedOrigins: config.allowedOrigins,
            backplane: config.redisUrl ? new RedisBackplane({ url: config.redisUrl, channelPrefix: config.redisPrefix }) : undefined,
            topics: {
              [`${EVENT}feed/*`]: true,
              [`${EVENT}sub-only`]: { subscribe: true, publish: false },
              [`${EVENT}pub-only`]: { subscribe: false, publish: true },
              [TIME_TOPIC]: { subscribe: true, publish: false },
            },
            auth: {
              allowAnonymous: true,
              timeoutMs: config.authTimeoutMs,
              secret: (authKey) => users.secretOf(authKey),
              permissions: (authKey) => users.permissionsOf(authKey),
            },
          }),
        }),
        OpsModule.forRoot(),
      ],
      controllers: [PageController],
      providers: [SampleRpcService, CalculatorService, ChatService, ClockService],
    };
  }
}
