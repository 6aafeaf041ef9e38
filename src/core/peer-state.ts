/**
 * The one lifecycle of a peer, which its WebSocket connection keeps and its session reads:
 * `open`; `closing` from the first close frame either way (or the peer's FIN, or a cut), after
 * which nothing more is handled or sent but the closing handshake; `closed` once the socket is
 * gone and the session has been forgotten.
 */
export type PeerState = 'open' | 'closing' | 'closed';
