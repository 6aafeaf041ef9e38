import { jest } from '@jest/globals';
import { isPromiseLike } from '../../src/core/promises.js';
import { SerialQueue } from '../../src/session/serial-queue.js';
import { deferred } from '../support/until.js';

/** Lets every pending promise reaction run (a macrotask turn; not a timed sleep). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function newQueue() {
  const errors: unknown[] = [];
  const onError = jest.fn((error: unknown) => {
    errors.push(error);
  });
  return { queue: new SerialQueue(onError), onError, errors };
}

describe('SerialQueue', () => {
  describe('synchronous tasks', () => {
    it('starts idle', () => {
      expect(newQueue().queue.size).toBe(0);
    });

    it('runs a task pushed while idle at once, before push returns, and stays idle', () => {
      const { queue, onError } = newQueue();
      const log: string[] = [];
      queue.push(() => log.push('task'));
      log.push('after push');
      expect(log).toStrictEqual(['task', 'after push']);
      expect(queue.size).toBe(0);
      expect(onError).not.toHaveBeenCalled();
    });

    it('runs many synchronous tasks in order, each at once', () => {
      const { queue } = newQueue();
      const log: number[] = [];
      for (let i = 0; i < 5; i++) {
        queue.push(() => {
          log.push(i);
        });
        expect(log).toHaveLength(i + 1);
        expect(queue.size).toBe(0);
      }
      expect(log).toStrictEqual([0, 1, 2, 3, 4]);
    });

    it.each<[string, unknown]>([
      ['undefined', undefined],
      ['a value', 42],
      ['null', null],
      ['an object with a non-function then', { then: 1 }],
    ])('a task returning %s leaves the queue idle', (_name, value) => {
      const { queue } = newQueue();
      queue.push(() => value);
      expect(queue.size).toBe(0);
    });

    it('reports a throwing task via onError, synchronously, and goes on', () => {
      const { queue, onError, errors } = newQueue();
      const boom = new Error('boom');
      const log: string[] = [];
      queue.push(() => {
        throw boom;
      });
      expect(onError).toHaveBeenCalledTimes(1);
      expect(errors).toStrictEqual([boom]);
      expect(queue.size).toBe(0);
      queue.push(() => log.push('next'));
      expect(log).toStrictEqual(['next']);
    });

    it('reports non-Error throwables as thrown', () => {
      const { queue, errors } = newQueue();
      queue.push(() => {
        throw 'a string';
      });
      expect(errors).toStrictEqual(['a string']);
    });
  });

  describe('asynchronous tasks', () => {
    it('starts an async task at once and counts it until it settles', async () => {
      const { queue, onError } = newQueue();
      const gate = deferred();
      const started = jest.fn();
      queue.push(() => {
        started();
        return gate.promise;
      });
      expect(started).toHaveBeenCalledTimes(1);
      expect(queue.size).toBe(1);
      gate.resolve();
      await settle();
      expect(queue.size).toBe(0);
      expect(onError).not.toHaveBeenCalled();
    });

    it('serializes tasks in push order: each waits for the one before', async () => {
      const { queue, onError } = newQueue();
      const log: string[] = [];
      const gates = [deferred(), deferred(), deferred()];
      gates.forEach((gate, i) =>
        queue.push(async () => {
          log.push(`start ${i}`);
          await gate.promise;
          log.push(`end ${i}`);
        }),
      );
      queue.push(() => {
        log.push('sync task');
      });
      expect(log).toStrictEqual(['start 0']);
      expect(queue.size).toBe(4);

      // Releasing a later task first does not let it run early.
      gates[2]!.resolve();
      gates[1]!.resolve();
      await settle();
      expect(log).toStrictEqual(['start 0']);
      expect(queue.size).toBe(4);

      gates[0]!.resolve();
      await settle();
      expect(log).toStrictEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2', 'sync task']);
      expect(queue.size).toBe(0);
      expect(onError).not.toHaveBeenCalled();
    });

    it('a synchronous task pushed behind an async one waits for it', async () => {
      const { queue } = newQueue();
      const gate = deferred();
      const log: string[] = [];
      queue.push(() => gate.promise.then(() => log.push('async done')));
      queue.push(() => log.push('sync'));
      expect(log).toStrictEqual([]);
      expect(queue.size).toBe(2);
      gate.resolve();
      await settle();
      expect(log).toStrictEqual(['async done', 'sync']);
      expect(queue.size).toBe(0);
    });

    it('size counts running and waiting tasks as each one finishes', async () => {
      const { queue } = newQueue();
      const gates = [deferred(), deferred(), deferred()];
      for (const gate of gates) queue.push(() => gate.promise);
      expect(queue.size).toBe(3);
      gates[0]!.resolve();
      await settle();
      expect(queue.size).toBe(2);
      gates[1]!.resolve();
      await settle();
      expect(queue.size).toBe(1);
      gates[2]!.resolve();
      await settle();
      expect(queue.size).toBe(0);
    });

    it('runs a task pushed after the queue drained at once again', async () => {
      const { queue } = newQueue();
      const gate = deferred();
      queue.push(() => gate.promise);
      gate.resolve();
      await settle();
      const log: string[] = [];
      queue.push(() => log.push('now'));
      expect(log).toStrictEqual(['now']);
      expect(queue.size).toBe(0);
    });

    it('reports a rejecting first task via onError and goes on', async () => {
      const { queue, errors } = newQueue();
      const gate = deferred();
      const log: string[] = [];
      const failure = new Error('rejected');
      queue.push(() => gate.promise);
      queue.push(() => log.push('second'));
      gate.reject(failure);
      await settle();
      expect(errors).toStrictEqual([failure]);
      expect(log).toStrictEqual(['second']);
      expect(queue.size).toBe(0);
    });

    it('reports a rejecting or throwing queued task via onError and goes on, in order', async () => {
      const { queue, errors } = newQueue();
      const gate = deferred();
      const log: string[] = [];
      const rejected = new Error('queued rejection');
      const thrown = new Error('queued throw');
      queue.push(() => gate.promise);
      queue.push(() => Promise.reject(rejected));
      queue.push(() => log.push('third'));
      queue.push(() => {
        throw thrown;
      });
      queue.push(async () => {
        log.push('fifth');
      });
      expect(queue.size).toBe(5);
      gate.resolve();
      await settle();
      expect(errors).toStrictEqual([rejected, thrown]);
      expect(log).toStrictEqual(['third', 'fifth']);
      expect(queue.size).toBe(0);
    });

    it('reports each failure once', async () => {
      const { queue, onError } = newQueue();
      queue.push(() => Promise.reject(new Error('x')));
      queue.push(() => Promise.reject(new Error('y')));
      await settle();
      expect(onError).toHaveBeenCalledTimes(2);
    });

    it('accepts a thenable that is not a Promise', async () => {
      const { queue } = newQueue();
      let complete!: () => void;
      const thenable: PromiseLike<void> = {
        then(onfulfilled) {
          complete = () => onfulfilled?.();
          return this as never;
        },
      };
      const log: string[] = [];
      queue.push(() => thenable);
      queue.push(() => log.push('after thenable'));
      expect(queue.size).toBe(2);
      await settle();
      expect(log).toStrictEqual([]);
      complete();
      await settle();
      expect(log).toStrictEqual(['after thenable']);
      expect(queue.size).toBe(0);
    });

    it('keeps push order for a task pushed from inside a running async task', async () => {
      const { queue } = newQueue();
      const gate = deferred();
      const log: string[] = [];
      queue.push(async () => {
        log.push('outer start');
        queue.push(() => log.push('inner'));
        await gate.promise;
        log.push('outer end');
      });
      expect(log).toStrictEqual(['outer start']);
      expect(queue.size).toBe(2);
      gate.resolve();
      await settle();
      expect(log).toStrictEqual(['outer start', 'outer end', 'inner']);
      expect(queue.size).toBe(0);
    });

    it('keeps serializing, and size never goes negative, after an async task pushed from inside an async task', async () => {
      const { queue } = newQueue();
      const outerGate = deferred();
      const innerGate = deferred();
      const log: string[] = [];
      queue.push(() => {
        queue.push(async () => {
          log.push('inner start');
          await innerGate.promise;
          log.push('inner end');
        });
        return outerGate.promise.then(() => log.push('outer end'));
      });
      expect(queue.size).toBe(2);
      innerGate.resolve();
      await settle();
      queue.push(() => log.push('third'));
      expect(log).not.toContain('third');
      expect(queue.size).toBeGreaterThan(0);
      outerGate.resolve();
      await settle();
      expect(log).toStrictEqual(['outer end', 'inner start', 'inner end', 'third']);
      expect(queue.size).toBe(0);
    });
  });
});

describe('isPromiseLike', () => {
  it.each<[string, unknown, boolean]>([
    ['a Promise', Promise.resolve(1), true],
    ['a thenable', { then: () => undefined }, true],
    ['a function with then', Object.assign(() => 1, { then: () => undefined }), true],
    ['undefined', undefined, false],
    ['null', null, false],
    ['a number', 1, false],
    ['a string', 'then', false],
    ['an object', {}, false],
    ['an object with a non-function then', { then: true }, false],
  ])('%s → %s', (_name, value, expected) => {
    expect(isPromiseLike(value)).toBe(expected);
  });
});
