import fc from 'fast-check';
import { isId, MAX_ID } from '../../../src/protocol/v2/id.js';
import {
  RandomIdGenerator,
  RequestIdSequence,
  RouterScopeIdGenerator,
  SessionScopeIdGenerator,
} from '../../../src/protocol/v2/id-generators.js';

describe('IDs', () => {
  it('are integers in [1, 2^53]', () => {
    expect(MAX_ID).toBe(9007199254740992);
    for (const id of [1, 2, MAX_ID - 1, MAX_ID]) expect(isId(id)).toBe(true);
    for (const id of [0, -1, 0.5, MAX_ID + 2, Infinity, NaN, '1', null, undefined, true, 1n]) expect(isId(id)).toBe(false);
  });

  describe('RandomIdGenerator (global scope: sessions, publications)', () => {
    it('maps 53 random bits plus one onto [1, 2^53]: all zero bits give 1, all one bits give 2^53', () => {
      expect(new RandomIdGenerator((buffer) => buffer.fill(0)).nextId()).toBe(1);
      expect(new RandomIdGenerator((buffer) => buffer.fill(0xff)).nextId()).toBe(MAX_ID);
    });

    it('uses the low 21 bits of the first word and all 32 of the second', () => {
      const generator = new RandomIdGenerator((buffer) => {
        buffer.fill(0);
        buffer.writeUInt32BE(0xffe00001, 0); // only bit 0 survives the 21-bit mask
        buffer.writeUInt32BE(5, 4);
      });
      expect(generator.nextId()).toBe(2 ** 32 + 5 + 1);
    });

    it('draws from the CSPRNG 128 IDs at a time', () => {
      let fills = 0;
      const generator = new RandomIdGenerator((buffer) => {
        fills++;
        buffer.fill(fills);
      });
      for (let i = 0; i < 128; i++) generator.nextId();
      expect(fills).toBe(1);
      generator.nextId();
      expect(fills).toBe(2);
    });

    it('gives IDs in range, spread over the whole range (crypto randomness)', () => {
      const generator = new RandomIdGenerator();
      const ids = Array.from({ length: 10000 }, () => generator.nextId());
      expect(ids.every(isId)).toBe(true);
      expect(new Set(ids).size).toBe(ids.length);
      // Uniform over [1, 2^53]: about half above the middle, and some in the top 1/16 (odds of failing: ~e^-600).
      const high = ids.filter((id) => id > MAX_ID / 2).length;
      expect(high).toBeGreaterThan(4500);
      expect(high).toBeLessThan(5500);
      expect(ids.some((id) => id > (MAX_ID / 16) * 15)).toBe(true);
    });
  });

  describe('SessionScopeIdGenerator (the router’s requests: INVOCATION)', () => {
    it('counts 1, 2, 3, ... and wraps to 1 after 2^53', () => {
      const generator = new SessionScopeIdGenerator();
      expect([generator.nextId(), generator.nextId(), generator.nextId()]).toEqual([1, 2, 3]);
      const late = new SessionScopeIdGenerator(MAX_ID - 1);
      expect([late.nextId(), late.nextId(), late.nextId()]).toEqual([MAX_ID, 1, 2]);
    });
  });

  describe('RouterScopeIdGenerator (subscriptions, registrations)', () => {
    it('is sequential, wraps after 2^53, and skips IDs still in use', () => {
      const generator = new RouterScopeIdGenerator();
      expect([generator.nextId(), generator.nextId()]).toEqual([1, 2]);
      const inUse = new Set([3, 4, 6]);
      expect(generator.nextId((id) => inUse.has(id))).toBe(5);
      expect(generator.nextId((id) => inUse.has(id))).toBe(7);
      const late = new RouterScopeIdGenerator(MAX_ID - 1);
      expect(late.nextId((id) => id === MAX_ID || id === 1)).toBe(2);
    });
  });

  describe('RequestIdSequence (the client’s requests must be sequential)', () => {
    it('takes 1, 2, 3, ... and refuses anything else without advancing', () => {
      const sequence = new RequestIdSequence();
      expect(sequence.expected).toBe(1);
      expect(sequence.accept(2)).toBe(false);
      expect(sequence.accept(1)).toBe(true);
      expect(sequence.accept(1)).toBe(false);
      expect(sequence.accept(3)).toBe(false);
      expect(sequence.accept(2)).toBe(true);
      expect(sequence.expected).toBe(3);
    });

    it('wraps to 1 after 2^53', () => {
      const sequence = new RequestIdSequence(MAX_ID - 1);
      expect(sequence.accept(MAX_ID)).toBe(true);
      expect(sequence.expected).toBe(1);
      expect(sequence.accept(MAX_ID + 1)).toBe(false);
      expect(sequence.accept(1)).toBe(true);
    });

    it('accepts exactly the IDs a sequential generator issues', () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: MAX_ID - 1 }), fc.integer({ min: 1, max: 50 }), (start, count) => {
          const generator = new SessionScopeIdGenerator(start);
          const sequence = new RequestIdSequence(start);
          for (let i = 0; i < count; i++) if (!sequence.accept(generator.nextId())) return false;
          return true;
        }),
      );
    });
  });
});
