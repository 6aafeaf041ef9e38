import { DEFAULT_MAX_PAYLOAD, resolveWampOptions } from '../../src/config/resolve-options.js';
import { WampOptionsError } from '../../src/core/wamp-options-error.js';
import { MemoryBackplane } from '../../src/pubsub/backplane.js';
import type { WampModuleOptions } from '../../src/config/wamp-module-options.js';
import { NEST_WAMP_VERSION } from '../../src/version.js';

/** Options as a misconfigured (or plain JavaScript) app could pass them. */
const loose = (options: Record<string, unknown>): WampModuleOptions => options as WampModuleOptions;

function errorOf(options: WampModuleOptions): WampOptionsError {
  try {
    resolveWampOptions(options);
  } catch (error) {
    if (error instanceof WampOptionsError) return error;
    throw error;
  }
  throw new Error(`no error for ${String(options)}`);
}

describe('resolveWampOptions', () => {
  describe('defaults', () => {
    const expected = {
      path: '/ws',
      port: undefined,
      host: undefined,
      allowedOrigins: undefined,
      allowMissingOrigin: true,
      serverIdent: `nest-wamp/${NEST_WAMP_VERSION}`,
      topics: {},
      maxPayload: 1024 * 1024,
      excludeMeByDefault: false,
      exposeInternalErrors: false,
      shutdownGraceMs: 1000,
      auth: undefined,
      backplane: new MemoryBackplane(),
      limits: {
        prefixes: 256,
        subscriptions: 1024,
        uriLength: 2048,
        callsInFlight: 128,
        queuedPubSub: 1024,
        fragmentsPerMessage: 1024,
        rate: undefined,
      },
      slowConsumer: { highWaterMark: 1024 * 1024, action: 'drop', timeoutMs: 30_000 },
      heartbeatIntervalMs: 30_000,
      trace: undefined,
      compression: undefined,
      v2: { realm: 'realm1', uris: [] },
    };

    it('fills in every default for {}', () => {
      expect(resolveWampOptions({})).toEqual(expected);
    });

    it('fills in every default when called without options', () => {
      expect(resolveWampOptions()).toEqual(expected);
    });

    it('a rate limit gets a burst of one second and closes by default', () => {
      expect(resolveWampOptions({ limits: { rate: { messagesPerSecond: 50 } } }).limits.rate).toEqual({
        messagesPerSecond: 50,
        burst: 50,
        onExceed: 'close',
      });
    });

    it('the default max payload is 1 MiB', () => {
      expect(DEFAULT_MAX_PAYLOAD).toBe(1_048_576);
    });

    it('the default server ident is nest-wamp/<version>', () => {
      expect(resolveWampOptions().serverIdent).toBe('nest-wamp/0.1.0'.replace('0.1.0', NEST_WAMP_VERSION));
      expect(resolveWampOptions().serverIdent).toMatch(/^nest-wamp\/\d+\.\d+\.\d+/);
    });

    it('treats options explicitly set to undefined as not given', () => {
      expect(
        resolveWampOptions({
          path: undefined,
          maxPayload: undefined,
          shutdownGraceMs: undefined,
          allowMissingOrigin: undefined,
          excludeMeByDefault: undefined,
          exposeInternalErrors: undefined,
          topics: undefined,
          serverIdent: undefined,
        }),
      ).toEqual(expected);
    });
  });

  describe('valid values are kept', () => {
    it('keeps every option given', () => {
      const allowedOrigins = ['https://app.example', /\.example\.org$/];
      const topics = { 'http://x/chat': true, 'http://x/ticks': { subscribe: true, publish: false }, 'http://x/feed/*': false, '*': {} };
      const options: WampModuleOptions = {
        path: '/wamp/v1',
        port: 8080,
        host: '127.0.0.1',
        allowedOrigins,
        allowMissingOrigin: false,
        serverIdent: 'my-server/2',
        topics,
        maxPayload: 4096,
        excludeMeByDefault: true,
        exposeInternalErrors: true,
        shutdownGraceMs: 0,
        backplane: new MemoryBackplane(),
      };
      const resolved = resolveWampOptions(options);
      expect(resolved).toMatchObject({ ...options, auth: undefined });
      expect(resolved.allowedOrigins).toBe(allowedOrigins);
      expect(resolved.topics).toBe(topics);
      expect(resolved.backplane).toBe(options.backplane);
    });

    it.each<[string, WampModuleOptions]>([
      ['path "/"', { path: '/' }],
      ['a nested path', { path: '/a/b/c' }],
      ['port 0 (pick a free one)', { port: 0 }],
      ['port 65535', { port: 65535 }],
      ['maxPayload 1', { maxPayload: 1 }],
      ['shutdownGraceMs 0', { shutdownGraceMs: 0 }],
      ['a fractional shutdownGraceMs', { shutdownGraceMs: 2.5 }],
      ['an empty origin list', { allowedOrigins: [] }],
      ['an origin function', { allowedOrigins: () => true }],
      ['an async origin function', { allowedOrigins: async () => false }],
      ['a catch-all topic rule', { topics: { '*': true } }],
      ['a topic rule with only subscribe', { topics: { 'http://x/t': { subscribe: false } } }],
      ['a topic rule with only publish', { topics: { 'http://x/t': { publish: true } } }],
      ['an empty serverIdent', { serverIdent: '' }],
      ['trace false', { trace: false }],
      ['trace at the verbose level', { trace: 'verbose' }],
      ['trace to a function', { trace: () => undefined }],
      ['a full trace object', { trace: { sink: 'log', sessions: () => true, maskCalls: ['urn:login'] } }],
    ])('%s', (_name, options) => {
      expect(() => resolveWampOptions(options)).not.toThrow();
    });
  });

  describe('v2', () => {
    it('is on by default, with realm1 and no URI pairs', () => {
      expect(resolveWampOptions({}).v2).toEqual({ realm: 'realm1', uris: [] });
      expect(resolveWampOptions({ v2: true }).v2).toEqual({ realm: 'realm1', uris: [] });
      expect(resolveWampOptions({ v2: {} }).v2).toEqual({ realm: 'realm1', uris: [] });
    });

    it('false serves v1 only', () => {
      expect(resolveWampOptions({ v2: false }).v2).toBeUndefined();
    });

    it('keeps the realm and the pairs given', () => {
      const uris = [
        { v1: 'http://x/rpc#*', v2: 'x.rpc.*' },
        { v1: 'http://x/event#sub-only', v2: 'x.event.sub_only' },
      ];
      expect(resolveWampOptions({ v2: { realm: 'x', uris } }).v2).toEqual({ realm: 'x', uris });
    });

    it.each<[string, unknown]>([
      ['v2', 'yes'],
      ['v2', null],
      ['v2', []],
      ['v2.realm', ''],
      ['v2.realm', 'a realm'],
      ['v2.realm', 5],
      ['v2.uris', 'x'],
      ['v2.uris', [{ v1: 'http://x/a', v2: '' }]],
      ['v2.uris', [{ v1: 'http://x/a*', v2: 'x.a' }]],
      ['v2.uris', [{ v1: 'http://x/*a', v2: 'x.*a' }]],
      [
        'v2.uris',
        [
          { v1: 'http://x/a', v2: 'x.a' },
          { v1: 'http://x/a', v2: 'x.b' },
        ],
      ],
      ['v2.realms', 'x'],
    ])('refuses %s = %j, naming it', (option, value) => {
      const [, field] = option.split('.');
      const v2 = field === undefined ? value : { [field]: value };
      expect(errorOf(loose({ v2 })).message).toContain(option);
    });
  });

  describe('compression', () => {
    const defaults = {
      threshold: 1024,
      level: 6,
      memLevel: 8,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
      serverNoContextTakeover: true,
      clientNoContextTakeover: false,
    };

    it('is off unless asked for', () => {
      expect(resolveWampOptions({}).compression).toBeUndefined();
      expect(resolveWampOptions({ compression: false }).compression).toBeUndefined();
    });

    it('true takes every default', () => {
      expect(resolveWampOptions({ compression: true }).compression).toEqual(defaults);
      expect(resolveWampOptions({ compression: {} }).compression).toEqual(defaults);
    });

    it('keeps every field given, filling in the others', () => {
      const given = {
        threshold: 0,
        level: 1,
        memLevel: 9,
        serverMaxWindowBits: 9,
        clientMaxWindowBits: 8,
        serverNoContextTakeover: false,
        clientNoContextTakeover: true,
      };
      expect(resolveWampOptions({ compression: given }).compression).toEqual(given);
      expect(resolveWampOptions({ compression: { level: 9 } }).compression).toEqual({ ...defaults, level: 9 });
    });

    it.each<[string, unknown]>([
      ['compression', 'yes'],
      ['compression', 1],
      ['compression', null],
      ['compression', []],
      ['compression.threshold', -1],
      ['compression.threshold', 1.5],
      ['compression.threshold', '1024'],
      ['compression.level', 0],
      ['compression.level', 10],
      ['compression.memLevel', 0],
      ['compression.memLevel', 10],
      ['compression.serverMaxWindowBits', 8],
      ['compression.serverMaxWindowBits', 16],
      ['compression.clientMaxWindowBits', 7],
      ['compression.clientMaxWindowBits', 16],
      ['compression.clientMaxWindowBits', 12.5],
      ['compression.serverNoContextTakeover', 'true'],
      ['compression.clientNoContextTakeover', 1],
    ])('refuses %s = %j, naming it', (option, value) => {
      const [, field] = option.split('.');
      const compression = field === undefined ? value : { [field]: value };
      expect(errorOf(loose({ compression })).message).toContain(option);
    });
  });

  describe('trace', () => {
    it('is off unless asked for', () => {
      expect(resolveWampOptions({ trace: false }).trace).toBeUndefined();
    });

    it('true traces every session at debug; a level or a function every session there', () => {
      const sink = () => undefined;
      expect(resolveWampOptions({ trace: true }).trace).toEqual({ sink: 'debug', sessions: true, maskCalls: [] });
      expect(resolveWampOptions({ trace: 'log' }).trace).toEqual({ sink: 'log', sessions: true, maskCalls: [] });
      expect(resolveWampOptions({ trace: sink }).trace).toEqual({ sink, sessions: true, maskCalls: [] });
    });

    it('an object fills in what it leaves out', () => {
      expect(resolveWampOptions({ trace: { sessions: false } }).trace).toEqual({ sink: 'debug', sessions: false, maskCalls: [] });
    });
  });

  describe('invalid values throw a WampOptionsError naming the option', () => {
    it.each<[string, string, Record<string, unknown>]>([
      ['path without a leading "/"', 'path', { path: 'ws' }],
      ['an empty path', 'path', { path: '' }],
      ['a path with a query', 'path', { path: '/ws?token=1' }],
      ['a full URL as path', 'path', { path: 'ws://host/ws' }],
      ['a non-string path', 'path', { path: 5 }],
      ['a null path', 'path', { path: null }],
      ['a string for a boolean option', 'excludeMeByDefault', { excludeMeByDefault: 'yes' }],
      ['a number for allowMissingOrigin', 'allowMissingOrigin', { allowMissingOrigin: 1 }],
      ['a string for exposeInternalErrors', 'exposeInternalErrors', { exposeInternalErrors: 'true' }],
      ['an empty host', 'host', { host: '' }],
      ['a backplane that is not one', 'backplane', { backplane: { publish() {} } }],
      ['a zero prefix limit', 'limits.prefixes', { limits: { prefixes: 0 } }],
      ['a fractional call limit', 'limits.callsInFlight', { limits: { callsInFlight: 1.5 } }],
      ['a rate without messagesPerSecond', 'limits.rate.messagesPerSecond', { limits: { rate: {} } }],
      ['an unknown rate action', 'limits.rate.onExceed', { limits: { rate: { messagesPerSecond: 5, onExceed: 'warn' } } }],
      ['an unknown slow-consumer action', 'slowConsumer.action', { slowConsumer: { action: 'wait' } }],
      ['a negative heartbeat', 'heartbeatIntervalMs', { heartbeatIntervalMs: -1 }],
      ['a non-string serverIdent', 'serverIdent', { serverIdent: 42 }],
      ['a non-string host', 'host', { host: 127001 }],
      ['a negative port', 'port', { port: -1 }],
      ['port 65536', 'port', { port: 65536 }],
      ['a fractional port', 'port', { port: 80.5 }],
      ['a NaN port', 'port', { port: Number.NaN }],
      ['a string port', 'port', { port: '8080' }],
      ['a null port', 'port', { port: null }],
      ['maxPayload 0', 'maxPayload', { maxPayload: 0 }],
      ['a negative maxPayload', 'maxPayload', { maxPayload: -1 }],
      ['a fractional maxPayload', 'maxPayload', { maxPayload: 1.5 }],
      ['an infinite maxPayload', 'maxPayload', { maxPayload: Number.POSITIVE_INFINITY }],
      ['a NaN maxPayload', 'maxPayload', { maxPayload: Number.NaN }],
      ['a string maxPayload', 'maxPayload', { maxPayload: '1024' }],
      ['a negative shutdownGraceMs', 'shutdownGraceMs', { shutdownGraceMs: -1 }],
      ['a NaN shutdownGraceMs', 'shutdownGraceMs', { shutdownGraceMs: Number.NaN }],
      ['an infinite shutdownGraceMs', 'shutdownGraceMs', { shutdownGraceMs: Number.POSITIVE_INFINITY }],
      ['a string shutdownGraceMs', 'shutdownGraceMs', { shutdownGraceMs: '1000' }],
      ['a single origin string', 'allowedOrigins', { allowedOrigins: 'https://app.example' }],
      ['a single RegExp', 'allowedOrigins', { allowedOrigins: /x/ }],
      ['a number in the origin list', 'allowedOrigins', { allowedOrigins: ['https://app.example', 5] }],
      ['null in the origin list', 'allowedOrigins', { allowedOrigins: [null] }],
      ['an object as origins', 'allowedOrigins', { allowedOrigins: { origin: 'x' } }],
      ['true as origins', 'allowedOrigins', { allowedOrigins: true }],
      ['null as origins', 'allowedOrigins', { allowedOrigins: null }],
      ['an empty topic key', 'topics', { topics: { '': true } }],
      ['a string topic rule', 'topics["http://x/t"]', { topics: { 'http://x/t': 'yes' } }],
      ['a numeric topic rule', 'topics["http://x/t"]', { topics: { 'http://x/t': 1 } }],
      ['a null topic rule', 'topics["http://x/t"]', { topics: { 'http://x/t': null } }],
      ['a list topic rule', 'topics["http://x/t"]', { topics: { 'http://x/t': [true] } }],
      ['a non-boolean subscribe', 'topics["http://x/t"]', { topics: { 'http://x/t': { subscribe: 'yes' } } }],
      ['a non-boolean publish', 'topics["http://x/t"]', { topics: { 'http://x/t': { publish: 1 } } }],
      ['an unknown key in a topic rule', 'topics["http://x/t"]', { topics: { 'http://x/t': { subscribe: true, call: true } } }],
      ['a misspelt key in a topic rule', 'topics["http://x/*"]', { topics: { 'http://x/*': { subcribe: true } } }],
      ['an unknown trace level', 'trace', { trace: 'info' }],
      ['a number as trace', 'trace', { trace: 1 }],
      ['null as trace', 'trace', { trace: null }],
      ['an unknown trace sink level', 'trace.sink', { trace: { sink: 'warn' } }],
      ['a string as trace.sessions', 'trace.sessions', { trace: { sessions: 'all' } }],
      ['a string as trace.maskCalls', 'trace.maskCalls', { trace: { maskCalls: 'urn:login' } }],
      ['an empty URI in trace.maskCalls', 'trace.maskCalls', { trace: { maskCalls: [''] } }],
      ['a misspelt trace key', 'trace.session', { trace: { session: true } }],
    ])('%s', (_name, option, options) => {
      const error = errorOf(loose(options));
      expect(error).toBeInstanceOf(WampOptionsError);
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe('WampOptionsError');
      expect(error.message).toContain(`"${option}"`);
    });

    it('says what it got', () => {
      expect(errorOf(loose({ port: 70000 })).message).toContain('70000');
      expect(errorOf(loose({ path: 'ws' })).message).toContain('"ws"');
      expect(errorOf(loose({ topics: { 'http://x/t': 'yes' } })).message).toContain('"yes"');
    });

    it('describes values JSON cannot show without throwing itself', () => {
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      expect(errorOf(loose({ allowedOrigins: cyclic })).message).toContain('"allowedOrigins"');
      expect(errorOf(loose({ maxPayload: 10n })).message).toContain('"maxPayload"');
      expect(errorOf(loose({ port: Symbol('p') })).message).toContain('"port"');
    });

    it('checks every topic rule, not just the first', () => {
      const error = errorOf(loose({ topics: { 'http://x/a': true, 'http://x/b': { publish: true }, 'http://x/c': 'no' } }));
      expect(error.message).toContain('"topics["http://x/c"]"');
    });
  });
});

