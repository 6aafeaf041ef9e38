import type { ErrorRequestType, MessageCode } from './message-code.js';
import type { UriMatch } from './uri.js';

/**
 * WAMP v2 messages as decoded: one interface per message type, discriminated by `type`.
 * Fields carry the spec's element names; dicts are the decoded JSON objects themselves,
 * typed with the attributes this codec checks (others pass through, as the spec asks unknown
 * attributes to be ignored). `args` and `kwargs` are absent when the message left them out.
 */

/** A `dict`: a plain JSON object with string keys. */
export type Dict = { readonly [key: string]: unknown };

/** `Arguments|list` and `ArgumentsKw|dict`, the application payload at the end of a message. */
export interface Payload {
  readonly args?: readonly unknown[];
  readonly kwargs?: Dict;
}

/** A feature dict of one role (`{ features: { ... } }` in the Advanced Profile, empty in the Basic one). */
export type RoleDetails = Dict;

/** HELLO.Details.roles: at least one of the four client roles. */
export interface ClientRoles extends Dict {
  readonly publisher?: RoleDetails;
  readonly subscriber?: RoleDetails;
  readonly caller?: RoleDetails;
  readonly callee?: RoleDetails;
}

/** HELLO.Details, with the attributes of role announcement, agent and authentication. */
export interface HelloDetails extends Dict {
  readonly roles: ClientRoles;
  readonly agent?: string;
  readonly authmethods?: readonly string[];
  readonly authid?: string;
  readonly authrole?: string;
  readonly authextra?: Dict;
}

/** WELCOME.Details.roles: at least one of the two router roles. */
export interface RouterRoles extends Dict {
  readonly broker?: RoleDetails;
  readonly dealer?: RoleDetails;
}

/** WELCOME.Details: the router's roles, and the authentication that is now in effect. */
export interface WelcomeDetails extends Dict {
  readonly roles: RouterRoles;
  readonly agent?: string;
  readonly authid?: string;
  readonly authrole?: string;
  readonly authmethod?: string;
  readonly authprovider?: string;
  readonly authextra?: Dict;
}

/** PUBLISH.Options: `acknowledge` (Basic Profile), publisher exclusion and black/white listing by session id. */
export interface PublishOptions extends Dict {
  readonly acknowledge?: boolean;
  readonly exclude_me?: boolean;
  readonly exclude?: readonly number[];
  readonly eligible?: readonly number[];
}

/** SUBSCRIBE.Options and REGISTER.Options: the matching policy of a pattern-based subscription or registration. */
export interface MatchOptions extends Dict {
  readonly match?: UriMatch;
}

/** `[HELLO, Realm|uri, Details|dict]` */
export interface HelloMessage {
  readonly type: typeof MessageCode.Hello;
  readonly realm: string;
  readonly details: HelloDetails;
}

/** `[WELCOME, Session|id, Details|dict]` */
export interface WelcomeMessage {
  readonly type: typeof MessageCode.Welcome;
  readonly session: number;
  readonly details: WelcomeDetails;
}

/** `[ABORT, Details|dict, Reason|uri, Arguments|list?, ArgumentsKw|dict?]` */
export interface AbortMessage extends Payload {
  readonly type: typeof MessageCode.Abort;
  readonly details: Dict;
  readonly reason: string;
}

/** `[CHALLENGE, AuthMethod|string, Extra|dict]` */
export interface ChallengeMessage {
  readonly type: typeof MessageCode.Challenge;
  readonly authMethod: string;
  readonly extra: Dict;
}

/** `[AUTHENTICATE, Signature|string, Extra|dict]` */
export interface AuthenticateMessage {
  readonly type: typeof MessageCode.Authenticate;
  readonly signature: string;
  readonly extra: Dict;
}

/** `[GOODBYE, Details|dict, Reason|uri]` */
export interface GoodbyeMessage {
  readonly type: typeof MessageCode.Goodbye;
  readonly details: Dict;
  readonly reason: string;
}

/** `[ERROR, REQUEST.Type|int, REQUEST.Request|id, Details|dict, Error|uri, Arguments|list?, ArgumentsKw|dict?]` */
export interface ErrorMessage extends Payload {
  readonly type: typeof MessageCode.Error;
  readonly requestType: ErrorRequestType;
  readonly request: number;
  readonly details: Dict;
  readonly error: string;
}

/** `[PUBLISH, Request|id, Options|dict, Topic|uri, Arguments|list?, ArgumentsKw|dict?]` */
export interface PublishMessage extends Payload {
  readonly type: typeof MessageCode.Publish;
  readonly request: number;
  readonly options: PublishOptions;
  readonly topic: string;
}

/** `[PUBLISHED, PUBLISH.Request|id, Publication|id]` */
export interface PublishedMessage {
  readonly type: typeof MessageCode.Published;
  readonly request: number;
  readonly publication: number;
}

