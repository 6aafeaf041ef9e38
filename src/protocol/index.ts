export * from './message-type.js';
export * from './messages.js';
export * from './decode.js';
export * from './encode.js';
export * from './curie.js';
export * from './uri-pattern.js';
export * from './error-uris.js';
export * from './session-id.js';
