import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { WampModuleOptions } from '../config/wamp-module-options.js';

/** `forRoot` / `forRootAsync`, global unless `isGlobal: false`. */
export const {
  ConfigurableModuleClass: ConfigurableWampModule,
  MODULE_OPTIONS_TOKEN: WAMP_MODULE_OPTIONS,
  OPTIONS_TYPE: WAMP_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: WAMP_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<WampModuleOptions>({ moduleName: 'Wamp' })
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
