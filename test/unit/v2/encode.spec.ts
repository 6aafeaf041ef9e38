import { decodeMessage } from '../../../src/protocol/v2/decode.js';
import {
  encodeAbort,
  encodeChallenge,
  encodeError,
  encodeEvent,
  encodeGoodbye,
  encodeInvocation,
  encodePublished,
  encodeRegistered,
  encodeResult,
  encodeSubscribed,
  encodeUnregistered,
  encodeUnsubscribed,
  encodeWelcome,
} from '../../../src/protocol/v2/encode.js';
import { MessageCode } from '../../../src/protocol/v2/message-code.js';
import type { WampMessage } from '../../../src/protocol/v2/messages.js';
import { encodePayload } from '../../../src/protocol/v2/payload.js';
import { PreparedEvent } from '../../../src/protocol/v2/prepared-event.js';
import { WAMPCRA, wampCraChallengeExtra } from '../../../src/protocol/v2/wampcra.js';
import { expectMessage } from './expect-result.js';
import { toWire } from './wire.js';

const MAX = 2 ** 53;

/** The encoder's text is the plain JSON of the spec's wire form, and decodes back to the message. */
function expectRoundTrip(text: string, message: WampMessage): void {
  expect(text).toBe(JSON.stringify(toWire(message)));
  expect(expectMessage(decodeMessage(text))).toEqual(message);
}

