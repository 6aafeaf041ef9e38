import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { WampBroker, WampErrorUri, WampModule, WampRpc } from '../../src/index.js';
import { LOG_LINES_PER_MINUTE } from '../../src/core/throttled-log.js';
import { WampTestClient } from '../../src/testing/index.js';
import { CapturingLogger } from '../support/capturing-logger.js';
import { RawWampSocket } from '../support/raw-wamp-socket.js';
import { until } from '../support/until.js';

/**
 * A client that provokes the same logged failure over and over must not flood the log: each
 * kind is written at most LOG_LINES_PER_MINUTE times a minute, the rest counted in stats().
 */
@Injectable()
class Echo {
  @WampRpc('urn:echo')
  echo(value: unknown) {
    return value;
  }

  /** Throws a TypeError for anything but a string, as handlers that trust their input do. */
  @WampRpc('urn:shout')
  shout(text: string) {
    return text.toUpperCase();
  }
}

const FLOOD = 1000;
/** Fewer: each costs a stack overflow, and the CALL case already shows the count. */
const PUBLISH_FLOOD = 200;
/** 10000 nested arrays: JSON.parse takes them, JSON.stringify runs out of stack on them. */
const NESTED = '['.repeat(10_000) + ']'.repeat(10_000);
const TOPIC = 'urn:open';

describe('a client provoking logged failures at will', () => {
  const logger = new CapturingLogger();
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [WampModule.forRoot({ topics: { [TOPIC]: true } })],
      providers: [Echo],
    }).compile();
    app = moduleRef.createNestApplication({ logger });
    await app.listen(0, '127.0.0.1');
    url = `ws://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}/ws`;
  });
  afterAll(() => app.close());

  it(`${FLOOD} deeply nested CALLs to an echo: at most ${LOG_LINES_PER_MINUTE} ERROR lines, the rest counted; others are answered`, async () => {
    const attacker = await RawWampSocket.connect(url);
    const other = await WampTestClient.connect(url);
    try {
      for (let i = 0; i < FLOOD; i++) attacker.sendText(`[2,"c${i}","urn:echo",${NESTED}]`);
      expect(await other.call('urn:echo', 'still here')).toBe('still here');
      for (let i = 0; i < FLOOD; i++) {
        expect(await attacker.answerTo(`c${i}`)).toEqual([4, `c${i}`, WampErrorUri.internal, expect.any(String)]);
      }
      const notJson = logger.at('error').filter((message) => message.includes('a call result is not JSON'));
      expect(notJson).toHaveLength(LOG_LINES_PER_MINUTE);
      expect(logger.at('error')).toHaveLength(LOG_LINES_PER_MINUTE); // and nothing else logged an error for them
      expect(app.get(WampBroker).stats().logsSuppressed['unserializable-result']).toBe(FLOOD - LOG_LINES_PER_MINUTE);
      expect(await other.call('urn:echo', 'after')).toBe('after');
      expect(attacker.isOpen).toBe(true);
    } finally {
      await attacker.close();
      await other.close();
    }
  });

  it(`${FLOOD} CALLs that make a handler throw: at most ${LOG_LINES_PER_MINUTE} ERROR lines, the rest counted`, async () => {
    const attacker = await RawWampSocket.connect(url);
    const errorsBefore = logger.at('error').length;
    try {
      for (let i = 0; i < FLOOD; i++) attacker.sendText(`[2,"t${i}","urn:shout",${i}]`);
      for (let i = 0; i < FLOOD; i++) {
        expect(await attacker.answerTo(`t${i}`)).toEqual([4, `t${i}`, WampErrorUri.internal, expect.any(String)]);
      }
      const lines = logger.at('error').slice(errorsBefore);
      expect(lines).toHaveLength(LOG_LINES_PER_MINUTE);
      expect(lines.every((line) => line.includes('Echo.shout failed'))).toBe(true);
      expect(app.get(WampBroker).stats().logsSuppressed['handler-failed']).toBe(FLOOD - LOG_LINES_PER_MINUTE);
    } finally {
      await attacker.close();
    }
  });

  it(`${PUBLISH_FLOOD} deeply nested PUBLISHes to a subscribed topic: at most ${LOG_LINES_PER_MINUTE} WARN lines, the rest counted`, async () => {
    const subscriber = await WampTestClient.connect(url);
    const attacker = await RawWampSocket.connect(url);
    try {
      subscriber.subscribe(TOPIC, () => undefined);
      const broker = app.get(WampBroker);
      await until(() => broker.subscribers(TOPIC).includes(subscriber.sessionId));
      for (let i = 0; i < PUBLISH_FLOOD; i++) attacker.sendText(`[7,"${TOPIC}",${NESTED}]`);
      await until(
        () => broker.stats().logsSuppressed['publish-dropped'] === PUBLISH_FLOOD - LOG_LINES_PER_MINUTE,
        'every publication handled',
        10_000,
      );
      expect(logger.at('warn').filter((message) => message.includes(`PUBLISH to ${TOPIC} dropped`))).toHaveLength(LOG_LINES_PER_MINUTE);
      broker.publish(TOPIC, 'sentinel');
      expect(await subscriber.nextEvent(TOPIC)).toBe('sentinel');
    } finally {
      await attacker.close();
      await subscriber.close();
    }
  });
});
