export { WampWsAdapter } from './wamp-ws.adapter.js';