describe('router encoders (wamp.2.json)', () => {
  it('WELCOME with roles and authentication details', () => {
    const details = {
      roles: { broker: { features: { publisher_exclusion: true } }, dealer: {} },
      authid: 'guest',
      authrole: 'user',
      authmethod: 'wampcra',
      authprovider: 'nest-wamp',
      agent: 'nest-wamp',
    };
    expectRoundTrip(encodeWelcome(MAX, details), { type: MessageCode.Welcome, session: MAX, details });
  });

  it('ABORT, with and without payload', () => {
    expectRoundTrip(encodeAbort({ message: 'The realm does not exist.' }, 'wamp.error.no_such_realm'), {
      type: MessageCode.Abort,
      details: { message: 'The realm does not exist.' },
      reason: 'wamp.error.no_such_realm',
    });
    expectRoundTrip(encodeAbort({}, 'wamp.error.protocol_violation', ['second HELLO']), {
      type: MessageCode.Abort,
      details: {},
      reason: 'wamp.error.protocol_violation',
      args: ['second HELLO'],
    });
  });

  it('CHALLENGE for WAMP-CRA, salted or not', () => {
    const fields = {
      authid: 'peter',
      authrole: 'user',
      authprovider: 'userdb',
      nonce: 'LHRTC9zeOIrt_9U3',
      timestamp: '2014-06-22T16:36:25.448Z',
      session: 3251278072152162,
    };
    const plain = wampCraChallengeExtra(fields);
    expect(Object.keys(plain)).toEqual(['challenge']);
    expect(JSON.parse(plain.challenge)).toEqual({ ...fields, authmethod: 'wampcra' });
    expectRoundTrip(encodeChallenge(WAMPCRA, plain), { type: MessageCode.Challenge, authMethod: 'wampcra', extra: plain });
    const salted = wampCraChallengeExtra(fields, { salt: 'salt123', keylen: 32, iterations: 1000 });
    expect(salted).toEqual({ challenge: plain.challenge, salt: 'salt123', keylen: 32, iterations: 1000 });
    expectRoundTrip(encodeChallenge(WAMPCRA, salted), { type: MessageCode.Challenge, authMethod: 'wampcra', extra: salted });
  });

  it('GOODBYE', () => {
    expectRoundTrip(encodeGoodbye({}, 'wamp.close.goodbye_and_out'), {
      type: MessageCode.Goodbye,
      details: {},
      reason: 'wamp.close.goodbye_and_out',
    });
  });

  it('ERROR for each request a router answers', () => {
    for (const requestType of [
      MessageCode.Subscribe,
      MessageCode.Unsubscribe,
      MessageCode.Publish,
      MessageCode.Register,
      MessageCode.Unregister,
      MessageCode.Call,
    ] as const) {
      expectRoundTrip(encodeError(requestType, 7, {}, 'wamp.error.not_authorized'), {
        type: MessageCode.Error,
        requestType,
        request: 7,
        details: {},
        error: 'wamp.error.not_authorized',
      });
    }
    expectRoundTrip(encodeError(MessageCode.Call, 7, {}, 'sample.error.calc', ['division by zero'], { a: 1, b: 0 }), {
      type: MessageCode.Error,
      requestType: MessageCode.Call,
      request: 7,
      details: {},
      error: 'sample.error.calc',
      args: ['division by zero'],
      kwargs: { a: 1, b: 0 },
    });
  });

  it('PUBLISHED, SUBSCRIBED, UNSUBSCRIBED, REGISTERED, UNREGISTERED', () => {
    expectRoundTrip(encodePublished(1, MAX), { type: MessageCode.Published, request: 1, publication: MAX });
    expectRoundTrip(encodeSubscribed(2, 3), { type: MessageCode.Subscribed, request: 2, subscription: 3 });
    expectRoundTrip(encodeUnsubscribed(4), { type: MessageCode.Unsubscribed, request: 4 });
    expectRoundTrip(encodeRegistered(5, 6), { type: MessageCode.Registered, request: 5, registration: 6 });
    expectRoundTrip(encodeUnregistered(7), { type: MessageCode.Unregistered, request: 7 });
  });

  it('EVENT, RESULT and INVOCATION with each payload form', () => {
    expectRoundTrip(encodeEvent(1, 2, {}, ['Hello, world!']), {
      type: MessageCode.Event,
      subscription: 1,
      publication: 2,
      details: {},
      args: ['Hello, world!'],
    });
    expectRoundTrip(encodeEvent(1, 2, { topic: 'sample.event.feed.a' }), {
      type: MessageCode.Event,
      subscription: 1,
      publication: 2,
      details: { topic: 'sample.event.feed.a' },
    });
    expectRoundTrip(encodeResult(9, {}, [], { userid: 123, karma: 10 }), {
      type: MessageCode.Result,
      request: 9,
      details: {},
      args: [],
      kwargs: { userid: 123, karma: 10 },
    });
    expectRoundTrip(encodeResult(9, {}, [30]), { type: MessageCode.Result, request: 9, details: {}, args: [30] });
    expectRoundTrip(encodeInvocation(3, 4, { caller: 5 }, ['johnny'], { firstname: 'John' }), {
      type: MessageCode.Invocation,
      request: 3,
      registration: 4,
      details: { caller: 5 },
      args: ['johnny'],
      kwargs: { firstname: 'John' },
    });
  });

  describe('empty Arguments and ArgumentsKw are left out, as the spec asks', () => {
    it.each([
      [undefined, undefined, ''],
      [[], undefined, ''],
      [[], {}, ''],
      [undefined, {}, ''],
      [[1], undefined, ',[1]'],
      [[1], {}, ',[1]'],
      [[], { a: 1 }, ',[],{"a":1}'],
      [undefined, { a: 1 }, ',[],{"a":1}'],
      [[null], { a: 1 }, ',[null],{"a":1}'],
    ])('args %j, kwargs %j → %j', (args, kwargs, tail) => {
      expect(encodePayload(args, kwargs)).toBe(tail);
    });

    it('in the messages', () => {
      expect(encodeResult(1, {}, [])).toBe('[50,1,{}]');
      expect(encodeResult(1, {}, [], {})).toBe('[50,1,{}]');
      expect(encodeEvent(1, 2, {}, undefined, { a: 1 })).toBe('[36,1,2,{},[],{"a":1}]');
      expect(encodeError(MessageCode.Call, 1, {}, 'a.b', [], {})).toBe('[8,48,1,{},"a.b"]');
      expect(encodeAbort({}, 'a.b', [])).toBe('[3,{},"a.b"]');
    });

    it('undefined inside the payload becomes null; a payload JSON cannot carry throws', () => {
      expect(encodeResult(1, {}, [undefined])).toBe('[50,1,{},[null]]');
      expect(() => encodeResult(1, {}, [1n])).toThrow(TypeError);
      const cycle: Record<string, unknown> = {};
      cycle.self = cycle;
      expect(() => encodeEvent(1, 2, {}, [], cycle)).toThrow(TypeError);
    });
  });

  describe('PreparedEvent: one publication encoded once for many subscriptions', () => {
    it('equals a plain JSON.stringify of the whole EVENT for each subscription and details', () => {
      const args = ['hi', { nested: [1, 2, 3] }, null];
      const kwargs = { from: 'server', 'quote"d': 'é\n' };
      for (const [a, k] of [
        [undefined, undefined],
        [[], {}],
        [args, undefined],
        [[], kwargs],
        [args, kwargs],
      ] as const) {
        const event = new PreparedEvent(MAX, a, k);
        for (const subscription of [1, 42, MAX]) {
          for (const details of [undefined, {}, { topic: 'sample.event.feed.x' }]) {
            const text = event.forSubscription(subscription, details);
            expect(text).toBe(encodeEvent(subscription, MAX, details ?? {}, a, k));
            const payload = k !== undefined && Object.keys(k).length > 0 ? [a ?? [], k] : a !== undefined && a.length > 0 ? [a] : [];
            expect(text).toBe(JSON.stringify([36, subscription, MAX, details ?? {}, ...payload]));
          }
        }
      }
    });

    it('serializes the payload once, when prepared', () => {
      let serialized = 0;
      const payload = { toJSON: () => (serialized++, 'payload') };
      const event = new PreparedEvent(1, [payload]);
      for (let subscription = 1; subscription <= 100; subscription++) event.forSubscription(subscription);
      expect(serialized).toBe(1);
      expect(event.forSubscription(5)).toBe('[36,5,1,{},["payload"]]');
      expect(event.publication).toBe(1);
    });

    it('throws when prepared with a payload JSON cannot carry', () => {
      expect(() => new PreparedEvent(1, [1n])).toThrow(TypeError);
    });
  });
});
