import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { readSampleConfig } from './sample-config.js';

async function bootstrap(): Promise<void> {
  const config = readSampleConfig();
  // forceCloseConnections: on shutdown, HTTP connections (a half-sent request, an idle keep-alive)
  // are cut instead of being waited for, so that SIGTERM always ends the process.
  const app = await NestFactory.create(AppModule.forConfig(config), { forceCloseConnections: true });
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  new Logger('Sample').log(`open http://${config.host}:${config.port}/ (WAMP at ws://${config.host}:${config.port}/ws)`);
}

void bootstrap();
