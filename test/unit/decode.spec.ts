import { decodeClientMessage, type DecodeResult, type ProtocolViolation } from '../../src/protocol/decode.js';
import { MessageType } from '../../src/protocol/message-type.js';
import type { ClientMessage, PublishMessage } from '../../src/protocol/messages.js';

/** Decodes a frame given as a JS value (JSON-encoded first). */
const decodeValue = (value: unknown): DecodeResult => decodeClientMessage(JSON.stringify(value));

function expectMessage(result: DecodeResult): ClientMessage {
  if (!result.ok) throw new Error(`expected a message, got violation ${JSON.stringify(result.violation)}`);
  return result.message;
}

function expectViolation(result: DecodeResult): ProtocolViolation {
  if (result.ok) throw new Error(`expected a violation, got message ${JSON.stringify(result.message)}`);
  return result.violation;
}

function expectPublish(result: DecodeResult): PublishMessage {
  const message = expectMessage(result);
  if (message.type !== MessageType.Publish) throw new Error(`expected PUBLISH, got type ${message.type}`);
  return message;
}

describe('decodeClientMessage', () => {
  describe('frames that are not JSON', () => {
    it.each([
      ['empty string', ''],
      ['whitespace', '   '],
      ['truncated array', '[5, "http://x/t"'],
      ['single quotes', "[5, 'http://x/t']"],
      ['trailing comma', '[5, "http://x/t",]'],
      ['bare word', 'hello'],
      ['undefined literal', 'undefined'],
      ['NaN literal', '[2, "id", "uri", NaN]'],
      ['comment', '[5, "t"] // x'],
    ])('%s → 1007 (invalid payload)', (_name, text) => {
      const violation = expectViolation(decodeClientMessage(text));
      expect(violation.kind).toBe('invalid-json');
      expect(violation.callId).toBeUndefined();
      expect(typeof violation.reason).toBe('string');
      expect(violation.reason.length).toBeGreaterThan(0);
    });
  });

  describe('JSON that is not a non-empty array', () => {
    it.each([
      ['null', 'null'],
      ['number', '2'],
      ['true', 'true'],
      ['false', 'false'],
      ['string', '"[5, \\"t\\"]"'],
      ['object', '{"type": 5, "topic": "t"}'],
      ['array-like object (gets through in Ratchet, not here)', '{"0": 5, "1": "http://x/t"}'],
      ['empty array', '[]'],
      ['empty array with whitespace', ' [ ] '],
    ])('%s → 1002 (protocol error)', (_name, text) => {
      const violation = expectViolation(decodeClientMessage(text));
      expect(violation.kind).toBe('malformed');
      expect(violation).not.toHaveProperty('callId');
    });
  });

  describe('message types a client may not send', () => {
    it.each([
      ['WELCOME', [0, 'sid', 1, 'server/1.0']],
      ['CALLRESULT', [3, 'callid', 'result']],
      ['CALLERROR', [4, 'callid', 'http://x/error', 'desc']],
      ['CALLERROR with details', [4, 'callid', 'http://x/error', 'desc', { a: 1 }]],
      ['EVENT', [8, 'http://x/t', 'event']],
    ])('server-only %s → 1002 naming the type', (_name, frame) => {
      const violation = expectViolation(decodeValue(frame));
      expect(violation.kind).toBe('malformed');
      expect(violation.reason).toContain(String(frame[0]));
      expect(violation).not.toHaveProperty('callId');
    });

    it.each<[string, unknown[]]>([
      ['9', [9, 'x']],
      ['-1', [-1, 'x']],
      ['100', [100]],
      ['2.5', [2.5, 'id', 'uri']],
      ['"2" (a string, which PHP would accept)', ['2', 'id', 'uri']],
      ['"5"', ['5', 'http://x/t']],
      ['null', [null, 'x']],
      ['true', [true, 'x']],
      ['a nested array', [[2], 'id', 'uri']],
      ['an object', [{}, 'x']],
    ])('unknown type %s → 1002', (_name, frame) => {
      const violation = expectViolation(decodeValue(frame));
      expect(violation.kind).toBe('malformed');
      expect(violation).not.toHaveProperty('callId');
    });

    it('a lone type id with nothing else is refused for every type', () => {
      for (let type = 0; type <= 9; type++) {
        const violation = expectViolation(decodeValue([type]));
        expect(violation.kind).toBe('malformed');
        expect(violation).not.toHaveProperty('callId');
      }
    });

    it('accepts 1.0 as the number 1 (JSON has one number type)', () => {
      expect(expectMessage(decodeClientMessage('[1.0, "p", "http://x#"]'))).toStrictEqual({
        type: MessageType.Prefix,
        prefix: 'p',
        uri: 'http://x#',
      });
    });
  });

  describe('PREFIX [1, prefix, uri]', () => {
    it('decodes a well-formed PREFIX', () => {
      expect(expectMessage(decodeValue([1, 'calc', 'http://example.com/simple/calc#']))).toStrictEqual({
        type: MessageType.Prefix,
        prefix: 'calc',
        uri: 'http://example.com/simple/calc#',
      });
    });

    it('accepts empty strings (they are strings)', () => {
      expect(expectMessage(decodeValue([1, '', '']))).toStrictEqual({ type: MessageType.Prefix, prefix: '', uri: '' });
    });

    it.each<[string, unknown[]]>([
      ['too short [1]', [1]],
      ['too short [1, p]', [1, 'p']],
      ['too long', [1, 'p', 'http://x#', 'extra']],
      ['numeric prefix', [1, 5, 'http://x#']],
      ['null prefix', [1, null, 'http://x#']],
      ['list prefix', [1, ['p'], 'http://x#']],
      ['object prefix', [1, { p: 1 }, 'http://x#']],
      ['numeric uri', [1, 'p', 5]],
      ['null uri', [1, 'p', null]],
      ['boolean uri', [1, 'p', true]],
      ['object uri', [1, 'p', {}]],
    ])('%s → 1002', (_name, frame) => {
      const violation = expectViolation(decodeValue(frame));
      expect(violation.kind).toBe('malformed');
      expect(violation).not.toHaveProperty('callId');
    });
  });

  describe('CALL [2, callId, procUri, ...args]', () => {
    it('decodes a CALL without arguments', () => {
      expect(expectMessage(decodeValue([2, '0.4fzyo82mvyr', 'http://example.com/api#add']))).toStrictEqual({
        type: MessageType.Call,
        callId: '0.4fzyo82mvyr',
        uri: 'http://example.com/api#add',
        args: [],
      });
    });

    it('keeps every argument, in order, as sent', () => {
      const args = [1, 'two', null, [3, 4], { five: 5 }, true, false, 0, ''];
      expect(expectMessage(decodeValue([2, 'id', 'calc:add', ...args]))).toStrictEqual({
        type: MessageType.Call,
        callId: 'id',
        uri: 'calc:add',
        args,
      });
    });

    it('keeps null arguments (AutobahnJS sends undefined as null)', () => {
      const message = expectMessage(decodeClientMessage('[2,"id","http://api.wamp.ws/procedure#authreq",null,null]'));
      expect(message).toStrictEqual({
        type: MessageType.Call,
        callId: 'id',
        uri: 'http://api.wamp.ws/procedure#authreq',
        args: [null, null],
      });
    });

    it('does not unwrap a single list argument (unlike Ratchet)', () => {
      const message = expectMessage(decodeValue([2, 'id', 'http://x#p', ['a', 'b']]));
      expect(message).toMatchObject({ type: MessageType.Call, args: [['a', 'b']] });
    });

    it('accepts an empty call id and an empty URI (they are strings)', () => {
      expect(expectMessage(decodeValue([2, '', '']))).toStrictEqual({
        type: MessageType.Call,
        callId: '',
        uri: '',
        args: [],
      });
    });

    it.each<[string, unknown[]]>([
      ['no call id', [2]],
      ['numeric call id (Ratchet accepts it)', [2, 42, 'http://x#p']],
      ['null call id', [2, null, 'http://x#p']],
      ['boolean call id', [2, true, 'http://x#p']],
      ['list call id', [2, ['id'], 'http://x#p']],
      ['object call id', [2, { id: 'x' }, 'http://x#p']],
      ['numeric call id and numeric uri', [2, 1, 2]],
    ])('%s → 1002 without a call id', (_name, frame) => {
      const violation = expectViolation(decodeValue(frame));
      expect(violation.kind).toBe('malformed');
      expect(violation).not.toHaveProperty('callId');
    });

    it.each<[string, unknown[]]>([
      ['missing uri', [2, 'call-1']],
      ['numeric uri', [2, 'call-1', 5]],
      ['null uri', [2, 'call-1', null]],
      ['boolean uri', [2, 'call-1', false]],
      ['list uri', [2, 'call-1', ['http://x#p']]],
      ['object uri', [2, 'call-1', { uri: 'http://x#p' }]],
      ['numeric uri followed by args', [2, 'call-1', 7, 'a', 'b']],
    ])('string call id with %s → violation that carries the call id', (_name, frame) => {
      const violation = expectViolation(decodeValue(frame));
      expect(violation.callId).toBe('call-1');
      expect(violation.kind).toBe('malformed');
      expect(violation.reason.length).toBeGreaterThan(0);
    });

    it('the call id in a violation is the exact string sent, including odd characters', () => {
      const callId = 'a"b\\c\u0000\u00e9\ud83d\ude00';
      expect(expectViolation(decodeValue([2, callId, 1])).callId).toBe(callId);
    });
  });

  describe.each([
    ['SUBSCRIBE', MessageType.Subscribe],
    ['UNSUBSCRIBE', MessageType.Unsubscribe],
  ] as const)('%s [type, topic]', (name, type) => {
    it('decodes a well-formed frame', () => {
      expect(expectMessage(decodeValue([type, 'http://example.com/simple']))).toStrictEqual({
        type,
        topic: 'http://example.com/simple',
      });
    });

    it("keeps a CURIE as sent (resolution is the router's job)", () => {
      expect(expectMessage(decodeValue([type, 'event:simple']))).toStrictEqual({ type, topic: 'event:simple' });
    });

    it.each<[string, unknown[]]>([
      ['no topic', [type]],
      ['too long', [type, 'http://x/t', 'extra']],
      ['numeric topic', [type, 5]],
      ['null topic', [type, null]],
      ['boolean topic', [type, true]],
      ['list topic', [type, ['http://x/t']]],
      ['object topic', [type, { topic: 'http://x/t' }]],
    ])('%s → 1002', (_name, frame) => {
      const violation = expectViolation(decodeValue(frame));
      expect(violation.kind).toBe('malformed');
      expect(violation).not.toHaveProperty('callId');
      expect(violation.reason).toContain(name);
    });
  });

  describe('PUBLISH [7, topic, event, (excludeMe | exclude)?, eligible?]', () => {
    it('decodes the 3-element form with no filter fields at all', () => {
      const message = expectPublish(decodeValue([7, 'http://x/t', { a: 1 }]));
      expect(message).toStrictEqual({ type: MessageType.Publish, topic: 'http://x/t', event: { a: 1 } });
      expect(message).not.toHaveProperty('excludeMe');
      expect(message).not.toHaveProperty('exclude');
      expect(message).not.toHaveProperty('eligible');
    });

    it.each<[string, unknown]>([
      ['null', null],
      ['a number', 0],
      ['a string', 'hello'],
      ['an empty string', ''],
      ['false', false],
      ['a list', [1, 2]],
      ['an object', { nested: { deep: [null] } }],
    ])('keeps an event that is %s as is', (_name, event) => {
      expect(expectPublish(decodeValue([7, 'http://x/t', event])).event).toStrictEqual(event);
    });

    it.each<[string, unknown, boolean]>([
      ['true', true, true],
      ['false', false, false],
    ])('4th element %s → excludeMe', (_name, excludeArg, excludeMe) => {
      const message = expectPublish(decodeValue([7, 'http://x/t', 'e', excludeArg]));
      expect(message).toStrictEqual({ type: MessageType.Publish, topic: 'http://x/t', event: 'e', excludeMe });
      expect(message).not.toHaveProperty('exclude');
    });

    it.each<[string, unknown]>([
      ['null (what the AutobahnPython client sends)', null],
      ['a number', 1],
      ['zero', 0],
      ['a truthy string', 'true'],
      ['an empty string', ''],
      ['an object', { excludeMe: true }],
    ])('4th element %s is ignored: neither excludeMe nor exclude', (_name, excludeArg) => {
      const message = expectPublish(decodeValue([7, 'http://x/t', 'e', excludeArg]));
      expect(message).toStrictEqual({ type: MessageType.Publish, topic: 'http://x/t', event: 'e' });
      expect(message).not.toHaveProperty('excludeMe');
      expect(message).not.toHaveProperty('exclude');
    });

    it.each<[string, unknown[], string[]]>([
      ['empty list', [], []],
      ['list of ids', ['sidA', 'sidB'], ['sidA', 'sidB']],
      ['list with non-strings (dropped)', ['sidA', 1, null, true, ['sidB'], { id: 'sidC' }, 'sidD'], ['sidA', 'sidD']],
      ['list with only non-strings', [1, 2, null], []],
      ['list with duplicates (kept)', ['sidA', 'sidA'], ['sidA', 'sidA']],
      ['list with an empty string', [''], ['']],
    ])('4th element %s → exclude list', (_name, excludeArg, exclude) => {
      const message = expectPublish(decodeValue([7, 'http://x/t', 'e', excludeArg]));
      expect(message).toStrictEqual({ type: MessageType.Publish, topic: 'http://x/t', event: 'e', exclude });
      expect(message).not.toHaveProperty('excludeMe');
      expect(message).not.toHaveProperty('eligible');
    });

    it.each<[string, unknown[], string[]]>([
      ['empty list', [], []],
      ['list of ids', ['sidA', 'sidB'], ['sidA', 'sidB']],
      ['list with non-strings (dropped)', [0, 'sidA', null, 'sidB', false], ['sidA', 'sidB']],
      ['list with only non-strings', [{}, []], []],
    ])('5th element %s → eligible list', (_name, eligibleArg, eligible) => {
      const message = expectPublish(decodeValue([7, 'http://x/t', 'e', [], eligibleArg]));
      expect(message).toStrictEqual({
        type: MessageType.Publish,
        topic: 'http://x/t',
        event: 'e',
        exclude: [],
        eligible,
      });
    });

    it.each<[string, unknown]>([
      ['null', null],
      ['a string', 'sidA'],
      ['a number', 5],
      ['a boolean', true],
      ['an object', { 0: 'sidA' }],
    ])('5th element %s is ignored: no eligible list', (_name, eligibleArg) => {
      const message = expectPublish(decodeValue([7, 'http://x/t', 'e', ['sidA'], eligibleArg]));
      expect(message).toStrictEqual({ type: MessageType.Publish, topic: 'http://x/t', event: 'e', exclude: ['sidA'] });
      expect(message).not.toHaveProperty('eligible');
    });

    it.each<[string, unknown[], Partial<PublishMessage>]>([
      ['[true, [..]] (clj-wamp test shape)', [true, ['sidA', 'sidB']], { excludeMe: true, eligible: ['sidA', 'sidB'] }],
      ['[false, [..]]', [false, ['sidB']], { excludeMe: false, eligible: ['sidB'] }],
      ['[null, [..]]', [null, ['sidB']], { eligible: ['sidB'] }],
      ['[[..], [..]]', [['sidA'], ['sidA', 'sidB']], { exclude: ['sidA'], eligible: ['sidA', 'sidB'] }],
      ['[[], []]', [[], []], { exclude: [], eligible: [] }],
      ['["x", null]', ['x', null], {}],
    ])('combined 4th and 5th elements %s', (_name, tail, fields) => {
      const message = expectPublish(decodeValue([7, 'http://x/t', 'e', ...tail]));
      expect(message).toStrictEqual({ type: MessageType.Publish, topic: 'http://x/t', event: 'e', ...fields });
    });

    it('copies the lists: the decoded lists contain only strings', () => {
      const message = expectPublish(decodeValue([7, 't', 'e', ['a', 1], [2, 'b']]));
      expect(message.exclude?.every((id) => typeof id === 'string')).toBe(true);
      expect(message.eligible?.every((id) => typeof id === 'string')).toBe(true);
    });

    it.each<[string, unknown[]]>([
      ['[7]', [7]],
      ['no event [7, t]', [7, 'http://x/t']],
      ['too long (6 elements)', [7, 'http://x/t', 'e', [], [], 'extra']],
      ['numeric topic', [7, 5, 'e']],
      ['null topic', [7, null, 'e']],
      ['list topic', [7, ['http://x/t'], 'e']],
      ['object topic', [7, { t: 1 }, 'e']],
      ['numeric topic with lists', [7, 5, 'e', [], []]],
    ])('%s → 1002', (_name, frame) => {
      const violation = expectViolation(decodeValue(frame));
      expect(violation.kind).toBe('malformed');
      expect(violation).not.toHaveProperty('callId');
    });
  });

  describe('hostile strings are ordinary values', () => {
    const hostile = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__'];

    it.each(hostile)('%s as a PREFIX prefix and uri', (value) => {
      expect(expectMessage(decodeValue([1, value, value]))).toStrictEqual({
        type: MessageType.Prefix,
        prefix: value,
        uri: value,
      });
    });

    it.each(hostile)('%s as a CALL call id and uri', (value) => {
      expect(expectMessage(decodeValue([2, value, value, value]))).toStrictEqual({
        type: MessageType.Call,
        callId: value,
        uri: value,
        args: [value],
      });
    });

    it.each(hostile)('%s as a call id in a violation', (value) => {
      expect(expectViolation(decodeValue([2, value, 1])).callId).toBe(value);
    });

    it.each(hostile)('%s as a SUBSCRIBE / UNSUBSCRIBE / PUBLISH topic', (value) => {
      expect(expectMessage(decodeValue([5, value]))).toStrictEqual({ type: MessageType.Subscribe, topic: value });
      expect(expectMessage(decodeValue([6, value]))).toStrictEqual({ type: MessageType.Unsubscribe, topic: value });
      expect(expectMessage(decodeValue([7, value, value, [value], [value]]))).toStrictEqual({
        type: MessageType.Publish,
        topic: value,
        event: value,
        exclude: [value],
        eligible: [value],
      });
    });

    it('an event object with a "__proto__" key keeps it as an own property and pollutes nothing', () => {
      const message = expectPublish(decodeClientMessage('[7,"http://x/t",{"__proto__":{"polluted":true},"a":1}]'));
      const event = message.event as Record<string, unknown>;
      expect(Object.prototype.hasOwnProperty.call(event, '__proto__')).toBe(true);
      expect(Object.getPrototypeOf(event)).toBe(Object.prototype);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('a "__proto__" key in CALL args pollutes nothing', () => {
      const message = expectMessage(decodeClientMessage('[2,"id","http://x#p",{"__proto__":{"polluted":true}}]'));
      expect(message.type).toBe(MessageType.Call);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  });

  it('never throws, whatever the text', () => {
    const texts = ['', '[', ']', '{', '[[[[', '\u0000', '\ud800', '[2,"id"', '"', '[7,"t",1,2,3,4,5]', 'x'.repeat(1000)];
    for (const text of texts) {
      expect(() => decodeClientMessage(text)).not.toThrow();
      expect(decodeClientMessage(text).ok).toBe(false);
    }
  });
});
