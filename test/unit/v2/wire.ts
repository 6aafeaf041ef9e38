import { MessageCode } from '../../../src/protocol/v2/message-code.js';
import type { Payload, WampMessage } from '../../../src/protocol/v2/messages.js';

/** The wire form of a message, written straight from the spec's message definitions: the tests' oracle. */
export function toWire(m: WampMessage): unknown[] {
  switch (m.type) {
    case MessageCode.Hello:
      return [m.type, m.realm, m.details];
    case MessageCode.Welcome:
      return [m.type, m.session, m.details];
    case MessageCode.Abort:
      return withPayload([m.type, m.details, m.reason], m);
    case MessageCode.Challenge:
      return [m.type, m.authMethod, m.extra];
    case MessageCode.Authenticate:
      return [m.type, m.signature, m.extra];
    case MessageCode.Goodbye:
      return [m.type, m.details, m.reason];
    case MessageCode.Error:
      return withPayload([m.type, m.requestType, m.request, m.details, m.error], m);
    case MessageCode.Publish:
      return withPayload([m.type, m.request, m.options, m.topic], m);
    case MessageCode.Published:
      return [m.type, m.request, m.publication];
    case MessageCode.Subscribe:
      return [m.type, m.request, m.options, m.topic];
    case MessageCode.Subscribed:
      return [m.type, m.request, m.subscription];
    case MessageCode.Unsubscribe:
      return [m.type, m.request, m.subscription];
    case MessageCode.Unsubscribed:
      return [m.type, m.request];
    case MessageCode.Event:
      return withPayload([m.type, m.subscription, m.publication, m.details], m);
    case MessageCode.Call:
      return withPayload([m.type, m.request, m.options, m.procedure], m);
    case MessageCode.Cancel:
      return [m.type, m.request, m.options];
    case MessageCode.Result:
      return withPayload([m.type, m.request, m.details], m);
    case MessageCode.Register:
      return [m.type, m.request, m.options, m.procedure];
    case MessageCode.Registered:
      return [m.type, m.request, m.registration];
    case MessageCode.Unregister:
      return [m.type, m.request, m.registration];
    case MessageCode.Unregistered:
      return [m.type, m.request];
    case MessageCode.Invocation:
      return withPayload([m.type, m.request, m.registration, m.details], m);
    case MessageCode.Interrupt:
      return [m.type, m.request, m.options];
    case MessageCode.Yield:
      return withPayload([m.type, m.request, m.options], m);
  }
}

function withPayload(head: unknown[], { args, kwargs }: Payload): unknown[] {
  if (args !== undefined) head.push(args);
  if (kwargs !== undefined) head.push(kwargs);
  return head;
}
