import fc from 'fast-check';
import { decodeFrame, decodeMessage, type DecodeResult } from '../../../src/protocol/v2/decode.js';
import { encodeError, encodeEvent, encodeInvocation, encodeResult } from '../../../src/protocol/v2/encode.js';
import { ERROR_REQUEST_TYPES, MessageCode } from '../../../src/protocol/v2/message-code.js';
import type { Dict, WampMessage } from '../../../src/protocol/v2/messages.js';
import { PreparedEvent } from '../../../src/protocol/v2/prepared-event.js';
import { toWire } from './wire.js';

const MAX = 2 ** 53;
const RUNS = { numRuns: 2000 };
const KINDS = ['message', 'violation', 'request-error'];

function isWellFormedResult(result: DecodeResult): boolean {
  if (!KINDS.includes(result.kind)) return false;
  if (result.kind === 'violation') return typeof result.violation.reason === 'string' && result.violation.reason.length > 0;
  if (result.kind === 'request-error') return typeof result.error.reason === 'string' && result.error.answer !== undefined;
  return typeof result.message.type === 'number';
}

// Valid elements. Dicts avoid the attribute names the decoder checks, which are added with valid values where they apply.
const CHECKED = new Set([
  'roles',
  'agent',
  'authmethods',
  'authid',
  'authrole',
  'authextra',
  'authmethod',
  'authprovider',
  'acknowledge',
  'exclude_me',
  'exclude',
  'eligible',
  'match',
]);
const id = fc.integer({ min: 1, max: MAX });
const dict: fc.Arbitrary<Dict> = fc.dictionary(
  fc.string().filter((key) => !CHECKED.has(key)),
  fc.jsonValue(),
  { maxKeys: 4 },
);
const component = fc.stringMatching(/^(?:[a-zA-Z0-9_\-:/é中]|😀){1,6}$/);
const uri = fc.array(component, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('.'));
const appUri = uri.filter((value) => value !== 'wamp' && !value.startsWith('wamp.'));
const payload = fc.oneof(
  fc.constant({}),
  fc.record({ args: fc.array(fc.jsonValue(), { maxLength: 4 }) }),
  fc.record({ args: fc.array(fc.jsonValue(), { maxLength: 4 }), kwargs: dict }),
);
const ids = fc.array(id, { maxLength: 3 });
const role = fc.constantFrom('publisher', 'subscriber', 'caller', 'callee');
const helloDetails = fc
  .tuple(
    dict,
    fc.uniqueArray(role, { minLength: 1, maxLength: 4 }),
    fc.option(fc.array(fc.string(), { maxLength: 3 }), { nil: undefined }),
    fc.option(fc.string(), { nil: undefined }),
  )
  .map(([rest, roles, authmethods, authid]) => ({
    ...rest,
    roles: Object.fromEntries(roles.map((name) => [name, {}])),
    ...(authmethods ? { authmethods } : {}),
    ...(authid !== undefined ? { authid } : {}),
  }));
const publishOptions = fc
  .tuple(
    dict,
    fc.option(fc.boolean(), { nil: undefined }),
    fc.option(fc.boolean(), { nil: undefined }),
    fc.option(ids, { nil: undefined }),
    fc.option(ids, { nil: undefined }),
  )
  .map(([rest, acknowledge, exclude_me, exclude, eligible]) => ({
    ...rest,
    ...(acknowledge !== undefined ? { acknowledge } : {}),
    ...(exclude_me !== undefined ? { exclude_me } : {}),
    ...(exclude ? { exclude } : {}),
    ...(eligible ? { eligible } : {}),
  }));
const exactOptions = fc.tuple(dict, fc.boolean()).map(([rest, explicit]) => (explicit ? { ...rest, match: 'exact' as const } : rest));

const C = MessageCode;
/** Every message type, valid by construction. */
const message: fc.Arbitrary<WampMessage> = fc.oneof(
  fc.record({ type: fc.constant(C.Hello), realm: uri, details: helloDetails }),
  fc.record({
    type: fc.constant(C.Welcome),
    session: id,
    details: fc
      .tuple(dict, fc.constantFrom({ broker: {} }, { dealer: {} }, { broker: {}, dealer: {} }))
      .map(([rest, roles]) => ({ ...rest, roles })),
  }),
  fc.tuple(dict, uri, payload).map(([details, reason, p]) => ({ type: C.Abort, details, reason, ...p })),
  fc.record({ type: fc.constant(C.Challenge), authMethod: fc.string(), extra: dict }),
  fc.record({ type: fc.constant(C.Authenticate), signature: fc.string(), extra: dict }),
  fc.record({ type: fc.constant(C.Goodbye), details: dict, reason: uri }),
  fc
    .tuple(fc.constantFrom(...ERROR_REQUEST_TYPES), id, dict, uri, payload)
    .map(([requestType, request, details, error, p]) => ({ type: C.Error, requestType, request, details, error, ...p })),
  fc.tuple(id, publishOptions, appUri, payload).map(([request, options, topic, p]) => ({ type: C.Publish, request, options, topic, ...p })),
  fc.record({ type: fc.constant(C.Published), request: id, publication: id }),
  fc.record({ type: fc.constant(C.Subscribe), request: id, options: exactOptions, topic: uri }),
  fc.record({ type: fc.constant(C.Subscribed), request: id, subscription: id }),
  fc.record({ type: fc.constant(C.Unsubscribe), request: id, subscription: id }),
  fc.record({ type: fc.constant(C.Unsubscribed), request: id }),
  fc
    .tuple(id, id, dict, payload)
    .map(([subscription, publication, details, p]) => ({ type: C.Event, subscription, publication, details, ...p })),
  fc.tuple(id, dict, uri, payload).map(([request, options, procedure, p]) => ({ type: C.Call, request, options, procedure, ...p })),
  fc.record({ type: fc.constant(C.Cancel), request: id, options: dict }),
  fc.tuple(id, dict, payload).map(([request, details, p]) => ({ type: C.Result, request, details, ...p })),
  fc.record({ type: fc.constant(C.Register), request: id, options: exactOptions, procedure: appUri }),
  fc.record({ type: fc.constant(C.Registered), request: id, registration: id }),
  fc.record({ type: fc.constant(C.Unregister), request: id, registration: id }),
  fc.record({ type: fc.constant(C.Unregistered), request: id }),
  fc
    .tuple(id, id, dict, payload)
    .map(([request, registration, details, p]) => ({ type: C.Invocation, request, registration, details, ...p })),
  fc.record({ type: fc.constant(C.Interrupt), request: id, options: dict }),
  fc.tuple(id, dict, payload).map(([request, options, p]) => ({ type: C.Yield, request, options, ...p })),
) as fc.Arbitrary<WampMessage>;

