import { PrefixMap } from '../../src/protocol/curie.js';

const CALC = 'http://example.com/simple/calc#';

function mapWith(entries: Record<string, string>): PrefixMap {
  const map = new PrefixMap();
  for (const [prefix, uri] of Object.entries(entries)) map.set(prefix, uri);
  return map;
}

describe('PrefixMap', () => {
  it('starts empty', () => {
    const map = new PrefixMap();
    expect(map.size).toBe(0);
    expect(map.has('calc')).toBe(false);
  });

  it.each(['calc:square', 'http://example.com/simple/calc#square', 'plain', '', ':x'])(
    'with no prefixes, %p resolves to itself',
    (value) => {
      expect(new PrefixMap().resolve(value)).toBe(value);
    },
  );

  describe('resolution (AutobahnPython / AutobahnJS rule)', () => {
    const map = mapWith({
      calc: CALC,
      event: 'http://example.com/event#',
      empty: '',
      noHash: 'http://example.com/x',
      '': 'http://empty-prefix#',
    });

    it.each<[string, string, string]>([
      ['the spec example', 'calc:square', `${CALC}square`],
      ['another prefix', 'event:simple', 'http://example.com/event#simple'],
      ['a remainder with more colons (kept whole)', 'calc:a:b:c', `${CALC}a:b:c`],
      ['a remainder that is a full URI', 'calc:http://x/y', `${CALC}http://x/y`],
      ['an empty remainder', 'calc:', CALC],
      ['a prefix mapped to ""', 'empty:x', 'x'],
      ['a URI without "#" (no "#" inserted, unlike Ratchet)', 'noHash:y', 'http://example.com/xy'],
      ['an unknown prefix (unchanged)', 'unknown:square', 'unknown:square'],
      ['a prefix that differs in case (unchanged)', 'CALC:square', 'CALC:square'],
      ['a prefix with surrounding space (unchanged)', ' calc:square', ' calc:square'],
      ['no colon at all (unchanged)', 'calc', 'calc'],
      ['a leading colon (not resolved, even with a "" prefix)', ':square', ':square'],
      ['only a colon', ':', ':'],
      ['a full http URI (no "http" prefix defined)', 'http://example.com/simple', 'http://example.com/simple'],
      ['a full https URI', 'https://example.com/simple', 'https://example.com/simple'],
      ['a URN-like string with an unknown prefix', 'urn:x:y', 'urn:x:y'],
    ])('%s: %p → %p', (_name, input, output) => {
      expect(map.resolve(input)).toBe(output);
    });
  });

  it('resolves a full URI when a prefix literally named "http" exists (as AutobahnPython does)', () => {
    const map = mapWith({ http: 'X' });
    expect(map.resolve('http://example.com/simple')).toBe('X//example.com/simple');
    expect(map.resolve('https://example.com/simple')).toBe('https://example.com/simple');
  });

  it('redefinition overwrites', () => {
    const map = new PrefixMap();
    map.set('calc', 'http://old/calc#');
    expect(map.resolve('calc:square')).toBe('http://old/calc#square');
    map.set('calc', CALC);
    expect(map.resolve('calc:square')).toBe(`${CALC}square`);
    expect(map.size).toBe(1);
  });

  it('keeps each prefix separately', () => {
    const map = mapWith({ a: 'http://a#', ab: 'http://ab#' });
    expect(map.resolve('a:x')).toBe('http://a#x');
    expect(map.resolve('ab:x')).toBe('http://ab#x');
    expect(map.size).toBe(2);
    expect(map.has('a')).toBe(true);
    expect(map.has('ab')).toBe(true);
    expect(map.has('b')).toBe(false);
  });

  describe('hostile prefix names are ordinary keys', () => {
    it.each(['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'])(
      '%s resolves only when defined',
      (prefix) => {
        const map = mapWith({ calc: CALC });
        expect(map.has(prefix)).toBe(false);
        expect(map.resolve(`${prefix}:x`)).toBe(`${prefix}:x`);
        map.set(prefix, 'http://hostile#');
        expect(map.has(prefix)).toBe(true);
        expect(map.size).toBe(2);
        expect(map.resolve(`${prefix}:x`)).toBe('http://hostile#x');
        expect(map.resolve('calc:x')).toBe(`${CALC}x`);
      },
    );

    it('defining "__proto__" pollutes nothing', () => {
      const map = new PrefixMap();
      map.set('__proto__', 'http://p#');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.getPrototypeOf({})).toBe(Object.prototype);
      expect(new PrefixMap().resolve('__proto__:x')).toBe('__proto__:x');
    });
  });

  it('maps belong to one connection: two maps do not share prefixes', () => {
    const a = mapWith({ calc: CALC });
    const b = new PrefixMap();
    expect(b.resolve('calc:square')).toBe('calc:square');
    b.set('calc', 'http://other#');
    expect(a.resolve('calc:square')).toBe(`${CALC}square`);
  });
});
