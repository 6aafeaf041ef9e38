export * from './invocation.js';
export * from './wamp-exception.js';
export * from './publish-decision.js';
export * from './call-error.js';
export * from './handler-registry.js';
export * from './wamp-hooks.js';
export * from './wamp-logger.js';
export * from './wamp-router.js';
