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

export interface ChatUser {
  readonly clientId: string;
  readonly username: string;
}

/** The name shown in the chat: the session's auth key, or an anonymous name from its id. */
export function usernameOf(session: WampSession): string {
  return session.identity?.authKey ?? `anonymous-${session.id.slice(0, 6)}`;
}

/**
 * The chat room of clj-wamp-example: the server stamps every message with who sent it, and
 * tells the room who joins and leaves.
 */
@Injectable()
export class ChatService implements OnWampSubscribed, OnWampUnsubscribed {
  /** Who is in the room, by session id, kept so that a leaving user's name is still known. */
  private readonly users = new Map<string, ChatUser>();

  constructor(private readonly broker: WampBroker) {}

  @WampSubscribe(CHAT_TOPIC)
  canJoin(): boolean {
    return true;
  }

  @WampPublish(CHAT_TOPIC)
  onMessage(@WampEvent() event: unknown, @WampSession() session: WampSession): WampDelivery | false {
    const message = typeof (event as { message?: unknown })?.message === 'string' ? (event as { message: string }).message : '';
    if (message.length === 0) return false;
    return new WampDelivery({
      type: 'message',
      message: message.slice(0, MAX_MESSAGE_LENGTH),
      username: usernameOf(session),
      clientId: session.id,
    });
  }

  onWampSubscribed(session: WampSession, topic: string): void {
    if (topic !== CHAT_TOPIC) return;
    const user: ChatUser = { clientId: session.id, username: usernameOf(session) };
    this.users.set(session.id, user);
    this.broker.publish(CHAT_TOPIC, { type: 'user-joined', ...user }, { exclude: [session.id] });
    const users = this.broker.subscribers(CHAT_TOPIC).flatMap((id) => this.users.get(id) ?? []);
    this.broker.publish(CHAT_TOPIC, { type: 'user-list', users }, { eligible: [session.id] });
  }

  onWampUnsubscribed(session: WampSession, topic: string): void {
    if (topic !== CHAT_TOPIC) return;
    const user = this.users.get(session.id) ?? { clientId: session.id, username: usernameOf(session) };
    this.users.delete(session.id);
    this.broker.publish(CHAT_TOPIC, { type: 'user-left', ...user });
  }
}