describe('unknown option keys and malformed patterns', () => {
  const attempt = (options: unknown): unknown => {
    try {
      resolveWampOptions(options as WampModuleOptions);
      return undefined;
    } catch (error) {
      return error;
    }
  };

  it.each([
    ['a typo at the top', { pth: '/ws' }, 'pth'],
    ['in limits', { limits: { prefix: 10 } }, 'limits.prefix'],
    ['in limits.rate', { limits: { rate: { messagesPerSecond: 5, perSecond: 1 } } }, 'limits.rate.perSecond'],
    ['in slowConsumer', { slowConsumer: { hwm: 1 } }, 'slowConsumer.hwm'],
    ['in compression', { compression: { windowBits: 10 } }, 'compression.windowBits'],
    ['in auth', { auth: { permissions: () => ({}), secrets: () => 'x' } }, 'auth.secrets'],
  ])('%s is refused, named', (_where, options, named) => {
    const error = attempt(options);
    expect(error).toBeInstanceOf(WampOptionsError);
    expect((error as Error).message).toContain(`no option "${named}"`);
  });

  it('isGlobal (the module builder’s own) is no unknown key', () => {
    expect(attempt({ isGlobal: true })).toBeUndefined();
  });

  it.each(['http://x/*/chat', '*x', 'http://x/a**'])('a "*" before the end of a topics pattern is refused: %s', (pattern) => {
    const error = attempt({ topics: { [pattern]: true } });
    expect(error).toBeInstanceOf(WampOptionsError);
    expect((error as Error).message).toContain('prefix patterns ending in "*"');
  });

  it.each(['http://x/a', 'http://x/*', '*'])('a well-formed pattern is accepted: %s', (pattern) => {
    expect(attempt({ topics: { [pattern]: true } })).toBeUndefined();
  });
});
