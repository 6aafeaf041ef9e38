/** The WAMP v2 codec (`wamp.2.json`): message types, decoding, encoding, IDs, URIs and error URIs. Pure: no Nest, no sockets. */
export * from './message-code.js';
export type * from './messages.js';
export { isId, MAX_ID } from './id.js';
export { RandomIdGenerator, RequestIdSequence, RouterScopeIdGenerator, SessionScopeIdGenerator } from './id-generators.js';
export { isReservedUri, isValidUri, type UriMatch, type UriRule } from './uri.js';
export { isDict } from './dict.js';
export { WampClose, WampError, type WampCloseUri, type WampErrorUri } from './error-uris.js';
export {
  decodeFrame,
  decodeMessage,
  type DecodeOptions,
  type DecodeResult,
  type ProtocolViolation,
  type RequestError,
  type UriRequestType,
} from './decode.js';
export { checkClientMessage, ROUTER_ONLY_MESSAGES, type ClientMessageVerdict, type SessionPhase } from './client-rules.js';
export * from './encode.js';
export { encodePayload } from './payload.js';
export { PreparedEvent } from './prepared-event.js';
export * from './wampcra.js';
