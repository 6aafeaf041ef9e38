import { type DynamicModule, Module } from '@nestjs/common';
import { WampModule } from 'nest-wamp';
import { RedisBackplane } from 'nest-wamp/redis';
import { ChatService } from './chat/chat.service.js';
import { ClockService } from './clock/clock.service.js';
import { OpsModule } from './ops/ops.module.js';
import { CalculatorService } from './rpc/calculator.service.js';
import { SampleRpcService } from './rpc/sample-rpc.service.js';
import type { SampleConfig } from './sample-config.js';
import { FEED_TOPICS, PUB_ONLY_TOPIC, SUB_ONLY_TOPIC, TIME_TOPIC, V2_NAMES, V2_REALM } from './uris.js';
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
            // WAMP v2 (wamp.2.json) beside v1 on the same endpoint, with the same handlers under v2 names.
            v2: { realm: V2_REALM, uris: V2_NAMES },
            allowedOrigins: config.allowedOrigins,
            backplane: config.redisUrl ? new RedisBackplane({ url: config.redisUrl, channelPrefix: config.redisPrefix }) : undefined,
            topics: {
              [FEED_TOPICS]: true,
              [SUB_ONLY_TOPIC]: { subscribe: true, publish: false },
              [PUB_ONLY_TOPIC]: { subscribe: false, publish: true },
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
