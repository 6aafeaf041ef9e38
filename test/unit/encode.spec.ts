import { decodeClientMessage } from '../../src/protocol/decode.js';
import { encodeCallError, encodeCallResult, encodeEvent, encodeWelcome, serializedOnce } from '../../src/protocol/encode.js';

const cyclic = (): unknown => {
  const value: Record<string, unknown> = { a: 1 };
  value.self = value;
  return value;
};

describe('encodeWelcome', () => {
  it('is [0, sessionId, 1, serverIdent]', () => {
    expect(encodeWelcome('v59mbCGDXZ7WTyxB', 'nest-wamp/0.1.0')).toBe('[0,"v59mbCGDXZ7WTyxB",1,"nest-wamp/0.1.0"]');
  });

  it('carries the protocol version as the integer 1', () => {
    const frame = JSON.parse(encodeWelcome('sid', 'ident')) as unknown[];
    expect(frame).toStrictEqual([0, 'sid', 1, 'ident']);
    expect(Number.isInteger(frame[2])).toBe(true);
  });

  it('escapes strings', () => {
    const ident = 'srv "quoted" \\ \n \u2028 é';
    expect(JSON.parse(encodeWelcome('a"b', ident))).toStrictEqual([0, 'a"b', 1, ident]);
  });

  it('is not something a client may send back', () => {
    expect(decodeClientMessage(encodeWelcome('sid', 'ident')).ok).toBe(false);
  });
});

describe('encodeCallResult', () => {
  it.each<[string, unknown, string]>([
    ['a number', 5, '[3,"id",5]'],
    ['zero', 0, '[3,"id",0]'],
    ['a string', 'x', '[3,"id","x"]'],
    ['an empty string', '', '[3,"id",""]'],
    ['true', true, '[3,"id",true]'],
    ['false', false, '[3,"id",false]'],
    ['null', null, '[3,"id",null]'],
    ['undefined (a procedure that returns nothing)', undefined, '[3,"id",null]'],
    ['a function', () => 1, '[3,"id",null]'],
    ['a symbol', Symbol('s'), '[3,"id",null]'],
    ['a value whose toJSON gives undefined', { toJSON: () => undefined }, '[3,"id",null]'],
    ['an empty list', [], '[3,"id",[]]'],
    ['a list with undefined (→ null, as JSON does)', [1, undefined], '[3,"id",[1,null]]'],
    ['an object (undefined properties dropped)', { a: 1, b: undefined, c: [null] }, '[3,"id",{"a":1,"c":[null]}]'],
    ['a Date', new Date(Date.UTC(2014, 7, 23, 16, 50, 1, 123)), '[3,"id","2014-08-23T16:50:01.123Z"]'],
    ['NaN (→ null, as JSON does)', Number.NaN, '[3,"id",null]'],
  ])('result %s', (_name, result, frame) => {
    expect(encodeCallResult('id', result)).toBe(frame);
  });

  it('always has three elements, the result included', () => {
    const frame = JSON.parse(encodeCallResult('0.4fzyo82mvyr', undefined)) as unknown[];
    expect(frame).toHaveLength(3);
    expect(frame).toStrictEqual([3, '0.4fzyo82mvyr', null]);
  });

  it('echoes the call id unchanged, escaped', () => {
    const callId = 'a"b\\c\n\u0000';
    expect(JSON.parse(encodeCallResult(callId, 1))).toStrictEqual([3, callId, 1]);
  });

  it.each<[string, () => unknown]>([
    ['a BigInt', () => 10n],
    ['a BigInt inside an object', () => ({ n: 10n })],
    ['a cyclic object', cyclic],
  ])('throws for %s', (_name, make) => {
    expect(() => encodeCallResult('id', make())).toThrow(TypeError);
  });
});

