import { MESSAGE_NAMES, MessageCode } from './message-code.js';

/**
 * Where a router's session with one client stands, as the spec's session state chart has it
 * from the router's side: `closed` (no session: waiting for HELLO, also after a GOODBYE
 * exchange when the transport is reused), `challenging` (CHALLENGE sent, waiting for
 * AUTHENTICATE), `established` (WELCOME sent), `shutting-down` (the router sent GOODBYE and
 * waits for the client's).
 */
export type SessionPhase = 'closed' | 'challenging' | 'established' | 'shutting-down';

/** What the router does with a client's message: handle it, drop it unanswered, or abort the session as a protocol violation. */
export type ClientMessageVerdict =
  { readonly action: 'handle' } | { readonly action: 'ignore' } | { readonly action: 'abort'; readonly reason: string };

const HANDLE: ClientMessageVerdict = { action: 'handle' };
const IGNORE: ClientMessageVerdict = { action: 'ignore' };

/** What a client asks of an established session (each with its own request id). */
export const CLIENT_REQUESTS: ReadonlySet<MessageCode> = new Set([
  MessageCode.Publish,
  MessageCode.Subscribe,
  MessageCode.Unsubscribe,
  MessageCode.Call,
  MessageCode.Cancel,
  MessageCode.Register,
  MessageCode.Unregister,
]);

/** The requests and answers (YIELD and ERROR, to the router's INVOCATIONs) a client sends within an established session. */
const SESSION_MESSAGES: ReadonlySet<MessageCode> = new Set([...CLIENT_REQUESTS, MessageCode.Error, MessageCode.Yield]);

/** What only a router sends: a client sending one of these commits a protocol violation in any phase. */
export const ROUTER_ONLY_MESSAGES: ReadonlySet<MessageCode> = new Set([
  MessageCode.Welcome,
  MessageCode.Challenge,
  MessageCode.Published,
  MessageCode.Subscribed,
  MessageCode.Unsubscribed,
  MessageCode.Event,
  MessageCode.Result,
  MessageCode.Registered,
  MessageCode.Unregistered,
  MessageCode.Invocation,
  MessageCode.Interrupt,
]);

/**
 * Whether a client may send this message now. Enforces the direction of each message (a
 * client's WELCOME, EVENT, RESULT, ... is a violation), the spec's list of protocol errors
 * (a second HELLO, GOODBYE or ERROR or a request before the session is established, an
 * ERROR answering anything but an INVOCATION, since a client answers nothing else), and the
 * state chart: AUTHENTICATE only after CHALLENGE, ABORT at any time, and everything but
 * GOODBYE and ABORT ignored while the router waits for the client's GOODBYE. Takes a
 * decoded message or a request error's `{ type: requestType }`.
 */
export function checkClientMessage(
  phase: SessionPhase,
  message: { readonly type: MessageCode; readonly requestType?: MessageCode },
): ClientMessageVerdict {
  const { type } = message;
  const name = MESSAGE_NAMES[type];
  if (ROUTER_ONLY_MESSAGES.has(type)) return abort(`${name} is sent by routers only`);
  if (type === MessageCode.Abort) return HANDLE;
  switch (phase) {
    case 'closed':
      return type === MessageCode.Hello ? HANDLE : abort(`${name} before the session was established (HELLO expected)`);
    case 'challenging':
      return type === MessageCode.Authenticate ? HANDLE : abort(`${name} while authenticating (AUTHENTICATE expected)`);
    case 'shutting-down':
      return type === MessageCode.Goodbye ? HANDLE : IGNORE;
    case 'established':
      if (type === MessageCode.Hello) return abort('HELLO after the session was established');
      if (type === MessageCode.Authenticate) return abort('AUTHENTICATE without a CHALLENGE');
      if (type === MessageCode.Goodbye) return HANDLE;
      if (type === MessageCode.Error && message.requestType !== MessageCode.Invocation) {
        return abort(
          `ERROR for a ${message.requestType === undefined ? 'missing' : MESSAGE_NAMES[message.requestType]} request: a client answers only INVOCATION`,
        );
      }
      return SESSION_MESSAGES.has(type) ? HANDLE : abort(`${name} is not a message a client sends`);
  }
}

function abort(reason: string): ClientMessageVerdict {
  return { action: 'abort', reason };
}
