/**
 * The close codes a session ends with: the WebSocket ones (RFC 6455, 7.4.1) this server sends or
 * reports for what it received, and WAMP's for a session the application killed.
 */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  unsupportedData: 1003,
  /** Reported for a close frame without a code; never sent. */
  noStatus: 1005,
  /** Reported for a connection that ended without a close frame; never sent. */
  abnormal: 1006,
  invalidPayload: 1007,
  policyViolation: 1008,
  messageTooBig: 1009,
  internalError: 1011,
  /** Application-requested end of a session (a `WampException` with `kill`), as AutobahnPython. */
  killed: 3000,
} as const;

/** Whether a close frame may carry this code (RFC 6455 7.4; 1004-1006 and 1015 never go on the wire). */
export function isSendableCloseCode(code: number): boolean {
  return (
    Number.isInteger(code) &&
    ((code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999))
  );
}
