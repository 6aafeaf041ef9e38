export { WampTestClient, WampHandshakeError, type WampTestClientOptions, type ReceivedEvent } from './wamp-test-client.js';
export { WampClient, type WampEventHandler, type WampCloseEvent } from '../client/wamp-client.js';
export { WampCallError } from '../client/wamp-call-error.js';
export type { WebSocketLike } from '../client/websocket-like.js';
export { authSign, deriveKey, signChallengeAsAutobahn, type WampCraAuthExtra } from '../client/wamp-cra-signing.js';
export { startWampTestingApp, type WampTestingApp, type WampTestableApp, type WampTestableModule } from './wamp-testing-app.js';
