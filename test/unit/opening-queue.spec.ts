import { jest } from '@jest/globals';
import { OpeningQueue } from '../../src/redis/opening-queue.js';

describe('OpeningQueue', () => {
  afterEach(() => jest.useRealTimers());

  it('counts what it holds and hands it over oldest first, then is empty', () => {
    const queue = new OpeningQueue();
    queue.hold('a', 'one', 3);
    queue.hold('b', Buffer.from('two!'), 4);
    expect({ events: queue.events, bytes: queue.bytes }).toEqual({ events: 2, bytes: 7 });
    const sent: Array<[string, string, number]> = [];
    queue.flush((channel, payload, size) => sent.push([channel, String(payload), size]));
    expect(sent).toEqual([
      ['a', 'one', 3],
      ['b', 'two!', 4],
    ]);
    expect({ events: queue.events, bytes: queue.bytes }).toEqual({ events: 0, bytes: 0 });
  });

  it('is empty while it hands over, so what the sender holds again is kept for later', () => {
    const queue = new OpeningQueue();
    queue.hold('a', 'one', 3);
    queue.flush((channel, payload, size) => queue.hold(channel, `${String(payload)} again`, size));
    expect({ events: queue.events, bytes: queue.bytes }).toEqual({ events: 1, bytes: 3 });
  });

  it('lets go of what waited longer than the given age only, and says how much', () => {
    jest.useFakeTimers({ now: 10_000 });
    const queue = new OpeningQueue();
    queue.hold('a', 'old', 10);
    jest.setSystemTime(10_300);
    queue.hold('a', 'young', 20);
    jest.setSystemTime(10_450);
    expect(queue.expire(400)).toBe(1);
    expect({ events: queue.events, bytes: queue.bytes }).toEqual({ events: 1, bytes: 20 });
    expect(queue.expire(400)).toBe(0);
    const sent: string[] = [];
    queue.flush((_, payload) => sent.push(String(payload)));
    expect(sent).toEqual(['young']);
  });

  it('lets go of everything on clear, saying how many events that was', () => {
    const queue = new OpeningQueue();
    queue.hold('a', 'one', 3);
    queue.hold('a', 'two', 3);
    expect(queue.clear()).toBe(2);
    expect({ events: queue.events, bytes: queue.bytes }).toEqual({ events: 0, bytes: 0 });
    expect(queue.clear()).toBe(0);
  });
});
