import {
  BadRequestException,
  ForbiddenException,
  HttpException,
  HttpStatus,
  InternalServerErrorException,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import { WampErrorDescription, WampErrorUri } from '../../src/protocol/error-uris.js';
import { errorMessage } from '../../src/core/errors.js';
import { nestCallErrorMapper } from '../../src/nest/http-exception-mapping.js';
import { WampException } from '../../src/core/wamp-exception.js';

describe('error URIs', () => {
  it("keep clj-wamp's exact strings", () => {
    expect(WampErrorUri.notFound).toBe('http://api.wamp.ws/error#notfound');
    expect(WampErrorUri.internal).toBe('http://api.wamp.ws/error#internal');
    expect(WampErrorUri.generic).toBe('http://api.wamp.ws/error#generic');
    expect(WampErrorUri.unauthorized).toBe('http://api.wamp.ws/error#unauthorized');
    expect(WampErrorDescription.notFound).toBe('not found error');
    expect(WampErrorDescription.internal).toBe('internal error');
    expect(WampErrorDescription.generic).toBe('generic error');
    expect(WampErrorDescription.unauthorized).toBe('unauthorized');
  });
});

/** The mapping the Nest module hands the router. */
const toCallError = (error: unknown, exposeInternalErrors: boolean) => nestCallErrorMapper(exposeInternalErrors)(error);

describe('the CALLERROR mapping (nestCallErrorMapper)', () => {
  describe.each([false, true])('exposeInternalErrors = %s', (expose) => {
    describe('WampException', () => {
      it('is used as thrown', () => {
        const error = new WampException('http://example.com/error#overdrawn', 'account overdrawn', { balance: -5 });
        expect(toCallError(error, expose)).toEqual({
          uri: 'http://example.com/error#overdrawn',
          desc: 'account overdrawn',
          details: { balance: -5 },
          unexpected: false,
        });
      });

      it('has no details when none were given', () => {
        const reply = toCallError(new WampException('http://x/e#a', 'desc'), expose);
        expect(reply.details).toBeUndefined();
        expect(reply.uri).toBe('http://x/e#a');
        expect(reply.desc).toBe('desc');
      });

      it('keeps falsy details and an empty description', () => {
        expect(toCallError(new WampException('http://x/e#a', '', 0), expose)).toEqual({
          uri: 'http://x/e#a',
          desc: '',
          details: 0,
          unexpected: false,
        });
      });

      it('carries kill', () => {
        const reply = toCallError(new WampException('http://x/e#a', 'bye', undefined, { kill: true }), expose);
        expect(reply.kill).toEqual({ code: 3000, reason: 'killed by the application' });
        expect(reply.unexpected).toBe(false);
      });

      it('carries a chosen close code and reason', () => {
        const kill = { code: 4001, reason: 'banned' };
        expect(toCallError(new WampException('http://x/e#a', 'bye', undefined, { kill }), expose).kill).toEqual(kill);
      });

      it('works for a subclass', () => {
        class OverdrawnException extends WampException {
          constructor() {
            super('http://x/e#overdrawn', 'overdrawn', ['acct-1']);
          }
        }
        expect(toCallError(new OverdrawnException(), expose)).toEqual({
          uri: 'http://x/e#overdrawn',
          desc: 'overdrawn',
          details: ['acct-1'],
          unexpected: false,
        });
      });
    });

    describe('Nest HttpException', () => {
      it.each<[string, HttpException]>([
        ['HttpException 401', new HttpException('who are you', HttpStatus.UNAUTHORIZED)],
        ['HttpException 403', new HttpException('go away', HttpStatus.FORBIDDEN)],
        ['UnauthorizedException', new UnauthorizedException()],
        ['ForbiddenException (a guard that returned false)', new ForbiddenException('Forbidden resource')],
        ['ForbiddenException with an object response', new ForbiddenException({ reason: 'x' })],
      ])('%s → error#unauthorized "unauthorized" without details', (_name, error) => {
        const reply = toCallError(error, expose);
        expect(reply).toEqual({
          uri: WampErrorUri.unauthorized,
          desc: WampErrorDescription.unauthorized,
          unexpected: false,
        });
        expect(reply.details).toBeUndefined();
      });

      it('400 with a message → error#invalid-argument with that message and no details', () => {
        const reply = toCallError(new BadRequestException('amount must be positive'), expose);
        expect(reply).toEqual({
          uri: WampErrorUri.invalidArgument,
          desc: 'amount must be positive',
          unexpected: false,
        });
        expect(reply.details).toBeUndefined();
      });

      it('400 without a message → error#invalid-argument "Bad Request"', () => {
        const reply = toCallError(new BadRequestException(), expose);
        expect(reply.uri).toBe(WampErrorUri.invalidArgument);
        expect(reply.desc).toBe('Bad Request');
        expect(reply.details).toBeUndefined();
      });

      it('400 with a list of messages (ValidationPipe) → the messages as details', () => {
        const messages = ['amount must be a number', 'account should not be empty'];
        const reply = toCallError(new BadRequestException(messages), expose);
        expect(reply.uri).toBe(WampErrorUri.invalidArgument);
        expect(reply.details).toStrictEqual(messages);
        expect(typeof reply.desc).toBe('string');
        expect(reply.kill).toBeUndefined();
        expect(reply.unexpected).toBe(false);
      });

      it('400 as a plain HttpException', () => {
        const reply = toCallError(new HttpException('bad input', HttpStatus.BAD_REQUEST), expose);
        expect(reply).toEqual({ uri: WampErrorUri.invalidArgument, desc: 'bad input', unexpected: false });
      });

      it('400 with an object response without a message → no details', () => {
        const reply = toCallError(new HttpException({ field: 'x' }, HttpStatus.BAD_REQUEST), expose);
        expect(reply.uri).toBe(WampErrorUri.invalidArgument);
        expect(reply.details).toBeUndefined();
      });

      it.each<[string, HttpException, string]>([
        ['NotFoundException 404', new NotFoundException('no such account'), 'no such account'],
        ['HttpException 404', new HttpException('gone fishing', HttpStatus.NOT_FOUND), 'gone fishing'],
        ['InternalServerErrorException 500', new InternalServerErrorException(), 'Internal Server Error'],
        ['HttpException 500', new HttpException('db down', HttpStatus.INTERNAL_SERVER_ERROR), 'db down'],
        ['HttpException 409', new HttpException('conflict!', HttpStatus.CONFLICT), 'conflict!'],
        ['HttpException 418', new HttpException('teapot', HttpStatus.I_AM_A_TEAPOT), 'teapot'],
      ])('%s → error#generic with its message', (_name, error, desc) => {
        const reply = toCallError(error, expose);
        expect(reply).toEqual({ uri: WampErrorUri.generic, desc, unexpected: false });
        expect(reply.details).toBeUndefined();
      });
    });
  });

  describe('anything else is unexpected → error#internal "internal error"', () => {
    class CustomError extends Error {}

    it.each<[string, unknown, string]>([
      ['a plain Error', new Error('db connection refused'), 'db connection refused'],
      [
        'a TypeError',
        new TypeError("Cannot read properties of undefined (reading 'x')"),
        "Cannot read properties of undefined (reading 'x')",
      ],
      ['an Error subclass', new CustomError('custom'), 'custom'],
      ['an Error without a message', new Error(), ''],
      ['a thrown string', 'just a string', 'just a string'],
      ['a thrown number', 42, '42'],
      ['undefined', undefined, 'undefined'],
      ['null', null, 'null'],
      ['a plain object', { code: 1 }, '[object Object]'],
    ])('%s', (_name, thrown, message) => {
      expect(toCallError(thrown, false)).toEqual({
        uri: WampErrorUri.internal,
        desc: WampErrorDescription.internal,
        details: undefined,
        unexpected: true,
      });
      expect(toCallError(thrown, false).details).toBeUndefined();
      expect(toCallError(thrown, true)).toEqual({
        uri: WampErrorUri.internal,
        desc: WampErrorDescription.internal,
        details: message,
        unexpected: true,
      });
    });
  });
});

describe('errorMessage', () => {
  it.each<[string, unknown, string]>([
    ['an Error', new Error('m'), 'm'],
    ['a WampException (desc)', new WampException('http://x/e#a', 'the desc'), 'the desc'],
    ['a WampException without desc (uri)', new WampException('http://x/e#a', ''), 'http://x/e#a'],
    ['a string', 's', 's'],
    ['a number', 1, '1'],
    ['a symbol', Symbol('sym'), 'Symbol(sym)'],
    ['undefined', undefined, 'undefined'],
  ])('%s', (_name, error, message) => {
    expect(errorMessage(error)).toBe(message);
  });
});

describe('WampException from untyped callers', () => {
  it('keeps the CALLERROR frame valid when desc or uri are missing or not strings', () => {
    const error = new (WampException as unknown as new (...args: unknown[]) => WampException)(42);
    expect(error.uri).toBe('42');
    expect(error.desc).toBe('');
  });
});
