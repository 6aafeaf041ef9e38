/** The nine WAMP v1 message type ids. */
export const MessageType = {
  Welcome: 0,
  Prefix: 1,
  Call: 2,
  CallResult: 3,
  CallError: 4,
  Subscribe: 5,
  Unsubscribe: 6,
  Publish: 7,
  Event: 8,
} as const;

export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** The version number WELCOME carries. */
export const WAMP_PROTOCOL_VERSION = 1;

/** The WebSocket subprotocol a WAMP v1 client offers and the server echoes. */
export const WAMP_SUBPROTOCOL = 'wamp';
