import { encodeError } from '../../protocol/v2/encode.js';
import { WampError } from '../../protocol/v2/error-uris.js';
import { MessageCode } from '../../protocol/v2/message-code.js';
import type {
  CallMessage,
  CancelMessage,
  ErrorMessage,
  RegisterMessage,
  UnregisterMessage,
  YieldMessage,
} from '../../protocol/v2/messages.js';
import type { ServerSession } from '../../session/server-session.js';
import type { Wamp2Context } from './wamp2-context.js';

/** The v2 dealer: CALL to the server's procedures and to procedures v2 clients registered, REGISTER, UNREGISTER, YIELD. */
export class Wamp2Dealer {
  constructor(private readonly context: Wamp2Context) {}

  call(session: ServerSession, message: CallMessage): void {
    session.send(encodeError(MessageCode.Call, message.request, {}, WampError.noSuchProcedure));
  }

  cancel(_session: ServerSession, _message: CancelMessage): void {}

  register(session: ServerSession, message: RegisterMessage): void {
    session.send(encodeError(MessageCode.Register, message.request, {}, WampError.featureNotSupported));
  }

  unregister(session: ServerSession, message: UnregisterMessage): void {
    session.send(encodeError(MessageCode.Unregister, message.request, {}, WampError.noSuchRegistration));
  }

  /** A callee's answer to an INVOCATION. */
  yield(_session: ServerSession, _message: YieldMessage): void {}

  /** A callee's ERROR for an INVOCATION. */
  invocationError(_session: ServerSession, _message: ErrorMessage): void {}

  /** The session is gone: forget its registrations, and fail the calls waiting for it. */
  closed(_session: ServerSession): void {
    void this.context;
  }
}