/** `[SUBSCRIBE, Request|id, Options|dict, Topic|uri]` */
export interface SubscribeMessage {
  readonly type: typeof MessageCode.Subscribe;
  readonly request: number;
  readonly options: MatchOptions;
  readonly topic: string;
}

/** `[SUBSCRIBED, SUBSCRIBE.Request|id, Subscription|id]` */
export interface SubscribedMessage {
  readonly type: typeof MessageCode.Subscribed;
  readonly request: number;
  readonly subscription: number;
}

/** `[UNSUBSCRIBE, Request|id, SUBSCRIBED.Subscription|id]` */
export interface UnsubscribeMessage {
  readonly type: typeof MessageCode.Unsubscribe;
  readonly request: number;
  readonly subscription: number;
}

/** `[UNSUBSCRIBED, UNSUBSCRIBE.Request|id]` */
export interface UnsubscribedMessage {
  readonly type: typeof MessageCode.Unsubscribed;
  readonly request: number;
}

/** `[EVENT, SUBSCRIBED.Subscription|id, PUBLISHED.Publication|id, Details|dict, Arguments|list?, ArgumentsKw|dict?]` */
export interface EventMessage extends Payload {
  readonly type: typeof MessageCode.Event;
  readonly subscription: number;
  readonly publication: number;
  readonly details: Dict;
}

/** `[CALL, Request|id, Options|dict, Procedure|uri, Arguments|list?, ArgumentsKw|dict?]` */
export interface CallMessage extends Payload {
  readonly type: typeof MessageCode.Call;
  readonly request: number;
  readonly options: Dict;
  readonly procedure: string;
}

/** `[CANCEL, CALL.Request|id, Options|dict]` (Advanced Profile, call canceling) */
export interface CancelMessage {
  readonly type: typeof MessageCode.Cancel;
  readonly request: number;
  readonly options: Dict;
}

/** `[RESULT, CALL.Request|id, Details|dict, Arguments|list?, ArgumentsKw|dict?]` */
export interface ResultMessage extends Payload {
  readonly type: typeof MessageCode.Result;
  readonly request: number;
  readonly details: Dict;
}

/** `[REGISTER, Request|id, Options|dict, Procedure|uri]` */
export interface RegisterMessage {
  readonly type: typeof MessageCode.Register;
  readonly request: number;
  readonly options: MatchOptions;
  readonly procedure: string;
}

/** `[REGISTERED, REGISTER.Request|id, Registration|id]` */
export interface RegisteredMessage {
  readonly type: typeof MessageCode.Registered;
  readonly request: number;
  readonly registration: number;
}

/** `[UNREGISTER, Request|id, REGISTERED.Registration|id]` */
export interface UnregisterMessage {
  readonly type: typeof MessageCode.Unregister;
  readonly request: number;
  readonly registration: number;
}

/** `[UNREGISTERED, UNREGISTER.Request|id]` */
export interface UnregisteredMessage {
  readonly type: typeof MessageCode.Unregistered;
  readonly request: number;
}

/** `[INVOCATION, Request|id, REGISTERED.Registration|id, Details|dict, Arguments|list?, ArgumentsKw|dict?]` */
export interface InvocationMessage extends Payload {
  readonly type: typeof MessageCode.Invocation;
  readonly request: number;
  readonly registration: number;
  readonly details: Dict;
}

/** `[INTERRUPT, INVOCATION.Request|id, Options|dict]` (Advanced Profile, call canceling) */
export interface InterruptMessage {
  readonly type: typeof MessageCode.Interrupt;
  readonly request: number;
  readonly options: Dict;
}

/** `[YIELD, INVOCATION.Request|id, Options|dict, Arguments|list?, ArgumentsKw|dict?]` */
export interface YieldMessage extends Payload {
  readonly type: typeof MessageCode.Yield;
  readonly request: number;
  readonly options: Dict;
}

/** Every message this codec knows. */
export type WampMessage =
  | HelloMessage
  | WelcomeMessage
  | AbortMessage
  | ChallengeMessage
  | AuthenticateMessage
  | GoodbyeMessage
  | ErrorMessage
  | PublishMessage
  | PublishedMessage
  | SubscribeMessage
  | SubscribedMessage
  | UnsubscribeMessage
  | UnsubscribedMessage
  | EventMessage
  | CallMessage
  | CancelMessage
  | ResultMessage
  | RegisterMessage
  | RegisteredMessage
  | UnregisterMessage
  | UnregisteredMessage
  | InvocationMessage
  | InterruptMessage
  | YieldMessage;

/** The messages a client may send a router (which of them it may send when: see `checkClientMessage`). */
export type ClientMessage =
  | HelloMessage
  | AbortMessage
  | AuthenticateMessage
  | GoodbyeMessage
  | ErrorMessage
  | PublishMessage
  | SubscribeMessage
  | UnsubscribeMessage
  | CallMessage
  | CancelMessage
  | RegisterMessage
  | UnregisterMessage
  | YieldMessage;
