import { type WaitingEvent, WaitingEvents } from '../../src/redis/waiting-events.js';

function event(n: number, size: number, at: number): WaitingEvent {
  return { topic: 't', channel: 'p:t', envelope: `${n}\n`, frame: '[8,"t",0]', size, at };
}

/** The numbers of what `shift` hands out, oldest first, until the queue is empty. */
function drain(queue: WaitingEvents): number[] {
  const numbers: number[] = [];
  for (let next = queue.shift(); next; next = queue.shift()) numbers.push(Number.parseInt(next.envelope, 10));
  return numbers;
}

describe('WaitingEvents', () => {
  it('hands events out oldest first, counting them and their bytes', () => {
    const queue = new WaitingEvents(10, 1000, 1000);
    for (let n = 0; n < 3; n++) expect(queue.push(event(n, 10, 0))).toBe(0);
    expect({ events: queue.events, bytes: queue.bytes }).toEqual({ events: 3, bytes: 30 });
    expect(queue.peek()?.envelope).toBe('0\n');
    expect(drain(queue)).toEqual([0, 1, 2]);
    expect({ events: queue.events, bytes: queue.bytes }).toEqual({ events: 0, bytes: 0 });
  });

  it('lets go of the oldest to stay within maxEvents and maxBytes, saying how many', () => {
    const byCount = new WaitingEvents(2, 1000, 1000);
    expect([0, 1, 2, 3].map((n) => byCount.push(event(n, 1, 0)))).toEqual([0, 0, 1, 1]);
    expect(drain(byCount)).toEqual([2, 3]);
    const byBytes = new WaitingEvents(10, 25, 1000);
    expect([0, 1, 2].map((n) => byBytes.push(event(n, 10, 0)))).toEqual([0, 0, 1]);
    expect(byBytes.bytes).toBe(20);
    expect(byBytes.push(event(3, 26, 0))).toBe(1); // alone over maxBytes: itself
    expect(drain(byBytes)).toEqual([1, 2]);
  });

  it('lets go of what is older than maxAgeMs, on push and on expire', () => {
    const queue = new WaitingEvents(10, 1000, 100);
    queue.push(event(0, 1, 0));
    queue.push(event(1, 1, 50));
    expect(queue.expire(120)).toBe(1);
    expect(queue.push(event(2, 1, 200))).toBe(1); // event 1, 150 ms old by then
    expect(drain(queue)).toEqual([2]);
  });

  it('stays in order over many events (the consumed part is compacted away)', () => {
    const queue = new WaitingEvents(5000, 1_000_000, 1000);
    for (let n = 0; n < 3000; n++) queue.push(event(n, 1, 0));
    for (let n = 0; n < 2000; n++) expect(Number.parseInt(queue.shift()!.envelope, 10)).toBe(n);
    for (let n = 3000; n < 3500; n++) queue.push(event(n, 1, 0));
    expect(drain(queue)).toEqual(Array.from({ length: 1500 }, (_, k) => 2000 + k));
  });

  it('lets go of everything on clear, saying how many events that was', () => {
    const queue = new WaitingEvents(10, 1000, 1000);
    queue.push(event(0, 5, 0));
    queue.push(event(1, 5, 0));
    expect(queue.clear()).toBe(2);
    expect({ events: queue.events, bytes: queue.bytes }).toEqual({ events: 0, bytes: 0 });
    expect(queue.shift()).toBeUndefined();
  });
});
