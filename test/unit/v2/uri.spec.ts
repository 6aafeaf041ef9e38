import { WampClose, WampError } from '../../../src/protocol/v2/error-uris.js';
import { isReservedUri, isValidUri } from '../../../src/protocol/v2/uri.js';

describe('WAMP v2 URI rules', () => {
  it.each([
    // uri, loose exact, strict exact, loose prefix, loose wildcard
    ['com.myapp.mytopic1', true, true, true, true],
    ['x', true, true, true, true],
    ['com.MyApp.topic', true, false, true, true],
    ['http://example.com/rpc', true, false, true, true],
    ['sample.rpc.add-2', true, false, true, true],
    ['é.中', true, false, true, true],
    ['', false, false, true, true],
    ['com.myapp.', false, false, true, true],
    ['com..userevent', false, false, false, true],
    ['.com', false, false, false, true],
    ['..', false, false, false, true],
    ['com.my app', false, false, false, false],
    ['com.my\u00a0app', false, false, false, false],
    ['com.my#app', false, false, false, false],
    ['com.my\napp', false, false, false, false],
    ['com.\ud800', false, false, false, false],
  ])('%j: loose %s, strict %s, prefix %s, wildcard %s', (uri, loose, strict, prefix, wildcard) => {
    expect(isValidUri(uri)).toBe(loose);
    expect(isValidUri(uri, 'loose', 'exact')).toBe(loose);
    expect(isValidUri(uri, 'strict')).toBe(strict);
    expect(isValidUri(uri, 'loose', 'prefix')).toBe(prefix);
    expect(isValidUri(uri, 'loose', 'wildcard')).toBe(wildcard);
  });

  it('a proper surrogate pair is a character like any other', () => {
    expect(isValidUri('com.emoji.😀')).toBe(true);
  });

  it('the strict patterns allow only lower-case letters, digits and _ in components', () => {
    expect(isValidUri('sample.event.', 'strict', 'prefix')).toBe(true);
    expect(isValidUri('sample..x', 'strict', 'wildcard')).toBe(true);
    expect(isValidUri('Sample.', 'strict', 'prefix')).toBe(false);
    expect(isValidUri('sample..X', 'strict', 'wildcard')).toBe(false);
  });

  it('wamp is reserved as the first component', () => {
    expect(isReservedUri('wamp')).toBe(true);
    expect(isReservedUri('wamp.error.x')).toBe(true);
    expect(isReservedUri('wampum.x')).toBe(false);
    expect(isReservedUri('com.wamp')).toBe(false);
  });

  it('every error and close URI the router sends follows the strict rule and is reserved', () => {
    for (const uri of [...Object.values(WampError), ...Object.values(WampClose)]) {
      expect(isValidUri(uri, 'strict')).toBe(true);
      expect(isReservedUri(uri)).toBe(true);
    }
    expect(WampError).toMatchObject({
      notAuthorized: 'wamp.error.not_authorized',
      noSuchProcedure: 'wamp.error.no_such_procedure',
      noSuchRealm: 'wamp.error.no_such_realm',
      protocolViolation: 'wamp.error.protocol_violation',
      invalidUri: 'wamp.error.invalid_uri',
      noSuchSubscription: 'wamp.error.no_such_subscription',
      noSuchRegistration: 'wamp.error.no_such_registration',
      procedureAlreadyExists: 'wamp.error.procedure_already_exists',
      invalidArgument: 'wamp.error.invalid_argument',
      runtimeError: 'wamp.error.runtime_error',
    });
    expect(WampClose).toMatchObject({
      normal: 'wamp.close.normal',
      goodbyeAndOut: 'wamp.close.goodbye_and_out',
      systemShutdown: 'wamp.close.system_shutdown',
      closeRealm: 'wamp.close.close_realm',
    });
  });
});
