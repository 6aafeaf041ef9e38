import fc from 'fast-check';
import { parseExtensionOffers } from '../../src/websocket/extension-header.js';

describe('parseExtensionOffers (Sec-WebSocket-Extensions, RFC 6455 9.1)', () => {
  it('reads nothing from no header', () => {
    expect(parseExtensionOffers(undefined)).toEqual([]);
    expect(parseExtensionOffers('')).toEqual([]);
  });

  it('reads every RFC 7692 parameter, with and without values, in order', () => {
    expect(
      parseExtensionOffers(
        'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits',
      ),
    ).toEqual([
      {
        name: 'permessage-deflate',
        params: [
          ['server_no_context_takeover', true],
          ['client_no_context_takeover', true],
          ['server_max_window_bits', '10'],
          ['client_max_window_bits', true],
        ],
      },
    ]);
  });

  it('keeps several offers in the client’s order of preference, from one header or several', () => {
    const expected = [
      { name: 'permessage-deflate', params: [['client_max_window_bits', '10']] },
      { name: 'permessage-deflate', params: [] },
      { name: 'x-other', params: [] },
    ];
    expect(parseExtensionOffers('permessage-deflate; client_max_window_bits=10, permessage-deflate, x-other')).toEqual(expected);
    expect(parseExtensionOffers(['permessage-deflate; client_max_window_bits=10', 'permessage-deflate, x-other'])).toEqual(expected);
  });

  it.each([
    ['no spaces', 'permessage-deflate;client_max_window_bits=10'],
    ['spaces and tabs around separators', 'permessage-deflate \t;  client_max_window_bits = 10 '],
    ['a quoted value', 'permessage-deflate; client_max_window_bits="10"'],
    ['an escaped character in a quoted value', 'permessage-deflate; client_max_window_bits="1\\0"'],
    ['upper case names', 'PerMessage-Deflate; Client_Max_Window_Bits=10'],
  ])('reads %s', (_name, header) => {
    expect(parseExtensionOffers(header)).toEqual([{ name: 'permessage-deflate', params: [['client_max_window_bits', '10']] }]);
  });

  it('skips empty list elements', () => {
    expect(parseExtensionOffers(' , permessage-deflate ,, ')).toEqual([{ name: 'permessage-deflate', params: [] }]);
  });

  it('keeps separators inside quotes', () => {
    // The value is no token once unquoted, so the offer is declined, but the next offer is still read.
    expect(parseExtensionOffers('a; p="x,y;z", b')).toEqual([{ name: 'b', params: [] }]);
  });

  it.each([
    ['an empty name', '; server_no_context_takeover'],
    ['a name with a space', 'permessage deflate'],
    ['an empty parameter', 'permessage-deflate;'],
    ['an empty parameter between two', 'permessage-deflate; ; client_max_window_bits'],
    ['an empty parameter name', 'permessage-deflate; =10'],
    ['an empty value', 'permessage-deflate; client_max_window_bits='],
    ['a value with a separator', 'permessage-deflate; client_max_window_bits=1/0'],
    ['a value with a space', 'permessage-deflate; client_max_window_bits=1 0'],

    ['a quote inside a token', 'permessage-deflate; client_max_window_bits=1"0"'],
    ['an empty quoted value', 'permessage-deflate; client_max_window_bits=""'],
    ['a quoted value that is no token', 'permessage-deflate; client_max_window_bits="1 0"'],

    ['a non-ASCII name', 'permessage-déflate'],
  ])('declines an offer with %s, keeping the others', (_name, malformed) => {
    expect(parseExtensionOffers(`${malformed}, permessage-deflate`)).toEqual([{ name: 'permessage-deflate', params: [] }]);
  });

  it.each([
    ['an unterminated quote', 'permessage-deflate; client_max_window_bits="10'],
    ['an escaped closing quote', 'permessage-deflate; client_max_window_bits="10\\"'],
  ])('an offer with %s swallows the rest of the header: nothing after it is read', (_name, malformed) => {
    expect(parseExtensionOffers(`permessage-deflate; server_no_context_takeover, ${malformed}, permessage-deflate`)).toEqual([
      { name: 'permessage-deflate', params: [['server_no_context_takeover', true]] },
    ]);
  });

  it('never throws, whatever the header', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (header) => {
        const offers = parseExtensionOffers(header);
        expect(Array.isArray(offers)).toBe(true);
      }),
    );
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...'permessage-deflate;,="\\ \tx10'.split('')), { maxLength: 60 }), (chars) => {
        for (const offer of parseExtensionOffers(chars.join(''))) {
          expect(offer.name).toMatch(/^[!#$%&'*+\-.^_`|~0-9a-z]+$/);
          for (const [, value] of offer.params) if (value !== true) expect(value).toMatch(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/);
        }
      }),
    );
  });
});
