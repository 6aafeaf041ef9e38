// The sample on several instances sharing one Redis (../shared/sample-app.md, "Several
// instances"): one clock tick a second for every subscriber however many instances run, and a
// chat user list that holds the users of every instance.
import { randomBytes } from 'node:crypto';
import { WampBroker } from 'nest-wamp';
import type { WampTestClient } from 'nest-wamp/testing';
import { AppModule } from '../../sample/app.module.js';
import { readSampleConfig } from '../../sample/sample-config.js';
import { describeWithRedis, REDIS_URL } from '../support/redis.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { until } from '../support/until.js';

const CHAT = 'http://wamp.sample/event#chat';
const TIME = 'http://wamp.sample/event#time';

interface ChatEvent {
  readonly type: string;
  readonly users?: ReadonlyArray<{ clientId: string; sessionId?: number; username: string }>;
  readonly clientId?: string;
}

const describeRedis = await describeWithRedis();

describeRedis('the sample on three instances', () => {
  let instances: TestServer[];

  beforeAll(async () => {
    const env = { WAMP_REDIS_URL: REDIS_URL, WAMP_REDIS_PREFIX: `sample-${randomBytes(4).toString('hex')}` };
    const config = { ...readSampleConfig(env), port: 0 };
    instances = await Promise.all([0, 1, 2].map(() => startApp({ imports: [AppModule.forConfig(config)] })));
  });
  afterAll(() => Promise.all(instances.map((instance) => instance.close())));

  async function member(instance: TestServer, authKey?: string, secret?: string): Promise<WampTestClient> {
    const client = await instance.connect();
    await client.authenticate(authKey, secret);
    return client;
  }

  /** The v2 id of a v1 client's session, as its instance knows it. */
  const v2IdOf = (instance: TestServer, client: WampTestClient): number => instance.app.get(WampBroker).session(client.sessionId)!.v2Id;
  const ofType = (type: string) => (event: unknown) => (event as ChatEvent).type === type;

  it('ticks once a second for a subscriber, not once per instance', async () => {
    const watcher = await member(instances[1]);
    watcher.subscribe(TIME, () => {});
    await until(() => watcher.eventsOn(TIME).length >= 4, 'four ticks', 6000);
    const times = watcher.eventsOn(TIME).map((event) => (event as { now: number }).now);
    const gaps = times.slice(1).map((now, i) => now - times[i]);
    // Three instances publishing to the whole cluster gave three ticks within each second.
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(900);
    await watcher.close();
  }, 10_000);

  it('gives a newcomer the users of every instance, and tells everyone who joins and leaves', async () => {
    const guest = await member(instances[0], 'guest', 'secret-password');
    const anonymous = await member(instances[1]);
    for (const client of [guest, anonymous]) {
      client.subscribe(CHAT, () => {});
      await client.nextEvent(CHAT, 3000, (event) => (event as ChatEvent).type === 'user-list');
    }
    const newcomer = await member(instances[2], 'salted', 'salted-password');
    const [guestV2Id, newcomerV2Id] = [v2IdOf(instances[0], guest), v2IdOf(instances[2], newcomer)];
    newcomer.subscribe(CHAT, () => {});
    const list = (await newcomer.nextEvent(CHAT, 3000, ofType('user-list'))) as ChatEvent;
    expect([...(list.users ?? [])].sort((x, y) => x.username.localeCompare(y.username))).toEqual([
      {
        clientId: anonymous.sessionId,
        sessionId: v2IdOf(instances[1], anonymous),
        username: `anonymous-${anonymous.sessionId.slice(0, 6)}`,
      },
      { clientId: guest.sessionId, sessionId: guestV2Id, username: 'guest' },
      { clientId: newcomer.sessionId, sessionId: newcomerV2Id, username: 'salted' },
    ]);
    for (const client of [guest, anonymous]) {
      const joined = (event: unknown) => ofType('user-joined')(event) && (event as ChatEvent).clientId === newcomer.sessionId;
      expect(await client.nextEvent(CHAT, 3000, joined)).toEqual({
        type: 'user-joined',
        clientId: newcomer.sessionId,
        sessionId: newcomerV2Id,
        username: 'salted',
      });
    }

    await guest.close();
    expect(await newcomer.nextEvent(CHAT, 3000, ofType('user-left'))).toEqual({
      type: 'user-left',
      clientId: guest.sessionId,
      sessionId: guestV2Id,
      username: 'guest',
    });
    await Promise.all([anonymous.close(), newcomer.close()]);
  });

  it("user-list entries of the other instances' sessions carry their v2 id too (sessionId)", async () => {
    const remote = await member(instances[0], 'guest', 'secret-password');
    const remoteV2Id = v2IdOf(instances[0], remote);
    remote.subscribe(CHAT, () => {});
    await remote.nextEvent(CHAT, 3000, ofType('user-list'));
    const newcomer = await member(instances[1], 'salted', 'salted-password');
    try {
      newcomer.subscribe(CHAT, () => {});
      const list = (await newcomer.nextEvent(CHAT, 3000, ofType('user-list'))) as ChatEvent;
      expect(list.users?.find((user) => user.clientId === remote.sessionId)?.sessionId).toBe(remoteV2Id);
    } finally {
      await Promise.all([remote.close(), newcomer.close()]);
    }
  });
});
