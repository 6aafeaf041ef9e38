import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { readSampleConfig } from './sample-config.js';

async function bootstrap(): Promise<void> {
  const config = readSampleConfig();
  const app = await NestFactory.create(AppModule.forConfig(config));
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  new Logger('Sample').log(`open http://${config.host}:${config.port}/ (WAMP at ws://${config.host}:${config.port}/ws)`);
}

void bootstrap();
