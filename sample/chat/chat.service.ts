import { Injectable } from '@nestjs/common';
import {
  WampBroker,
  WampDelivery,
  WampEvent,
  WampPublish,
  WampSession,
  WampSubscribe,
  type OnWampSubscribed,
  type OnWampUnsubscribed,
} from 'nest-wamp';
import { CHAT_TOPIC } from '../uris.js';

const MAX_MESSAGE_LENGTH = 140;

/** Who a chat event is about: the session's v1 id (`clientId`), its v2 id (`sessionId`), and its name. */
export interface ChatUser {
  readonly clientId: string;
  readonly sessionId: number;
  readonly username: string;
}

/** The name shown in the chat: the session's auth key, or an anonymous name from its id. */
export function usernameOf(session: { readonly id: string; readonly authKey?: string | null }): string {
  return session.authKey ?? `anonymous-${session.id.slice(0, 6)}`;
}

function userOf(session: WampSession): ChatUser {
  return { clientId: session.id, sessionId: session.v2Id, username: usernameOf({ id: session.id, authKey: session.identity?.authKey }) };
}

/**
 * The chat room of clj-wamp-example: the server stamps every message with who sent it, and
 * tells the room who joins and leaves. The room spans every instance: the newcomer's user list
 * comes from `WampBroker.cluster`, and the joins, leaves and messages cross the backplane.
 */
@Injectable()
export class ChatService implements OnWampSubscribed, OnWampUnsubscribed {
  constructor(private readonly broker: WampBroker) {}

  @WampSubscribe(CHAT_TOPIC)
  canJoin(): boolean {
    return true;
  }

  @WampPublish(CHAT_TOPIC)
  onMessage(@WampEvent() event: unknown, @WampSession() session: WampSession): WampDelivery | false {
    const message = typeof (event as { message?: unknown })?.message === 'string' ? (event as { message: string }).message : '';
    if (message.length === 0) return false;
    return new WampDelivery({ type: 'message', message: message.slice(0, MAX_MESSAGE_LENGTH), ...userOf(session) });
  }

  async onWampSubscribed(session: WampSession, topic: string): Promise<void> {
    if (topic !== CHAT_TOPIC) return;
    this.broker.publish(CHAT_TOPIC, { type: 'user-joined', ...userOf(session) }, { exclude: [session.id] });
    const members = await this.broker.cluster.sessions(CHAT_TOPIC);
    const users = members.map((member): ChatUser => ({ clientId: member.id, sessionId: member.v2Id, username: usernameOf(member) }));
    this.broker.publish(CHAT_TOPIC, { type: 'user-list', users }, { eligible: [session.id], local: true });
  }

  onWampUnsubscribed(session: WampSession, topic: string): void {
    if (topic !== CHAT_TOPIC) return;
    this.broker.publish(CHAT_TOPIC, { type: 'user-left', ...userOf(session) });
  }
}
