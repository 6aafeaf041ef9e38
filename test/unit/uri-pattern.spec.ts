import { UriPatternTable, uriPatternKind, type UriPatternKind } from '../../src/protocol/uri-pattern.js';

describe('uriPatternKind', () => {
  it.each<[string, UriPatternKind]>([
    ['*', 'any'],
    ['http://x/event#feed/*', 'prefix'],
    ['http://x/*', 'prefix'],
    ['a*', 'prefix'],
    ['**', 'prefix'],
    ['http://x/event#feed', 'exact'],
    ['http://x/*/y', 'exact'],
    ['*http://x', 'exact'],
    ['', 'exact'],
  ])('%p is %s', (pattern, kind) => {
    expect(uriPatternKind(pattern)).toBe(kind);
  });
});

describe('UriPatternTable', () => {
  describe('match(): exact > longest prefix > catch-all', () => {
    const table = new UriPatternTable<string>();
    table.add('*', 'any');
    table.add('http://x/*', 'short prefix');
    table.add('http://x/event#*', 'middle prefix');
    table.add('http://x/event#feed/*', 'long prefix');
    table.add('http://x/event#feed/special', 'exact special');
    table.add('http://x/event#feed/', 'exact feed root');
    table.add('http://y/a*', 'same-length prefix a');
    table.add('http://y/b*', 'same-length prefix b');

    it.each<[string, string, string]>([
      ['http://x/event#feed/special', 'exact special', 'http://x/event#feed/special'],
      ['http://x/event#feed/', 'exact feed root', 'http://x/event#feed/'],
      ['http://x/event#feed/other', 'long prefix', 'http://x/event#feed/*'],
      ['http://x/event#feed/special/more', 'long prefix', 'http://x/event#feed/*'],
      ['http://x/event#feed', 'middle prefix', 'http://x/event#*'],
      ['http://x/event#', 'middle prefix', 'http://x/event#*'],
      ['http://x/other', 'short prefix', 'http://x/*'],
      ['http://x/', 'short prefix', 'http://x/*'],
      ['http://x', 'any', '*'],
      ['http://z/anything', 'any', '*'],
      ['', 'any', '*'],
      ['*', 'any', '*'],
      ['http://y/a1', 'same-length prefix a', 'http://y/a*'],
      ['http://y/b1', 'same-length prefix b', 'http://y/b*'],
      ['http://y/c1', 'any', '*'],
    ])('%p → %s', (uri, value, pattern) => {
      expect(table.match(uri)).toStrictEqual({ pattern, value });
    });
  });

  it('matches nothing in an empty table', () => {
    expect(new UriPatternTable<number>().match('http://x/t')).toBeUndefined();
    expect(new UriPatternTable<number>().match('')).toBeUndefined();
  });

  it('matches nothing without a catch-all when no pattern fits', () => {
    const table = new UriPatternTable<boolean>();
    table.add('http://x/t', true);
    table.add('http://x/feed/*', true);
    expect(table.match('http://x/t2')).toBeUndefined();
    expect(table.match('http://x/feed')).toBeUndefined();
    expect(table.match('http://x/other/feed/a')).toBeUndefined();
  });

  it('a prefix longer than the URI does not match it', () => {
    const table = new UriPatternTable<string>();
    table.add('http://x/very/long/prefix/*', 'long');
    table.add('http://x/*', 'short');
    expect(table.match('http://x/very')).toStrictEqual({ pattern: 'http://x/*', value: 'short' });
    expect(table.match('http:')).toBeUndefined();
  });

  it('delivery-style topics are not wildcards: an exact pattern does not match longer URIs', () => {
    const table = new UriPatternTable<boolean>();
    table.add('http://x/simple', true);
    expect(table.match('http://x/simple#6011')).toBeUndefined();
    expect(table.match('http://x/simpl')).toBeUndefined();
  });

  it('a more specific falsy value wins over a less specific truthy one', () => {
    const table = new UriPatternTable<boolean>();
    table.add('http://x/feed/*', true);
    table.add('http://x/feed/secret', false);
    table.add('*', true);
    expect(table.match('http://x/feed/secret')).toStrictEqual({ pattern: 'http://x/feed/secret', value: false });
    expect(table.match('http://x/feed/public')?.value).toBe(true);
  });

  it('the order patterns are added in does not change the result', () => {
    const patterns: [string, string][] = [
      ['*', 'any'],
      ['http://x/*', 'short'],
      ['http://x/feed/*', 'long'],
      ['http://x/feed/a', 'exact'],
    ];
    const orders = [patterns, [...patterns].reverse(), [patterns[2]!, patterns[0]!, patterns[3]!, patterns[1]!]];
    for (const order of orders) {
      const table = new UriPatternTable<string>();
      for (const [pattern, value] of order) table.add(pattern, value);
      expect(table.match('http://x/feed/a')?.value).toBe('exact');
      expect(table.match('http://x/feed/b')?.value).toBe('long');
      expect(table.match('http://x/b')?.value).toBe('short');
      expect(table.match('http://y')?.value).toBe('any');
    }
  });

  describe('add()', () => {
    it.each(['http://x/t', 'http://x/*', '*'])('returns undefined for a new pattern %p', (pattern) => {
      expect(new UriPatternTable<number>().add(pattern, 1)).toBeUndefined();
    });

    it.each(['http://x/t', 'http://x/*', '*'])('returns the existing entry for a duplicate %p and keeps the first value', (pattern) => {
      const table = new UriPatternTable<number>();
      table.add(pattern, 1);
      expect(table.add(pattern, 2)).toStrictEqual({ pattern, value: 1 });
      expect(table.get(pattern)).toStrictEqual({ pattern, value: 1 });
      expect(table.entries()).toHaveLength(1);
    });

    it('treats "http://x/" (exact) and "http://x/*" (prefix) as different patterns', () => {
      const table = new UriPatternTable<string>();
      expect(table.add('http://x/', 'exact')).toBeUndefined();
      expect(table.add('http://x/*', 'prefix')).toBeUndefined();
      expect(table.entries()).toHaveLength(2);
    });

    it('stores hostile pattern strings as ordinary keys', () => {
      const table = new UriPatternTable<string>();
      expect(table.match('__proto__')).toBeUndefined();
      expect(table.match('constructor')).toBeUndefined();
      table.add('__proto__', 'p');
      table.add('constructor*', 'c');
      expect(table.match('__proto__')).toStrictEqual({ pattern: '__proto__', value: 'p' });
      expect(table.match('constructorX')).toStrictEqual({ pattern: 'constructor*', value: 'c' });
    });
  });

  describe('get()', () => {
    const table = new UriPatternTable<string>();
    table.add('http://x/t', 'exact');
    table.add('http://x/*', 'prefix');
    table.add('*', 'any');

    it.each<[string, string | undefined]>([
      ['http://x/t', 'exact'],
      ['http://x/*', 'prefix'],
      ['*', 'any'],
      ['http://x/', undefined],
      ['http://x/t*', undefined],
      ['http://x/u', undefined],
      ['http://*', undefined],
    ])('get(%p) is the entry registered under exactly that pattern (%p)', (pattern, value) => {
      expect(table.get(pattern)?.value).toBe(value);
    });

    it('does not match: a concrete URI under a prefix is not a registered pattern', () => {
      expect(table.get('http://x/other')).toBeUndefined();
    });

    it('has no catch-all until one is added', () => {
      expect(new UriPatternTable<string>().get('*')).toBeUndefined();
    });
  });

  describe('entries()', () => {
    it('is empty for an empty table', () => {
      expect(new UriPatternTable<number>().entries()).toStrictEqual([]);
    });

    it('lists every entry once, whatever its kind', () => {
      const table = new UriPatternTable<number>();
      table.add('http://x/b*', 1);
      table.add('*', 2);
      table.add('http://x/a', 3);
      table.add('http://x/a', 4);
      table.add('http://x/c*', 5);
      const entries = table.entries();
      expect(entries).toHaveLength(4);
      expect(entries).toEqual(
        expect.arrayContaining([
          { pattern: 'http://x/b*', value: 1 },
          { pattern: '*', value: 2 },
          { pattern: 'http://x/a', value: 3 },
          { pattern: 'http://x/c*', value: 5 },
        ]),
      );
    });

    it('returns a fresh array', () => {
      const table = new UriPatternTable<number>();
      table.add('http://x/a', 1);
      const entries = table.entries();
      entries.pop();
      expect(table.entries()).toHaveLength(1);
    });
  });

  describe('remove()', () => {
    it('forgets exact, prefix and catch-all patterns, and the match falls back to what is left', () => {
      const table = new UriPatternTable<string>();
      for (const pattern of ['http://x/a/b', 'http://x/a/*', 'http://x/*', '*']) table.add(pattern, pattern);
      expect(table.match('http://x/a/b')?.pattern).toBe('http://x/a/b');
      expect(table.remove('http://x/a/b')).toBe(true);
      expect(table.match('http://x/a/b')?.pattern).toBe('http://x/a/*');
      expect(table.remove('http://x/a/*')).toBe(true);
      expect(table.match('http://x/a/b')?.pattern).toBe('http://x/*');
      expect(table.remove('http://x/*')).toBe(true);
      expect(table.match('http://x/a/b')?.pattern).toBe('*');
      expect(table.remove('*')).toBe(true);
      expect(table.match('http://x/a/b')).toBeUndefined();
      expect(table.entries()).toEqual([]);
    });

    it('is false for a pattern that is not there, and keeps prefixes of the same length', () => {
      const table = new UriPatternTable<number>();
      table.add('http://x/a*', 1);
      table.add('http://x/b*', 2);
      expect(table.remove('http://x/c*')).toBe(false);
      expect(table.remove('http://x/a')).toBe(false);
      expect(table.remove('*')).toBe(false);
      expect(table.remove('http://x/a*')).toBe(true);
      expect(table.match('http://x/b1')?.value).toBe(2);
      expect(table.match('http://x/a1')).toBeUndefined();
    });
  });
});

describe('HandlerRegistry topic patterns', () => {
  it('refuses a "*" before the end of a pattern, naming who registered it', async () => {
    const { HandlerRegistry, WampRegistrationError } = await import('../../src/router/handler-registry.js');
    const registry = new HandlerRegistry();
    expect(() => registry.addSubscribeRule('http://x/*/chat', { source: 'Chat.join', allow: true })).toThrow(WampRegistrationError);
    expect(() => registry.addPublishRule('http://x/*/chat', { source: 'Chat.say', allow: true })).toThrow(/Chat\.say.*before its end/);
    registry.addSubscribeRule('http://x/chat/*', { source: 'Chat.join', allow: true });
    expect(registry.subscribeRule('http://x/chat/room')).toMatchObject({ source: 'Chat.join' });
  });
});