describe('encodeCallError', () => {
  const uri = 'http://api.wamp.ws/error#generic';

  it('without details is [4, callId, uri, desc]', () => {
    expect(encodeCallError('id', uri, 'generic error')).toBe(`[4,"id","${uri}","generic error"]`);
  });

  it('keeps an empty description', () => {
    expect(JSON.parse(encodeCallError('id', uri, ''))).toStrictEqual([4, 'id', uri, '']);
  });

  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['null (the spec forbids a null errorDetails)', null],
  ])('leaves details out when they are %s', (_name, details) => {
    const frame = JSON.parse(encodeCallError('id', uri, 'desc', details)) as unknown[];
    expect(frame).toStrictEqual([4, 'id', uri, 'desc']);
    expect(frame).toHaveLength(4);
  });

  it.each<[string, unknown, string]>([
    ['a string', 'java.lang.String cannot be cast to java.lang.Number', '"java.lang.String cannot be cast to java.lang.Number"'],
    ['an empty string', '', '""'],
    ['zero', 0, '0'],
    ['false', false, 'false'],
    ['a list', ['a must be a number', 'b is required'], '["a must be a number","b is required"]'],
    ['an empty list', [], '[]'],
    ['an object', { field: 'x', errors: [1] }, '{"field":"x","errors":[1]}'],
    ['a function (→ null, as for results)', () => 1, 'null'],
  ])('with details %s is [4, callId, uri, desc, details]', (_name, details, json) => {
    expect(encodeCallError('id', uri, 'desc', details)).toBe(`[4,"id","${uri}","desc",${json}]`);
  });

  it('escapes every string field', () => {
    const [callId, errorUri, desc, details] = ['c"1', 'http://x/e#"q"', 'line\nbreak "x"', 'd\\e'];
    expect(JSON.parse(encodeCallError(callId, errorUri, desc, details))).toStrictEqual([4, callId, errorUri, desc, details]);
  });

  it.each<[string, () => unknown]>([
    ['a BigInt', () => 1n],
    ['a cyclic object', cyclic],
  ])('throws for details that are %s', (_name, make) => {
    expect(() => encodeCallError('id', uri, 'desc', make())).toThrow(TypeError);
  });
});

describe('encodeEvent', () => {
  it('is [8, topic, event]', () => {
    expect(encodeEvent('http://example.com/simple', { a: 1 })).toBe('[8,"http://example.com/simple",{"a":1}]');
  });

  it.each<[string, unknown, unknown]>([
    ['null', null, null],
    ['undefined (→ null: the event is always present)', undefined, null],
    ['zero', 0, 0],
    ['false', false, false],
    ['an empty string', '', ''],
    ['a list', [1, 'a', null], [1, 'a', null]],
    ['a nested object', { a: { b: [true] } }, { a: { b: [true] } }],
  ])('carries an event that is %s', (_name, event, decoded) => {
    const frame = JSON.parse(encodeEvent('http://x/t', event)) as unknown[];
    expect(frame).toHaveLength(3);
    expect(frame).toStrictEqual([8, 'http://x/t', decoded]);
  });

  it('escapes the topic', () => {
    const topic = 'http://x/t#"a"\\b';
    expect(JSON.parse(encodeEvent(topic, 1))).toStrictEqual([8, topic, 1]);
  });

  it.each<[string, () => unknown]>([
    ['a BigInt', () => 2n],
    ['a list holding a BigInt', () => [1, 2n]],
    ['a cyclic object', cyclic],
  ])('throws for %s', (_name, make) => {
    expect(() => encodeEvent('http://x/t', make())).toThrow(TypeError);
  });
});

describe('every encoded frame is valid JSON', () => {
  it.each([
    ['WELCOME', encodeWelcome('s', 'i')],
    ['CALLRESULT', encodeCallResult('c', { x: [1, 2] })],
    ['CALLERROR', encodeCallError('c', 'u', 'd')],
    ['CALLERROR with details', encodeCallError('c', 'u', 'd', { x: 1 })],
    ['EVENT', encodeEvent('t', 'e')],
  ])('%s', (_name, frame) => {
    expect(() => JSON.parse(frame)).not.toThrow();
    expect(Array.isArray(JSON.parse(frame))).toBe(true);
  });
});

describe('serializedOnce', () => {
  /** A frozen value that counts how often JSON reads it. */
  function countingValue(): { value: object; reads: () => number } {
    let reads = 0;
    const value = Object.freeze({
      get rpc() {
        reads++;
        return { 'urn:a': true };
      },
    });
    return { value, reads: () => reads };
  }

  it('serializes the value once and sends that JSON as a result, an event and error details', () => {
    const { value, reads } = countingValue();
    expect(serializedOnce(value)).toBe(value);
    expect(reads()).toBe(1);
    expect(encodeCallResult('id', value)).toBe('[3,"id",{"rpc":{"urn:a":true}}]');
    expect(encodeEvent('urn:t', value)).toBe('[8,"urn:t",{"rpc":{"urn:a":true}}]');
    expect(encodeCallError('id', 'urn:e', 'd', value)).toBe('[4,"id","urn:e","d",{"rpc":{"urn:a":true}}]');
    expect(reads()).toBe(1);
  });

  it('leaves other values, equal ones included, to JSON.stringify each time', () => {
    const { value, reads } = countingValue();
    encodeCallResult('id', value);
    encodeCallResult('id', value);
    expect(reads()).toBe(2);
  });
});
