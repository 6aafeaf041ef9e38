import {
  ArgumentsHost,
  CallHandler,
  CanActivate,
  Catch,
  ExceptionFilter,
  ExecutionContext,
  Injectable,
  NestInterceptor,
  ParseIntPipe,
  PipeTransform,
  SetMetadata,
  UseFilters,
  UseGuards,
  UseInterceptors,
  UsePipes,
} from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, Reflector } from '@nestjs/core';
import { catchError, map, of } from 'rxjs';
import {
  WampArg,
  WampErrorUri,
  WampException,
  WampModule,
  WampPublish,
  WampRpc,
  WampSubscribe,
  getWampInvocation,
  isWampContext,
  type WampInvocation,
  type WampSession,
} from '../../src/index.js';
import { startApp, type TestServer } from '../support/start-app.js';

const API = 'http://example.com/api#';
const EVENT = 'http://example.com/event#';

interface SeenContext {
  type: string;
  className: string;
  handlerName: string;
  client: WampSession;
  pattern: string;
  invocation: WampInvocation;
  roles?: string[];
}

/** Everything guards saw, for the assertions. */
const seen: SeenContext[] = [];
const Roles = (...roles: string[]) => SetMetadata('roles', roles);

@Injectable()
class RecordingGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}
  canActivate(context: ExecutionContext): boolean {
    const ws = context.switchToWs();
    seen.push({
      type: context.getType(),
      className: context.getClass().name,
      handlerName: context.getHandler().name,
      client: ws.getClient(),
      pattern: ws.getPattern(),
      invocation: getWampInvocation(context),
      roles: this.reflector.get<string[]>('roles', context.getHandler()),
    });
    return true;
  }
}

/** Denies calls whose first argument is "deny", and subscribe/publish on topics ending in "denied". */
@Injectable()
class DenyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const invocation = getWampInvocation(context);
    if (invocation.kind === 'call') return invocation.args[0] !== 'deny';
    return !invocation.uri.endsWith('denied');
  }
}

@Injectable()
class ThrowingGuard implements CanActivate {
  canActivate(): boolean {
    throw new WampException('http://example.com/error#guarded', 'guard says no', { why: 'test' });
  }
}

/** A global guard that leaves non-WAMP contexts alone and counts WAMP invocations. */
@Injectable()
class GlobalCountingGuard implements CanActivate {
  static wampInvocations = 0;
  canActivate(context: ExecutionContext): boolean {
    if (isWampContext(context)) GlobalCountingGuard.wampInvocations++;
    return true;
  }
}

@Injectable()
class DoubleResult implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler) {
    return next.handle().pipe(map((value) => (value as number) * 2));
  }
}

/** clj-wamp's :on-before that rewrites the params: appends an argument before the handler runs. */
@Injectable()
class RewriteArgs implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler) {
    const invocation = getWampInvocation(context);
    if (invocation.kind === 'call') invocation.args = [...invocation.args, 100];
    return next.handle();
  }
}

/** clj-wamp's :on-after-error: turns a failure into a fallback result. */
@Injectable()
class Fallback implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler) {
    return next.handle().pipe(catchError(() => of('fallback')));
  }
}

@Injectable()
class GlobalTagInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler) {
    if (!isWampContext(context)) return next.handle();
    const invocation = getWampInvocation(context);
    return next.handle().pipe(map((value) => (invocation.uri === `${API}tagged` ? { tagged: value } : value)));
  }
}

@Injectable()
class UpperPipe implements PipeTransform {
  transform(value: unknown) {
    return typeof value === 'string' ? value.toUpperCase() : value;
  }
}

@Catch(WampException)
class WampExceptionToResult implements ExceptionFilter {
  catch(exception: WampException, host: ArgumentsHost) {
    return { caught: exception.uri, kind: getWampInvocation(host).kind };
  }
}

/** A global filter written for HTTP that checks the context type first, as users must. */
@Catch()
class GlobalFilter implements ExceptionFilter {
  static wampErrors = 0;
  catch(exception: unknown, host: ArgumentsHost) {
    if (isWampContext(host)) {
      GlobalFilter.wampErrors++;
      throw exception;
    }
    host.switchToHttp().getResponse().status(500).json({});
  }
}

@Injectable()
@UseGuards(RecordingGuard)
class GuardedService {
  @WampRpc(`${API}echo`)
  @Roles('admin')
  echo(value: unknown) {
    return value;
  }

  @WampRpc(`${API}deniable`)
  @UseGuards(DenyGuard)
  deniable(value: string) {
    return `allowed ${value}`;
  }

  @WampRpc(`${API}guard-throws`)
  @UseGuards(ThrowingGuard)
  guardThrows() {
    return 'unreachable';
  }

  @WampSubscribe(`${EVENT}*`)
  @UseGuards(DenyGuard)
  canSubscribe() {
    return true;
  }

  @WampPublish(`${EVENT}*`)
  @UseGuards(DenyGuard)
  canPublish() {
    return true;
  }
}

@Injectable()
class InterceptedService {
  @WampRpc(`${API}double`)
  @UseInterceptors(DoubleResult)
  double(value: number) {
    return value;
  }

  @WampRpc(`${API}sum`)
  @UseInterceptors(RewriteArgs)
  sum(a: number, b: number, c: number) {
    return a + b + c;
  }

  @WampRpc(`${API}fails`)
  @UseInterceptors(Fallback)
  fails() {
    throw new Error('boom');
  }

  @WampRpc(`${API}tagged`)
  tagged() {
    return 1;
  }
}

@Injectable()
class PipedService {
  @WampRpc(`${API}parse`)
  parse(@WampArg(0, ParseIntPipe) value: number) {
    return value + 1;
  }

