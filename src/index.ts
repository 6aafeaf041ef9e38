// The public API of nest-wamp. Everything users import comes from here (or from
// 'nest-wamp/testing', 'nest-wamp/platform-ws', 'nest-wamp/redis', 'nest-wamp/emitter',
// 'nest-wamp/prometheus' and 'nest-wamp/terminus').
import 'reflect-metadata';

// Module and options
export { WampModule } from './nest/wamp.module.js';
export { WAMP_MODULE_OPTIONS } from './nest/wamp.module-definition.js';
export type {
  WampModuleOptions,
  WampTopicRule,
  WampLimits,
  WampSlowConsumerOptions,
  WampCompressionOptions,
  WampV2Options,
} from './config/wamp-module-options.js';
export type { WampUriPair } from './protocol/uri-map.js';
export {
  WAMP_CALL_OUTCOMES,
  type WampStats,
  type RefusalKind,
  type HandshakeRefusalKind,
  type WampCallOutcome,
  type WampBackplaneState,
  type WampServerState,
} from './core/wamp-counters.js';
export { WAMP_CALL_DURATION_BUCKETS, type WampDurationHistogram } from './core/duration-histogram.js';
export { WampOptionsError } from './core/wamp-options-error.js';
export type { WampOriginRule } from './transport/handshake.js';
export type { WampTraceEntry, WampTraceLevel, WampTraceOptions, WampTraceSink } from './transport/frame-trace.js';

// Handlers
export { WampRpc, WampSubscribe, WampPublish, type WampHandlerOptions } from './nest/decorators/wamp-handler.decorators.js';
export { WampSession, WampArgs, WampArg, WampKwargs, WampEvent, WampTopic, WampCallId } from './nest/decorators/wamp-param.decorators.js';
export { WampException, type WampExceptionOptions } from './core/wamp-exception.js';
export { WampDelivery, type WampPublishDecision } from './router/publish-decision.js';
export { WampRegistrationError } from './router/handler-registry.js';
export { isWampContext, getWampInvocation } from './nest/wamp-context.js';
export { WAMP_CONTEXT_TYPE } from './nest/wamp.constants.js';
export type {
  WampInvocation,
  WampActionKind,
  WampCallInvocation,
  WampSubscribeInvocation,
  WampPublishInvocation,
} from './core/invocation.js';

// Authentication and permissions
export type { WampAuthOptions, WampSecret, WampHandshakeIdentity } from './auth/wamp-auth-options.js';
export type { WampPermissions, WampCategoryPermission } from './core/wamp-permissions.js';
export type { ExpandedPermissions } from './auth/cra-authenticator.js';
export { CraProcedure, CraError } from './protocol/cra-uris.js';
export { WampPermissionGuard } from './nest/wamp-permission.guard.js';

// Lifecycle hooks
export type {
  OnWampSessionOpen,
  OnWampSessionClose,
  OnWampSubscribed,
  OnWampUnsubscribed,
  OnWampPublished,
  OnWampCallResult,
  OnWampCallError,
  WampPublication,
  WampCallErrorInfo,
} from './router/wamp-hooks.js';
export type { WampHandshake, WampCloseInfo, WampIdentity, WampAuthState, WampProtocolVersion } from './core/wamp-session.js';

// Sending from the server
export { WampBroker, type WampRecipients, type WampSessionIds } from './broker/wamp-broker.js';
export type { WampCluster, WampClusterSession, WampClusterListener } from './cluster/wamp-cluster.js';
export type { ClusterBus, ClusterRequest, ClusterResponder } from './cluster/cluster-bus.js';
export {
  WampRegistry,
  type WampRuntimeProcedure,
  type WampRuntimeSubscribeRule,
  type WampRuntimePublishRule,
} from './nest/wamp.registry.js';
export type { DeliveryFilter } from './pubsub/delivery-filter.js';
export { MemoryBackplane, type WampBackplane, type BackplaneMessage, type BackplaneSink } from './pubsub/backplane.js';

// Protocol constants
export { WampErrorUri, WampErrorDescription } from './protocol/error-uris.js';
export { CloseCode } from './core/close-codes.js';
export { NEST_WAMP_VERSION } from './version.js';
