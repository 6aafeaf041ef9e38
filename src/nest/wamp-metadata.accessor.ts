import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import type { WampHandlerMetadata } from './decorators/wamp-handler.decorators.js';
import { WAMP_HANDLER_METADATA } from './wamp.constants.js';

/** The one place that reads the metadata WAMP decorators wrote. */
export class WampMetadataAccessor {
  handlers(method: unknown): readonly WampHandlerMetadata[] {
    return typeof method === 'function' ? (Reflect.getMetadata(WAMP_HANDLER_METADATA, method) ?? []) : [];
  }

  /** Whether any parameter decorator (WAMP's or a custom one) describes the method's parameters. */
  hasParamDecorators(classRef: Function, methodName: string): boolean {
    const params = Reflect.getMetadata(ROUTE_ARGS_METADATA, classRef, methodName);
    return params !== undefined && Object.keys(params).length > 0;
  }

  /** The declared parameter types, when the compiler emitted decorator metadata. */
  paramTypes(instance: object, methodName: string): readonly unknown[] | undefined {
    return Reflect.getMetadata('design:paramtypes', instance, methodName);
  }
}
