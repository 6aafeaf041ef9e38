export * from './websocket-like.js';
export * from './wamp-call-error.js';
export * from './wamp-client.js';
export * from './wamp-cra-signing.js';
