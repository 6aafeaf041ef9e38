import type { ParamData } from '@nestjs/common';
import type { ParamsFactory } from '@nestjs/core';
import type { WampInvocation } from '../core/invocation.js';
import { WampParamtype } from './wamp.constants.js';

/** The `data` of the payload parameter that is a call's keyword arguments (`@WampKwargs()`). */
export const KWARGS = 'kwargs';

/**
 * Gives each WAMP parameter its value from the handler's context arguments
 * `[session, invocation, uri]`.
 */
export class WampParamsFactory implements ParamsFactory {
  exchangeKeyForValue(type: number, data: ParamData, args: unknown[]): unknown {
    const invocation = args[1] as WampInvocation;
    switch (type) {
      case WampParamtype.Session:
        return invocation.session;
      case WampParamtype.Topic:
        return invocation.uri;
      case WampParamtype.Payload:
        return payload(invocation, data);
      case WampParamtype.CallId:
        return invocation.kind === 'call' ? invocation.callId : undefined;
      case WampParamtype.Invocation:
        return invocation;
      default:
        return undefined;
    }
  }
}

/**
 * Without an index: a call's arguments, or a publication's event. With one: the positional
 * parameter at that index (see `positionalArgs`). `KWARGS`: a call's keyword arguments.
 */
function payload(invocation: WampInvocation, index: ParamData): unknown {
  if (typeof index === 'number') return positionalArgs(invocation)[index];
  if (index === KWARGS) return invocation.kind === 'call' ? (invocation.kwargs ?? {}) : undefined;
  return invocation.kind === 'call' ? invocation.args : invocation.kind === 'publish' ? invocation.event : undefined;
}

/**
 * What a handler without parameter decorators is given: a call's arguments, (topic, session)
 * for a subscription, (event, topic, session) for a publication.
 */
export function positionalArgs(invocation: WampInvocation): unknown[] {
  switch (invocation.kind) {
    case 'call':
      return invocation.args;
    case 'subscribe':
      return [invocation.uri, invocation.session];
    case 'publish':
      return [invocation.event, invocation.uri, invocation.session];
  }
}
