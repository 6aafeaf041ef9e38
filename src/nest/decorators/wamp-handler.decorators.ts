import type { WampActionKind } from '../../core/invocation.js';
import { WAMP_HANDLER_METADATA } from '../wamp.constants.js';

/** What a WAMP handler decorator records on its method. */
export interface WampHandlerMetadata {
  readonly kind: WampActionKind;
  readonly uri: string;
  /** The URI's WAMP v2 name, when it differs (`WampHandlerOptions.v2`). */
  readonly v2?: string;
}

/** What a handler decorator may say besides its URI. */
export interface WampHandlerOptions {
  /**
   * The name WAMP v2 clients use for the URI (`'app.rpc.add'` for `'http://app/rpc#add'`; for a
   * prefix pattern, a prefix ending in `*`). Without it, the `v2.uris` option's pairs decide, and
   * without a pair there either, v2 clients use the URI as it is.
   */
  readonly v2?: string;
}

function wampHandler(kind: WampActionKind) {
  return (uri: string, options: WampHandlerOptions = {}): MethodDecorator =>
    (_target, _key, descriptor) => {
      const method = descriptor.value as object;
      const previous: WampHandlerMetadata[] = Reflect.getOwnMetadata(WAMP_HANDLER_METADATA, method) ?? [];
      const metadata: WampHandlerMetadata = options.v2 === undefined ? { kind, uri } : { kind, uri, v2: options.v2 };
      Reflect.defineMetadata(WAMP_HANDLER_METADATA, [...previous, metadata], method);
      return descriptor;
    };
}

/**
 * Serves the procedure `uri` (an exact URI). The call's arguments are the method's
 * parameters, in order, unless parameter decorators say otherwise. The returned value,
 * Promise or Observable becomes the CALLRESULT; a thrown `WampException` the CALLERROR.
 */
export const WampRpc = wampHandler('call');

/**
 * Decides SUBSCRIBE to topics matching `uri` (exact, `prefix*` or `*`): a truthy result (or
 * Promise/Observable of one) allows the subscription, anything else denies it silently.
 */
export const WampSubscribe = wampHandler('subscribe');

/**
 * Handles PUBLISH to topics matching `uri`: return `true` to deliver as published, a
 * `WampDelivery` to deliver a rewritten event or recipient lists, or `false`/`null`/nothing
 * to drop the publication.
 */
export const WampPublish = wampHandler('publish');
