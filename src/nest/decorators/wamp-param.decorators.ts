import type { PipeTransform, Type } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import type { WampSession as WampSessionShape } from '../../core/wamp-session.js';
import { WampParamtype } from '../wamp.constants.js';
import { KWARGS } from '../wamp-params.factory.js';

type Pipe = Type<PipeTransform> | PipeTransform;

/** Records a parameter in the metadata format Nest's context creators read. */
function wampParam(type: number, data?: number | typeof KWARGS, pipes: Pipe[] = []): ParameterDecorator {
  return (target, key, index) => {
    if (key === undefined) throw new Error('WAMP parameter decorators belong on methods, not constructors');
    const params = Reflect.getMetadata(ROUTE_ARGS_METADATA, target.constructor, key) ?? {};
    Reflect.defineMetadata(ROUTE_ARGS_METADATA, { ...params, [`${type}:${index}`]: { index, data, pipes } }, target.constructor, key);
  };
}

/** One WAMP session, as handlers, guards and hooks see it (the type of `@WampSession()`). */
export type WampSession = WampSessionShape;

/** The `WampSession` the message came from. */
export const WampSession = (): ParameterDecorator => wampParam(WampParamtype.Session);

/** All arguments of a call, as an array (for variadic procedures). Pipes apply to the array. */
export const WampArgs = (...pipes: Pipe[]): ParameterDecorator => wampParam(WampParamtype.Payload, undefined, pipes);

/** One argument of a call, by position. Pipes apply to it. */
export const WampArg = (index: number, ...pipes: Pipe[]): ParameterDecorator => wampParam(WampParamtype.Payload, index, pipes);

/**
 * The keyword arguments of a WAMP v2 call (`ArgumentsKw`) as an object; `{}` when it sent none,
 * and for v1 calls, which have none. Pipes apply to it.
 */
export const WampKwargs = (...pipes: Pipe[]): ParameterDecorator => wampParam(WampParamtype.Payload, KWARGS, pipes);

/** The event of a publication. Pipes apply to it. */
export const WampEvent = (...pipes: Pipe[]): ParameterDecorator => wampParam(WampParamtype.Payload, undefined, pipes);

/** The resolved URI: the topic of a subscription or publication, the procedure of a call. */
export const WampTopic = (): ParameterDecorator => wampParam(WampParamtype.Topic);

/** The call id of a call: what `WampBroker.sendCallResult` answers to. */
export const WampCallId = (): ParameterDecorator => wampParam(WampParamtype.CallId);
