import type { IncomingMessage } from 'node:http';
import { jest } from '@jest/globals';
import {
  isOriginAllowed,
  chooseWampProtocol,
  parseProtocolHeader,
  requestPath,
  type WampOriginRule,
} from '../../src/transport/handshake.js';

function request(init: { origin?: string; url?: string } = {}): IncomingMessage {
  const headers: Record<string, string> = {};
  if (init.origin !== undefined) headers.origin = init.origin;
  return { headers, url: init.url } as unknown as IncomingMessage;
}

describe('chooseWampProtocol', () => {
  const v1 = (token: string) => ({ token, version: 1 });
  const v2 = (token: string) => ({ token, version: 2 });

  it.each<[string, string[], ReturnType<typeof v1> | undefined]>([
    ['only wamp', ['wamp'], v1('wamp')],
    ['wamp first', ['wamp', 'foo'], v1('wamp')],
    ['wamp last', ['foo', 'bar', 'wamp'], v1('wamp')],
    ['upper case (returned as offered)', ['WAMP'], v1('WAMP')],
    ['mixed case', ['foo', 'Wamp'], v1('Wamp')],
    ['surrounding spaces (returned as offered)', [' wamp '], v1(' wamp ')],
    ['the first of several matches', ['Wamp', 'wamp'], v1('Wamp')],
    ['nothing offered', [], undefined],
    ['other protocols only', ['foo', 'bar'], undefined],
    ['only wamp.2.json', ['wamp.2.json'], v2('wamp.2.json')],
    ['both, v1 first: v2 wins', ['wamp', 'wamp.2.json'], v2('wamp.2.json')],
    ['both, v2 first', ['wamp.2.json', 'wamp'], v2('wamp.2.json')],
    ['v2 in upper case', ['WAMP.2.JSON'], v2('WAMP.2.JSON')],
    ['msgpack is not served', ['wamp.2.msgpack'], undefined],
    ['msgpack and v1', ['wamp.2.msgpack', 'wamp'], v1('wamp')],
    ['a longer token', ['wampv1'], undefined],
    ['a shorter token', ['wam'], undefined],
    ['an empty token', [''], undefined],
  ])('%s', (_name, offered, expected) => {
    expect(chooseWampProtocol(offered, true)).toStrictEqual(expected);
  });

  it('without v2, offers of wamp.2.json are not taken', () => {
    expect(chooseWampProtocol(['wamp.2.json'], false)).toBeUndefined();
    expect(chooseWampProtocol(['wamp.2.json', 'wamp'], false)).toStrictEqual(v1('wamp'));
  });

  it('accepts any iterable', () => {
    expect(chooseWampProtocol(new Set(['foo', 'wamp']), true)).toStrictEqual(v1('wamp'));
    function* tokens(): Generator<string> {
      yield 'x';
      yield 'WaMp';
    }
    expect(chooseWampProtocol(tokens(), true)).toStrictEqual(v1('WaMp'));
  });
});

describe('parseProtocolHeader', () => {
  it.each<[string, string | string[] | undefined, string[]]>([
    ['a missing header', undefined, []],
    ['an empty header', '', []],
    ['only spaces and commas', ' , ,, ', []],
    ['one token', 'wamp', ['wamp']],
    ['"wamp, foo"', 'wamp, foo', ['wamp', 'foo']],
    ['no spaces', 'wamp,foo,bar', ['wamp', 'foo', 'bar']],
    ['extra spaces and empty tokens', '  wamp ,, foo ,', ['wamp', 'foo']],
    ['case kept', 'WAMP, Foo', ['WAMP', 'Foo']],
    ['an array of headers', ['wamp', 'foo'], ['wamp', 'foo']],
    ['an array of comma lists', ['wamp, foo', 'bar,baz'], ['wamp', 'foo', 'bar', 'baz']],
    ['an empty array', [], []],
    ['an array with empty entries', ['', ' wamp ', ''], ['wamp']],
  ])('%s', (_name, header, tokens) => {
    expect(parseProtocolHeader(header)).toStrictEqual(tokens);
  });

  it('works with chooseWampProtocol', () => {
    expect(chooseWampProtocol(parseProtocolHeader('foo, WAMP'), true)).toStrictEqual({ token: 'WAMP', version: 1 });
    expect(chooseWampProtocol(parseProtocolHeader(undefined), true)).toBeUndefined();
  });
});