  @WampRpc(`${API}shout`)
  @UsePipes(UpperPipe)
  shout(a: string, b: string) {
    return `${a} ${b}`;
  }
}

@Injectable()
class FilteredService {
  @WampRpc(`${API}filtered`)
  @UseFilters(WampExceptionToResult)
  filtered() {
    throw new WampException('http://example.com/error#x', 'x');
  }

  @WampRpc(`${API}unfiltered`)
  unfiltered() {
    throw new WampException('http://example.com/error#y', 'y');
  }
}

describe('Nest enhancers around WAMP handlers', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startApp({
      imports: [WampModule.forRoot({})],
      providers: [
        GuardedService,
        InterceptedService,
        PipedService,
        FilteredService,
        RecordingGuard,
        DenyGuard,
        ThrowingGuard,
        DoubleResult,
        RewriteArgs,
        Fallback,
        UpperPipe,
        { provide: APP_GUARD, useClass: GlobalCountingGuard },
        { provide: APP_INTERCEPTOR, useClass: GlobalTagInterceptor },
        { provide: APP_FILTER, useClass: GlobalFilter },
      ],
    });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    seen.length = 0;
  });

  describe('guards', () => {
    it('see a WAMP execution context: type, class, handler, session, URI, invocation, metadata', async () => {
      const client = await server.connect();
      client.prefix('api', API);
      expect(await client.call('api:echo', { a: 1 })).toEqual({ a: 1 });
      expect(seen).toHaveLength(1);
      const [context] = seen;
      expect(context.type).toBe('wamp');
      expect(context.className).toBe('GuardedService');
      expect(context.handlerName).toBe('echo');
      expect(context.client.id).toBe(client.sessionId);
      expect(context.pattern).toBe(`${API}echo`);
      expect(context.invocation).toMatchObject({ kind: 'call', uri: `${API}echo`, args: [{ a: 1 }] });
      expect(context.roles).toEqual(['admin']);
    });

    it('a guard that returns false answers the call with unauthorized', async () => {
      const client = await server.connect();
      expect(await client.call(`${API}deniable`, 'ok')).toBe('allowed ok');
      await expect(client.call(`${API}deniable`, 'deny')).rejects.toMatchObject({
        uri: WampErrorUri.unauthorized,
        desc: 'unauthorized',
      });
    });

    it('a guard that throws a WampException answers with that error', async () => {
      const client = await server.connect();
      await expect(client.call(`${API}guard-throws`)).rejects.toMatchObject({
        uri: 'http://example.com/error#guarded',
        desc: 'guard says no',
        details: { why: 'test' },
      });
    });

    it('guards decide subscribe and publish: a denied one is dropped silently', async () => {
      const client = await server.connect();
      client.subscribe(`${EVENT}open`, () => undefined);
      client.subscribe(`${EVENT}denied`, () => undefined);
      client.publish(`${EVENT}denied`, 'never');
      client.publish(`${EVENT}open`, 'sentinel');
      expect(await client.nextEvent(`${EVENT}open`)).toBe('sentinel');
      expect(client.received).toEqual([{ topic: `${EVENT}open`, event: 'sentinel' }]);
      const kinds = seen.filter((context) => context.client.id === client.sessionId).map((context) => context.invocation.kind);
      expect(kinds).toEqual(['subscribe', 'subscribe', 'publish', 'publish']);
    });

    it('global guards run for WAMP handlers too, and can tell them apart', async () => {
      const before = GlobalCountingGuard.wampInvocations;
      const client = await server.connect();
      await client.call(`${API}double`, 1);
      expect(GlobalCountingGuard.wampInvocations).toBe(before + 1);
    });
  });

  describe('interceptors', () => {
    it('map the result', async () => {
      const client = await server.connect();
      expect(await client.call(`${API}double`, 21)).toBe(42);
    });

    it('rewrite the arguments before the handler (clj-wamp :on-before)', async () => {
      const client = await server.connect();
      expect(await client.call(`${API}sum`, 1, 2)).toBe(103);
    });

    it('turn an error into a result (clj-wamp :on-after-error)', async () => {
      const client = await server.connect();
      expect(await client.call(`${API}fails`)).toBe('fallback');
    });

    it('global interceptors apply, reading the invocation', async () => {
      const client = await server.connect();
      expect(await client.call(`${API}tagged`)).toEqual({ tagged: 1 });
    });
  });

  describe('pipes', () => {
    it('a parameter pipe transforms, and its BadRequest becomes invalid-argument', async () => {
      const client = await server.connect();
      expect(await client.call(`${API}parse`, '41')).toBe(42);
      await expect(client.call(`${API}parse`, 'abc')).rejects.toMatchObject({
        uri: WampErrorUri.invalidArgument,
        desc: 'Validation failed (numeric string is expected)',
      });
    });

    it('a method pipe applies to every positional argument', async () => {
      const client = await server.connect();
      expect(await client.call(`${API}shout`, 'hello', 'wamp')).toBe('HELLO WAMP');
    });
  });

  describe('exception filters', () => {
    it('a method filter turns an exception into a result', async () => {
      const client = await server.connect();
      expect(await client.call(`${API}filtered`)).toEqual({ caught: 'http://example.com/error#x', kind: 'call' });
    });

    it('a global filter sees WAMP errors and can rethrow them to the client', async () => {
      const before = GlobalFilter.wampErrors;
      const client = await server.connect();
      await expect(client.call(`${API}unfiltered`)).rejects.toMatchObject({ uri: 'http://example.com/error#y', desc: 'y' });
      expect(GlobalFilter.wampErrors).toBe(before + 1);
    });
  });
});
