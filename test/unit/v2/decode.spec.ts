import { decodeMessage } from '../../../src/protocol/v2/decode.js';
import { ERROR_REQUEST_TYPES, MESSAGE_NAMES, MessageCode } from '../../../src/protocol/v2/message-code.js';
import { decodeValue, expectMessage, expectRequestError, expectViolation } from './expect-result.js';
import { toWire } from './wire.js';

const MAX = 2 ** 53;
const ROLES = { roles: { caller: {} } };

describe('decodeMessage (wamp.2.json)', () => {
  describe('the spec’s examples decode to typed messages, and back to the same wire form', () => {
    it.each([
      [
        'HELLO',
        [1, 'somerealm', { agent: 'AutobahnJS-0.9.14', roles: { subscriber: {}, publisher: {} } }],
        { type: 1, realm: 'somerealm' },
      ],
      ['WELCOME', [2, 9129137332, { agent: 'Crossbar.io-0.10.11', roles: { broker: {} } }], { type: 2, session: 9129137332 }],
      ['ABORT', [3, { message: 'The realm does not exist.' }, 'wamp.error.no_such_realm'], { type: 3, reason: 'wamp.error.no_such_realm' }],
      ['ABORT with Arguments', [3, {}, 'wamp.error.protocol_violation', ['bad']], { args: ['bad'] }],
      ['ABORT with ArgumentsKw', [3, {}, 'wamp.error.protocol_violation', [], { a: 1 }], { args: [], kwargs: { a: 1 } }],
      [
        'CHALLENGE',
        [4, 'wampcra', { challenge: '{"nonce":"x"}', salt: 'salt123', keylen: 32, iterations: 1000 }],
        { authMethod: 'wampcra' },
      ],
      [
        'AUTHENTICATE',
        [5, 'gir1mSx+deCDUV7wRM5SGIn/+R/ClqLZuH4m7FJeBVI=', {}],
        { signature: 'gir1mSx+deCDUV7wRM5SGIn/+R/ClqLZuH4m7FJeBVI=' },
      ],
      [
        'GOODBYE',
        [6, { message: 'The host is shutting down now.' }, 'wamp.close.system_shutdown'],
        { reason: 'wamp.close.system_shutdown' },
      ],
      [
        'ERROR',
        [8, 32, 713845233, {}, 'wamp.error.not_authorized'],
        { requestType: 32, request: 713845233, error: 'wamp.error.not_authorized' },
      ],
      [
        'ERROR with payload',
        [8, 68, 6131533, {}, 'com.myapp.error.object_write_protected', ['Object is write protected.'], { severity: 3 }],
        { args: ['Object is write protected.'], kwargs: { severity: 3 } },
      ],
      ['PUBLISH', [16, 239714735, {}, 'com.myapp.mytopic1'], { request: 239714735, topic: 'com.myapp.mytopic1' }],
      ['PUBLISH with Arguments', [16, 239714735, {}, 'com.myapp.mytopic1', ['Hello, world!']], { args: ['Hello, world!'] }],
      ['PUBLISH with ArgumentsKw', [16, 239714735, {}, 'com.myapp.mytopic1', [], { color: 'orange', sizes: [23, 42, 7] }], { args: [] }],
      ['PUBLISHED', [17, 239714735, 4429313566], { request: 239714735, publication: 4429313566 }],
      ['SUBSCRIBE', [32, 713845233, {}, 'com.myapp.mytopic1'], { request: 713845233, topic: 'com.myapp.mytopic1' }],
      ['SUBSCRIBED', [33, 713845233, 5512315355], { subscription: 5512315355 }],
      ['UNSUBSCRIBE', [34, 85346237, 5512315355], { request: 85346237, subscription: 5512315355 }],
      ['UNSUBSCRIBED', [35, 85346237], { request: 85346237 }],
      ['EVENT', [36, 5512315355, 4429313566, {}], { subscription: 5512315355, publication: 4429313566 }],
      ['EVENT with payload', [36, 5512315355, 4429313566, {}, [], { color: 'orange', sizes: [23, 42, 7] }], { args: [] }],
      ['CALL', [48, 7814135, {}, 'com.myapp.ping'], { request: 7814135, procedure: 'com.myapp.ping' }],
      [
        'CALL with payload',
        [48, 7814135, {}, 'com.myapp.user.new', ['johnny'], { firstname: 'John', surname: 'Doe' }],
        { args: ['johnny'] },
      ],
      ['CANCEL', [49, 7814135, { mode: 'kill' }], { request: 7814135, options: { mode: 'kill' } }],
      ['RESULT', [50, 7814135, {}, [30]], { request: 7814135, args: [30] }],
      ['REGISTER', [64, 25349185, {}, 'com.myapp.myprocedure1'], { procedure: 'com.myapp.myprocedure1' }],
      ['REGISTERED', [65, 25349185, 2103333224], { registration: 2103333224 }],
      ['UNREGISTER', [66, 788923562, 2103333224], { request: 788923562, registration: 2103333224 }],
      ['UNREGISTERED', [67, 788923562], { request: 788923562 }],
      ['INVOCATION', [68, 6131533, 9823529, {}, ['johnny'], { firstname: 'John', surname: 'Doe' }], { registration: 9823529 }],
      ['INTERRUPT', [69, 6131533, { mode: 'killnowait' }], { request: 6131533 }],
      ['YIELD', [70, 6131533, {}, [], { userid: 123, karma: 10 }], { request: 6131533, kwargs: { userid: 123, karma: 10 } }],
    ])('%s', (_name, frame, fields) => {
      const message = expectMessage(decodeValue(frame));
      expect(message.type).toBe(frame[0]);
      expect(message).toMatchObject(fields);
      expect(toWire(message)).toEqual(frame);
    });

    it('covers every message code', () => {
      expect(Object.values(MessageCode).sort((a, b) => a - b)).toEqual([
        1, 2, 3, 4, 5, 6, 8, 16, 17, 32, 33, 34, 35, 36, 48, 49, 50, 64, 65, 66, 67, 68, 69, 70,
      ]);
    });

    it('keeps the decoded dicts as they came, unknown attributes included', () => {
      const details = {
        roles: { callee: { features: { call_canceling: true } } },
        authmethods: ['wampcra', 'anonymous'],
        authid: 'guest',
        x_custom: 1,
      };
      const message = expectMessage(decodeValue([1, 'sample', details]));
      expect(message).toEqual({ type: MessageCode.Hello, realm: 'sample', details });
    });

    it('leaves out Arguments and ArgumentsKw the message did not carry', () => {
      const message = expectMessage(decodeValue([48, 1, {}, 'a.b']));
      expect(Object.keys(message)).toEqual(['type', 'request', 'options', 'procedure']);
    });
  });

  describe('text that is not JSON', () => {
    it.each(['', 'hello', '[48, 1, {}, "a.b"', "[48, 1, {}, 'a.b']", '[48, 1, {}, "a.b",]', '[48, 1, {}, "a.b", [NaN]]'])(
      '%j → invalid-json',
      (text) => {
        expect(expectViolation(decodeMessage(text))).toEqual({
          category: 'invalid-json',
          reason: 'invalid JSON',
          abortReason: 'wamp.error.protocol_violation',
        });
      },
    );
  });

  describe('the message shape', () => {
    it.each([
      ['null', null],
      ['an object', { 0: 1 }],
      ['a number', 1],
      ['a string', 'HELLO'],
      ['an empty list', []],
    ])('%s is no message', (_name, frame) => {
      const violation = expectViolation(decodeValue(frame));
      expect(violation).toMatchObject({ category: 'malformed', abortReason: 'wamp.error.protocol_violation' });
      expect(violation.reason).toBe('a WAMP message is a non-empty list');
    });

    it.each([[0], [7], [9], [47], [71], [256], [1023], [-1], [1.5], ['1'], [null], [true], [[1]]])('type %j is unknown', (code) => {
      expect(expectViolation(decodeValue([code, 'realm', ROLES])).reason).toMatch(/^unknown message type/);
    });

    const shortest: Record<number, unknown[]> = {
      1: [1, 'r', ROLES],
      2: [2, 1, { roles: { broker: {} } }],
      3: [3, {}, 'a.b'],
      4: [4, 'wampcra', {}],
      5: [5, 'sig', {}],
      6: [6, {}, 'a.b'],
      8: [8, 48, 1, {}, 'a.b'],
      16: [16, 1, {}, 'a.b'],
      17: [17, 1, 2],
      32: [32, 1, {}, 'a.b'],
      33: [33, 1, 2],
      34: [34, 1, 2],
      35: [35, 1],
      36: [36, 1, 2, {}],
      48: [48, 1, {}, 'a.b'],
      49: [49, 1, {}],
      50: [50, 1, {}],
      64: [64, 1, {}, 'a.b'],
      65: [65, 1, 2],
      66: [66, 1, 2],
      67: [67, 1],
      68: [68, 1, 2, {}],
      69: [69, 1, {}],
      70: [70, 1, {}],
    };
    const withPayload = new Set<number>([3, 8, 16, 36, 48, 50, 68, 70]);

    it.each(Object.entries(shortest))('%s: the shortest form decodes, one element less or one too many does not', (code, frame) => {
      const name = MESSAGE_NAMES[Number(code) as MessageCode];
      expectMessage(decodeValue(frame));
      expect(expectViolation(decodeValue(frame.slice(0, -1))).reason).toMatch(new RegExp(`^${name} is \\[${name}, `));
      const longest = withPayload.has(Number(code)) ? [...frame, [1], { k: 1 }] : frame;
      if (withPayload.has(Number(code))) expectMessage(decodeValue(longest));
      expect(expectViolation(decodeValue([...longest, 'extra'])).category).toBe('malformed');
    });

    it.each([...withPayload])('%s: Arguments must be a list, ArgumentsKw a dict', (code) => {
      const frame = shortest[code];
      const name = MESSAGE_NAMES[code as MessageCode];
      for (const args of [{}, 'x', 1, null]) {
        expect(expectViolation(decodeValue([...frame, args])).reason).toBe(`${name}.Arguments must be a list`);
      }
      for (const kwargs of [[], 'x', 1, null, true]) {
        expect(expectViolation(decodeValue([...frame, [], kwargs])).reason).toBe(`${name}.ArgumentsKw must be a dict`);
      }
    });
  });

  describe('IDs are integers in [1, 2^53]', () => {
    it.each([1, 2, MAX - 1, MAX])('%d is an ID', (id) => {
      expect(expectMessage(decodeValue([48, id, {}, 'a.b']))).toMatchObject({ request: id });
      expect(expectMessage(decodeValue([36, id, id, {}]))).toMatchObject({ subscription: id, publication: id });
    });

    it.each([
      ['0', '0'],
      ['-1', '-1'],
      ['a fraction', '1.5'],
      ['2^53 + 2', '9007199254740994'],
      ['1e300', '1e300'],
      ['a string', '"1"'],
      ['true', 'true'],
      ['null', 'null'],
      ['a list', '[1]'],
    ])('%s is not', (_name, id) => {
      expect(expectViolation(decodeMessage(`[48, ${id}, {}, "a.b"]`)).reason).toBe('CALL.Request must be an integer in [1, 2^53]');
      expect(expectViolation(decodeMessage(`[17, 1, ${id}]`)).reason).toBe('PUBLISHED.Publication must be an integer in [1, 2^53]');
      expect(expectViolation(decodeMessage(`[2, ${id}, {"roles": {"broker": {}}}]`)).reason).toBe(
        'WELCOME.Session must be an integer in [1, 2^53]',
      );
    });
  });

  describe('dicts are plain JSON objects', () => {
    it.each([
      ['a list', []],
      ['null', null],
      ['a string', '{}'],
      ['a number', 0],
    ])('%s is not', (_name, dict) => {
      expect(expectViolation(decodeValue([16, 1, dict, 'a.b'])).reason).toBe('PUBLISH.Options must be a dict');
      expect(expectViolation(decodeValue([6, dict, 'wamp.close.normal'])).reason).toBe('GOODBYE.Details must be a dict');
      expect(expectViolation(decodeValue([5, 'sig', dict])).reason).toBe('AUTHENTICATE.Extra must be a dict');
    });

    it('reads only own attributes: __proto__ and constructor keys are ordinary data', () => {
      const message = expectMessage(decodeMessage('[16, 1, {"__proto__": {"acknowledge": 1}, "constructor": 2}, "a.b"]'));
      expect(message).toMatchObject({ type: MessageCode.Publish, topic: 'a.b' });
    });
  });

  describe('strings', () => {
    it('CHALLENGE.AuthMethod and AUTHENTICATE.Signature are strings, possibly empty', () => {
      expectMessage(decodeValue([5, '', {}]));
      expect(expectViolation(decodeValue([4, 1, {}])).reason).toBe('CHALLENGE.AuthMethod must be a string');
      expect(expectViolation(decodeValue([5, null, {}])).reason).toBe('AUTHENTICATE.Signature must be a string');
    });

    it('URI elements are strings', () => {
      expect(expectViolation(decodeValue([1, 1, ROLES])).reason).toBe('HELLO.Realm must be a URI string');
      expect(expectViolation(decodeValue([48, 1, {}, ['a.b']])).reason).toBe('CALL.Procedure must be a URI string');
    });
  });

  describe('ERROR', () => {
    it.each([...ERROR_REQUEST_TYPES])('may answer a request of type %d', (requestType) => {
      expect(expectMessage(decodeValue([8, requestType, 1, {}, 'a.b']))).toMatchObject({ requestType });
    });

    it.each([1, 2, 3, 6, 8, 17, 33, 36, 49, 50, 65, 69, 70, 0, '48'])('may not answer type %j', (requestType) => {
      expect(expectViolation(decodeValue([8, requestType, 1, {}, 'a.b'])).reason).toMatch(
        /^ERROR\.REQUEST\.Type must be the code of a request/,
      );
    });
  });

  describe('URIs where no ERROR can answer: ABORT wamp.error.invalid_uri', () => {
    it.each([
      ['HELLO.Realm', (uri: string) => [1, uri, ROLES]],
      ['ABORT.Reason', (uri: string) => [3, {}, uri]],
      ['GOODBYE.Reason', (uri: string) => [6, {}, uri]],
      ['ERROR.Error', (uri: string) => [8, 68, 1, {}, uri]],
    ])('%s', (field, frame) => {
      for (const uri of ['', 'a..b', '.a', 'a.', 'a b', 'a#b', 'a.\tb', '\ud800']) {
        expect(expectViolation(decodeValue(frame(uri)))).toEqual({
          category: 'invalid-uri',
          reason: `${field} is not a valid URI (loose rule)`,
          abortReason: 'wamp.error.invalid_uri',
        });
      }
      expectMessage(decodeValue(frame('wamp.close.normal')));
      expect(expectViolation(decodeValue(frame('com.x.y'), { maxUriLength: 6 }))).toMatchObject({
        category: 'too-long',
        abortReason: 'wamp.error.invalid_uri',
      });
    });
  });

  describe('URIs of requests: ERROR wamp.error.invalid_uri, the session goes on', () => {
    it.each([
      [MessageCode.Publish, 'PUBLISH.Topic', (uri: string) => [16, 7, { acknowledge: true }, uri, ['payload']]],
      [MessageCode.Subscribe, 'SUBSCRIBE.Topic', (uri: string) => [32, 7, {}, uri]],
      [MessageCode.Call, 'CALL.Procedure', (uri: string) => [48, 7, {}, uri, [1, 2]]],
      [MessageCode.Register, 'REGISTER.Procedure', (uri: string) => [64, 7, {}, uri]],
    ])('%s: %s', (requestType, field, frame) => {
      for (const uri of ['', 'com..x', 'com.x.', '.com', 'com x', 'com#x', 'com.x\n', 'com.\ud800x']) {
        expect(expectRequestError(decodeValue(frame(uri)))).toEqual({
          category: 'invalid-uri',
          requestType,
          request: 7,
          error: 'wamp.error.invalid_uri',
          reason: `${field} is not a valid URI (loose rule)`,
          answer: true,
        });
      }
      expect(expectRequestError(decodeValue(frame('com.example.long'), { maxUriLength: 10 }))).toMatchObject({
        category: 'too-long',
        reason: `${field} is longer than 10 characters`,
      });
      expectMessage(decodeValue(frame('com.example.long'), { maxUriLength: 16 }));
    });

    it('a PUBLISH without acknowledge: true is not answered (the spec’s broker answers only acknowledged publications)', () => {
      expect(expectRequestError(decodeValue([16, 1, {}, 'a..b'])).answer).toBe(false);
      expect(expectRequestError(decodeValue([16, 1, { acknowledge: false }, 'a..b'])).answer).toBe(false);
    });

    it('the loose rule accepts any non-empty components without ., # or whitespace', () => {
      for (const uri of ['com.myapp.mytopic1', 'http://example.com/rpc:add', 'Sample.RPC.Add', 'a-b.c/d.é中', 'x']) {
        expectMessage(decodeValue([48, 1, {}, uri]));
      }
    });

    it('the strict rule (an option) accepts only lower-case letters, digits and _', () => {
      const strict = { uriRule: 'strict' } as const;
      expectMessage(decodeValue([48, 1, {}, 'sample.rpc.add_2'], strict));
      expectMessage(decodeValue([1, 'sample', ROLES], strict));
      for (const uri of ['Sample.rpc', 'sample.rpc-add', 'http://x', 'é']) {
        expect(expectRequestError(decodeValue([48, 1, {}, uri], strict)).reason).toBe('CALL.Procedure is not a valid URI (strict rule)');
      }
      expect(expectViolation(decodeValue([1, 'Sample', ROLES], strict)).abortReason).toBe('wamp.error.invalid_uri');
    });

    it('PUBLISH and REGISTER may not use the reserved first component wamp; SUBSCRIBE and CALL may', () => {
      for (const frame of [
        [16, 1, {}, 'wamp.session.on_join'],
        [64, 1, {}, 'wamp.session.count'],
        [64, 1, { match: 'prefix' }, 'wamp'],
      ]) {
        expect(expectRequestError(decodeValue(frame)).reason).toMatch(/starts with "wamp", which the spec reserves/);
      }
      expectMessage(decodeValue([32, 1, {}, 'wamp.session.on_join']));
      expectMessage(decodeValue([48, 1, {}, 'wamp.session.count']));
      expectMessage(decodeValue([16, 1, {}, 'wampum.x']));
    });

    it('SUBSCRIBE and REGISTER check their URI as the pattern their match policy says', () => {
      for (const code of [32, 64]) {
        expectMessage(decodeValue([code, 1, { match: 'exact' }, 'a.b']));
        expectMessage(decodeValue([code, 1, { match: 'prefix' }, 'sample.event.feed']));
        expectMessage(decodeValue([code, 1, { match: 'prefix' }, 'sample.event.']));
        expectMessage(decodeValue([code, 1, { match: 'wildcard' }, 'com.myapp..userevent']));
        expectRequestError(decodeValue([code, 1, {}, 'com.myapp..userevent']));
        expectRequestError(decodeValue([code, 1, { match: 'prefix' }, 'com..x']));
        expectRequestError(decodeValue([code, 1, { match: 'wildcard' }, 'com. .x']));
        const name = MESSAGE_NAMES[code as MessageCode];
        for (const match of ['regex', 'Prefix', 1, true, null]) {
          expect(expectViolation(decodeValue([code, 1, { match }, 'a.b'])).reason).toBe(
            `${name}.Options.match must be "exact", "prefix" or "wildcard"`,
          );
        }
      }
    });
  });

  describe('HELLO.Details', () => {
    it('announces at least one client role, each a dict', () => {
      for (const details of [
        {},
        { roles: [] },
        { roles: null },
        { roles: {} },
        { roles: { broker: {} } },
        { roles: { caller: true } },
        { roles: { caller: {}, callee: [] } },
      ]) {
        expect(expectViolation(decodeValue([1, 'sample', details])).reason).toMatch(/^HELLO\.Details\.roles/);
      }
      for (const role of ['publisher', 'subscriber', 'caller', 'callee']) {
        expectMessage(decodeValue([1, 'sample', { roles: { [role]: { features: {} }, unknown_role: 1 } }]));
      }
    });

    it.each([
      ['authmethods', 'wampcra', 'a list of strings'],
      ['authmethods', ['wampcra', 1], 'a list of strings'],
      ['authid', 42, 'a string'],
      ['authid', null, 'a string'],
      ['authrole', {}, 'a string'],
      ['authextra', [], 'a dict'],
      ['agent', 1, 'a string'],
    ])('%s %j is refused', (key, value, expected) => {
      expect(expectViolation(decodeValue([1, 'sample', { ...ROLES, [key]: value }])).reason).toBe(
        `HELLO.Details.${key} must be ${expected}`,
      );
    });

    it('takes what Autobahn|JS sends', () => {
      const details = {
        roles: {
          caller: { features: { caller_identification: true, progressive_call_results: true, call_canceling: true } },
          callee: { features: { caller_identification: true, pattern_based_registration: true, shared_registration: true } },
          publisher: { features: { publisher_identification: true, subscriber_blackwhite_listing: true, publisher_exclusion: true } },
          subscriber: { features: { publisher_identification: true, pattern_based_subscription: true } },
        },
        authmethods: ['wampcra'],
        authid: 'salted',
        authextra: {},
      };
      expect(expectMessage(decodeValue([1, 'sample', details]))).toEqual({ type: 1, realm: 'sample', details });
    });
  });

  describe('WELCOME.Details', () => {
    it('announces at least one router role, each a dict, and the authentication as strings', () => {
      expectMessage(
        decodeValue([2, 1, { roles: { dealer: {} }, authid: 'guest', authrole: 'user', authmethod: 'wampcra', authprovider: 'static' }]),
      );
      expect(expectViolation(decodeValue([2, 1, { roles: { caller: {} } }])).reason).toMatch(/^WELCOME\.Details\.roles must announce/);
      expect(expectViolation(decodeValue([2, 1, { roles: { broker: {} }, authmethod: 1 }])).reason).toBe(
        'WELCOME.Details.authmethod must be a string',
      );
    });
  });

  describe('PUBLISH.Options', () => {
    it('takes acknowledge, exclude_me, exclude and eligible of the right types', () => {
      const options = { acknowledge: true, exclude_me: false, exclude: [1, MAX], eligible: [], disclose_me: 'ignored' };
      expect(expectMessage(decodeValue([16, 1, options, 'a.b']))).toMatchObject({ options });
    });

    it.each([
      ['acknowledge', 1, 'a bool'],
      ['acknowledge', 'true', 'a bool'],
      ['exclude_me', 0, 'a bool'],
      ['exclude', 1, 'a list of session ids'],
      ['exclude', [0], 'a list of session ids'],
      ['eligible', ['1'], 'a list of session ids'],
      ['eligible', [1.5], 'a list of session ids'],
    ])('%s %j is refused (a bool is never an integer)', (key, value, expected) => {
      expect(expectViolation(decodeValue([16, 1, { [key]: value }, 'a.b'])).reason).toBe(`PUBLISH.Options.${key} must be ${expected}`);
    });

    it('an attribute is checked before the URI', () => {
      expect(expectViolation(decodeValue([16, 1, { acknowledge: 1 }, 'a..b'])).category).toBe('malformed');
    });
  });
});
