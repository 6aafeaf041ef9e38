import { checkClientMessage, ROUTER_ONLY_MESSAGES, type SessionPhase } from '../../../src/protocol/v2/client-rules.js';
import { ERROR_REQUEST_TYPES, MESSAGE_NAMES, MessageCode } from '../../../src/protocol/v2/message-code.js';

const PHASES: SessionPhase[] = ['closed', 'challenging', 'established', 'shutting-down'];
const CODES = Object.values(MessageCode);
const REQUESTS = [
  MessageCode.Publish,
  MessageCode.Subscribe,
  MessageCode.Unsubscribe,
  MessageCode.Call,
  MessageCode.Cancel,
  MessageCode.Register,
  MessageCode.Unregister,
  MessageCode.Yield,
];

const action = (phase: SessionPhase, type: MessageCode, requestType?: MessageCode): string =>
  checkClientMessage(phase, { type, requestType }).action;

describe('checkClientMessage: what a router accepts from a client, and when', () => {
  it('the router-to-client messages are a violation in every phase', () => {
    expect([...ROUTER_ONLY_MESSAGES].map((code) => MESSAGE_NAMES[code]).sort()).toEqual([
      'CHALLENGE',
      'EVENT',
      'INTERRUPT',
      'INVOCATION',
      'PUBLISHED',
      'REGISTERED',
      'RESULT',
      'SUBSCRIBED',
      'UNREGISTERED',
      'UNSUBSCRIBED',
      'WELCOME',
    ]);
    for (const phase of PHASES) {
      for (const code of ROUTER_ONLY_MESSAGES) {
        expect(checkClientMessage(phase, { type: code })).toEqual({
          action: 'abort',
          reason: `${MESSAGE_NAMES[code]} is sent by routers only`,
        });
      }
    }
  });

  it('ABORT is taken in every phase', () => {
    for (const phase of PHASES) expect(action(phase, MessageCode.Abort)).toBe('handle');
  });

  it('before the session: only HELLO (GOODBYE, ERROR, AUTHENTICATE and every request are protocol errors)', () => {
    expect(action('closed', MessageCode.Hello)).toBe('handle');
    for (const code of [MessageCode.Goodbye, MessageCode.Error, MessageCode.Authenticate, ...REQUESTS]) {
      expect(checkClientMessage('closed', { type: code })).toEqual({
        action: 'abort',
        reason: `${MESSAGE_NAMES[code]} before the session was established (HELLO expected)`,
      });
    }
  });

  it('after CHALLENGE: only AUTHENTICATE (a second HELLO and any request fail the session)', () => {
    expect(action('challenging', MessageCode.Authenticate)).toBe('handle');
    for (const code of [MessageCode.Hello, MessageCode.Goodbye, MessageCode.Error, ...REQUESTS]) {
      expect(action('challenging', code)).toBe('abort');
    }
  });

  it('established: every request, GOODBYE, and ERROR for an INVOCATION', () => {
    for (const code of [...REQUESTS, MessageCode.Goodbye]) expect(action('established', code)).toBe('handle');
    expect(action('established', MessageCode.Error, MessageCode.Invocation)).toBe('handle');
  });

  it('established: a second HELLO, an AUTHENTICATE without CHALLENGE, an ERROR for anything but an INVOCATION are violations', () => {
    expect(checkClientMessage('established', { type: MessageCode.Hello })).toEqual({
      action: 'abort',
      reason: 'HELLO after the session was established',
    });
    expect(action('established', MessageCode.Authenticate)).toBe('abort');
    for (const requestType of ERROR_REQUEST_TYPES.filter((type) => type !== MessageCode.Invocation)) {
      expect(checkClientMessage('established', { type: MessageCode.Error, requestType })).toEqual({
        action: 'abort',
        reason: `ERROR for a ${MESSAGE_NAMES[requestType]} request: a client answers only INVOCATION`,
      });
    }
  });

  it('while the router waits for the client’s GOODBYE: GOODBYE and ABORT are taken, everything else ignored', () => {
    expect(action('shutting-down', MessageCode.Goodbye)).toBe('handle');
    for (const code of [MessageCode.Hello, MessageCode.Authenticate, MessageCode.Error, ...REQUESTS]) {
      expect(action('shutting-down', code)).toBe('ignore');
    }
  });

  it('gives a verdict for every code in every phase', () => {
    for (const phase of PHASES) for (const code of CODES) expect(['handle', 'ignore', 'abort']).toContain(action(phase, code));
  });

  it('takes a request error as its request type (an invalid URI is answered only once the session is established)', () => {
    expect(action('established', MessageCode.Call)).toBe('handle');
    expect(action('closed', MessageCode.Call)).toBe('abort');
  });
});
