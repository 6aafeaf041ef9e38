export * from './handshake.js';
export * from './wamp-websocket-server.js';
export * from './session-binding.js';