/** What a value is once it went through JSON (key order, -0). */
const viaJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('WAMP v2 codec properties (fast-check)', () => {
  it('any string: the decoder returns a message, a violation or a request error, and never throws', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.json()), (text) => isWellFormedResult(decodeMessage(text))),
      RUNS,
    );
  });

  it('any JSON value, as text or parsed: the same, never throws', () => {
    fc.assert(
      fc.property(
        fc.jsonValue(),
        (value) => isWellFormedResult(decodeMessage(JSON.stringify(value))) && isWellFormedResult(decodeFrame(value)),
      ),
      RUNS,
    );
  });

  it('lists that start with a known code and go on with anything: never throws', () => {
    const codes = Object.values(MessageCode);
    const anything = fc.oneof(fc.jsonValue(), id, uri, dict, fc.constantFrom(0, -1, MAX + 2, 1.5, {}, [], null, 'a..b', '__proto__'));
    fc.assert(
      fc.property(fc.constantFrom(...codes), fc.array(anything, { maxLength: 7 }), (code, rest) =>
        isWellFormedResult(decodeFrame([code, ...rest])),
      ),
      RUNS,
    );
  });

  it('any valid message, as the spec writes it, decodes to itself', () => {
    fc.assert(
      fc.property(message, (m) => {
        const result = decodeMessage(JSON.stringify(toWire(m)));
        expect(result).toEqual({ kind: 'message', message: viaJson(m) });
      }),
      RUNS,
    );
  });

  it('any valid message with one element replaced by a value of another JSON type is refused', () => {
    const wrongTypes: Record<string, unknown[]> = { number: ['x', null, [], {}], string: [1, null, [], {}], object: [1, 'x', null, true] };
    fc.assert(
      fc.property(message, fc.nat(), fc.nat(), (m, at, pick) => {
        const wire = toWire(m);
        const index = 1 + (at % (wire.length - 1));
        const original = wire[index];
        // Lists (Arguments) and dicts share JSON's "object": replace a dict by a list and a list by a dict.
        const kind = typeof original;
        const candidates = Array.isArray(original) ? [{}, 'x', 1] : (wrongTypes[kind] ?? []);
        if (candidates.length === 0) return;
        wire[index] = candidates[pick % candidates.length];
        expect(decodeFrame(wire).kind).not.toBe('message');
      }),
      RUNS,
    );
  });

  it('router encoders give the plain JSON of the message, without empty payloads, and it decodes back', () => {
    const args = fc.option(fc.array(fc.jsonValue(), { maxLength: 3 }), { nil: undefined });
    const kwargs = fc.option(dict, { nil: undefined });
    fc.assert(
      fc.property(id, id, dict, uri, args, kwargs, (a, b, details, error, argList, kwDict) => {
        const hasKw = kwDict !== undefined && Object.keys(kwDict).length > 0;
        const tail = hasKw ? [argList ?? [], kwDict] : argList !== undefined && argList.length > 0 ? [argList] : [];
        const texts: [string, unknown[]][] = [
          [encodeEvent(a, b, details, argList, kwDict), [36, a, b, details, ...tail]],
          [encodeResult(a, details, argList, kwDict), [50, a, details, ...tail]],
          [encodeInvocation(a, b, details, argList, kwDict), [68, a, b, details, ...tail]],
          [encodeError(MessageCode.Call, a, details, error, argList, kwDict), [8, 48, a, details, error, ...tail]],
        ];
        for (const [text, wire] of texts) {
          expect(text).toBe(JSON.stringify(wire));
          expect(decodeMessage(text).kind).toBe('message');
        }
      }),
      RUNS,
    );
  });

  it('PreparedEvent equals a plain JSON.stringify of each full EVENT', () => {
    fc.assert(
      fc.property(
        id,
        fc.option(fc.array(fc.jsonValue(), { maxLength: 3 }), { nil: undefined }),
        fc.option(dict, { nil: undefined }),
        fc.array(fc.tuple(id, fc.option(dict, { nil: undefined })), { minLength: 1, maxLength: 5 }),
        (publication, args, kwargs, subscriptions) => {
          const event = new PreparedEvent(publication, args, kwargs);
          for (const [subscription, details] of subscriptions) {
            expect(event.forSubscription(subscription, details)).toBe(encodeEvent(subscription, publication, details ?? {}, args, kwargs));
          }
        },
      ),
      RUNS,
    );
  });
});
