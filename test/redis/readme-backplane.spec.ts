// The README's Redis backplane module (test/fixtures/readme/redis-backplane.ts), run as written:
// two instances on the machine's Redis, a subscriber on one, a publish on the other.
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { WampModule, WampSubscribe } from 'nest-wamp';
import { RedisBackplane } from 'nest-wamp/redis';
import { startWampTestingApp, type WampTestingApp } from 'nest-wamp/testing';
import { describeWithRedis, REDIS_URL } from '../support/redis.js';
import { until } from '../support/until.js';

const TOPIC = `http://example.com/event#readme-${randomBytes(4).toString('hex')}`;

@Injectable()
class OpenTopics {
  @WampSubscribe('http://example.com/event#*')
  mayJoin(): boolean {
    return true;
  }
}

const describeRedis = await describeWithRedis();

describeRedis('the README backplane module', () => {
  const instances: WampTestingApp[] = [];

  beforeAll(async () => {
    const before = process.env.REDIS_URL;
    process.env.REDIS_URL = REDIS_URL;
    try {
      const { AppModule } = await import('../fixtures/readme/redis-backplane.js'); // reads REDIS_URL once, when evaluated
      const readme = await Test.createTestingModule({ imports: [AppModule], providers: [OpenTopics] }).compile();
      instances.push(await startWampTestingApp(readme));
    } finally {
      if (before === undefined) delete process.env.REDIS_URL;
      else process.env.REDIS_URL = before;
    }
    // The other instance, configured the same way by hand.
    const other = await Test.createTestingModule({
      imports: [WampModule.forRoot({ backplane: new RedisBackplane({ url: REDIS_URL }) })],
      providers: [OpenTopics],
    }).compile();
    instances.push(await startWampTestingApp(other));
  });
  afterAll(() => Promise.all(instances.map((instance) => instance.close())));

  it("delivers one instance's publish to the other's subscribers", async () => {
    const [a, b] = instances;
    const subscriber = await b.connect();
    subscriber.subscribe(TOPIC, () => {});
    await until(() => b.broker.subscribers(TOPIC).length === 1, 'the subscription');
    // The backplane subscribes to the topic's Redis channel asynchronously: publish until it arrives.
    let sent = 0;
    await until(() => {
      if (subscriber.eventsOn(TOPIC).length === 0) a.broker.publish(TOPIC, { n: ++sent });
      return subscriber.eventsOn(TOPIC).length > 0;
    }, 'an event across instances');
    expect(subscriber.eventsOn(TOPIC)[0]).toEqual({ n: expect.any(Number) });
  });
});
