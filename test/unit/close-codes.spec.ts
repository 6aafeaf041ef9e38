import { CloseCode, isSendableCloseCode } from '../../src/core/close-codes.js';

describe('CloseCode', () => {
  it('has the WebSocket codes the server uses and WAMP killed (3000)', () => {
    expect(CloseCode).toMatchObject({
      normal: 1000,
      goingAway: 1001,
      protocolError: 1002,
      invalidPayload: 1007,
      policyViolation: 1008,
      messageTooBig: 1009,
      killed: 3000,
    });
  });

  it.each([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 4999])('%i may go on the wire', (code) => {
    expect(isSendableCloseCode(code)).toBe(true);
  });

  it.each([0, 999, 1004, 1005, 1006, 1015, 2999, 5000, 1000.5])('%d may not', (code) => {
    expect(isSendableCloseCode(code)).toBe(false);
  });
});