describe('isOriginAllowed', () => {
  describe('no rule', () => {
    it.each<[string, string | undefined, boolean, boolean]>([
      ['any origin is allowed', 'https://evil.example', true, true],
      ['any origin is allowed even if missing origins are not', 'https://app.example', false, true],
      ['a missing origin with allowMissingOrigin true', undefined, true, true],
      ['a missing origin with allowMissingOrigin false', undefined, false, false],
    ])('%s', (_name, origin, allowMissingOrigin, expected) => {
      expect(isOriginAllowed(request({ origin }), undefined, allowMissingOrigin)).toBe(expected);
    });
  });

  describe('a list of strings and RegExps', () => {
    const rule: WampOriginRule = ['https://app.example', 'http://localhost:3000', /^https:\/\/[a-z]+\.example\.org$/];

    it.each<[string, string | undefined, boolean, boolean]>([
      ['an exact string match', 'https://app.example', true, true],
      ['another exact string match', 'http://localhost:3000', true, true],
      ['a RegExp match', 'https://shop.example.org', true, true],
      ['a string that differs in case (exact comparison)', 'https://APP.example', true, false],
      ['a string with a trailing slash', 'https://app.example/', true, false],
      ['a different scheme', 'http://app.example', true, false],
      ['a different port', 'http://localhost:3001', true, false],
      ['a prefix of an allowed origin', 'https://app.exampl', true, false],
      ['a RegExp non-match', 'https://shop.example.org.evil.com', true, false],
      ['the literal string "null"', 'null', true, false],
      ['a missing origin with allowMissingOrigin true', undefined, true, true],
      ['a missing origin with allowMissingOrigin false', undefined, false, false],
    ])('%s', (_name, origin, allowMissingOrigin, expected) => {
      expect(isOriginAllowed(request({ origin }), rule, allowMissingOrigin)).toBe(expected);
    });

    it('an empty list allows no origin, but still follows allowMissingOrigin', () => {
      expect(isOriginAllowed(request({ origin: 'https://app.example' }), [], true)).toBe(false);
      expect(isOriginAllowed(request(), [], true)).toBe(true);
      expect(isOriginAllowed(request(), [], false)).toBe(false);
    });

    it.each([
      ['/g', /^https:\/\/app\.example$/g],
      ['/y', /^https:\/\/app\.example$/y],
      ['/gi', /https:\/\/APP\.example/gi],
    ])('a %s RegExp gives the same answer however often it is used', (_name, pattern) => {
      const rule: WampOriginRule = [pattern];
      for (let i = 0; i < 4; i++) {
        expect(isOriginAllowed(request({ origin: 'https://app.example' }), rule, true)).toBe(true);
      }
      expect(isOriginAllowed(request({ origin: 'https://other.example' }), rule, true)).toBe(false);
      expect(isOriginAllowed(request({ origin: 'https://app.example' }), rule, true)).toBe(true);
    });

    it('a /g RegExp used elsewhere first (lastIndex moved) still matches', () => {
      const pattern = /https:\/\/app\.example/g;
      expect(pattern.test('xx https://app.example')).toBe(true);
      expect(pattern.lastIndex).toBeGreaterThan(0);
      expect(isOriginAllowed(request({ origin: 'https://app.example' }), [pattern], true)).toBe(true);
    });
  });

  describe('a RegExp matches the whole origin, never a part of it', () => {
    it.each<[string, RegExp, string, boolean]>([
      ['the exact host', /https?:\/\/myhost/, 'https://myhost', true],
      ['the exact host, other scheme', /https?:\/\/myhost/, 'http://myhost', true],
      ['a longer host', /https?:\/\/myhost/, 'https://myhost.evil.example', false],
      ['a port after the host', /https?:\/\/myhost/, 'https://myhost:8443', false],
      ['a prefix before the scheme', /https?:\/\/myhost/, 'evil-https://myhost', false],
      ['an alternation: either branch wholly', /https:\/\/a\.example|https:\/\/b\.example/, 'https://b.example', true],
      ['an alternation: a branch is not a prefix', /https:\/\/a\.example|https:\/\/b\.example/, 'https://a.example.evil', false],
      ['an alternation: a branch is not a suffix', /https:\/\/a\.example|https:\/\/b\.example/, 'https://evil/https://b.example', false],
      ['already anchored', /^https:\/\/[a-z]+\.example\.org$/, 'https://shop.example.org', true],
      ['/i still ignores case', /https:\/\/myhost/i, 'HTTPS://MYHOST', true],
      ['/m does not let a line end stand for the end', /https:\/\/myhost$/m, 'https://myhost\nx', false],
      ['/g', /https:\/\/myhost/g, 'https://myhost.evil.example', false],
    ])('%s', (_name, pattern, origin, expected) => {
      expect(isOriginAllowed(request({ origin }), [pattern], true)).toBe(expected);
      expect(isOriginAllowed(request({ origin }), [pattern], true)).toBe(expected); // and again, cached
    });

    it('leaves the given RegExp as it was', () => {
      const pattern = /https:\/\/myhost/g;
      isOriginAllowed(request({ origin: 'https://myhost' }), [pattern], true);
      expect([pattern.source, pattern.flags, pattern.lastIndex]).toEqual(['https:\\/\\/myhost', 'g', 0]);
    });
  });

  describe('a function', () => {
    it('is called with the origin and the request, and its answer is returned', () => {
      const req = request({ origin: 'https://app.example' });
      const rule = jest.fn((origin: string | undefined) => origin === 'https://app.example');
      expect(isOriginAllowed(req, rule, true)).toBe(true);
      expect(rule).toHaveBeenCalledTimes(1);
      expect(rule).toHaveBeenCalledWith('https://app.example', req);
      expect(isOriginAllowed(request({ origin: 'https://evil.example' }), rule, true)).toBe(false);
    });

    it('may be async: the promise is returned', async () => {
      const rule = async (origin: string | undefined): Promise<boolean> => origin === 'https://app.example';
      const allowed = isOriginAllowed(request({ origin: 'https://app.example' }), rule, true);
      expect(allowed).toBeInstanceOf(Promise);
      await expect(allowed).resolves.toBe(true);
      await expect(isOriginAllowed(request({ origin: 'https://evil.example' }), rule, true)).resolves.toBe(false);
    });

    it.each([true, false])('decides a missing origin itself (allowMissingOrigin %s is not consulted)', (allowMissingOrigin) => {
      const req = request();
      const allowAll = jest.fn(() => true);
      const denyAll = jest.fn(() => false);
      expect(isOriginAllowed(req, allowAll, allowMissingOrigin)).toBe(true);
      expect(isOriginAllowed(req, denyAll, allowMissingOrigin)).toBe(false);
      expect(allowAll).toHaveBeenCalledWith(undefined, req);
      expect(denyAll).toHaveBeenCalledWith(undefined, req);
    });
  });
});

describe('requestPath', () => {
  it.each<[string, string | undefined, string]>([
    ['a plain path', '/ws', '/ws'],
    ['a path with a query', '/ws?token=abc', '/ws'],
    ['a path with an empty query', '/ws?', '/ws'],
    ['a query with a second "?"', '/ws?a=1?b=2', '/ws'],
    ['the root with a query', '/?x', '/'],
    ['the root', '/', '/'],
    ['a nested path', '/api/v1/ws?x=1&y=2', '/api/v1/ws'],
    ['a trailing slash kept', '/ws/', '/ws/'],
    ['no url at all', undefined, '/'],
  ])('%s: %p → %p', (_name, url, path) => {
    expect(requestPath(request({ url }))).toBe(path);
  });
});
