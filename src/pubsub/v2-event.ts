import { MessageType } from '../protocol/message-type.js';
import type { RandomIdGenerator } from '../protocol/v2/id-generators.js';
import type { Dict } from '../protocol/v2/messages.js';
import { PreparedEvent } from '../protocol/v2/prepared-event.js';
import type { BackplaneMessage } from './backplane.js';

/** The v1 event of a publication is not known yet (a remote message): it is read from the frame when needed. */
export const NO_EVENT: unique symbol = Symbol('no event');

/**
 * One publication as v2 subscribers get it, prepared on first need and shared by every v2
 * subscription it reaches on this instance: `Arguments` and `ArgumentsKw` are the v2 publisher's
 * when it sent more than `[event]`, else `[event]` (the v1 event, read from the v1 frame for a
 * message of another instance or of `WampEmitter`). The publication id is the publisher's, or
 * drawn here for a message that carries none.
 */
export class V2Event {
  private prepared: PreparedEvent | null | undefined = undefined;

  constructor(
    private readonly message: BackplaneMessage,
    private readonly event: unknown,
    private readonly ids: RandomIdGenerator,
  ) {}

  get topic(): string {
    return this.message.topic;
  }

  /** The EVENT for one subscription; undefined when the frame holds no event to read (garbage from the backplane). */
  forSubscription(subscription: number, details?: Dict): string | undefined {
    if (this.prepared === undefined) this.prepared = this.prepare();
    return this.prepared?.forSubscription(subscription, details);
  }

  private prepare(): PreparedEvent | null {
    const { payload, publication } = this.message;
    const id = publication ?? this.ids.nextId();
    try {
      if (payload) return new PreparedEvent(id, payload.args ?? [], payload.kwargs);
      const event = this.event === NO_EVENT ? eventOfFrame(this.message.frame) : this.event;
      return event === NO_EVENT ? null : new PreparedEvent(id, [event]);
    } catch {
      return null; // JSON cannot carry it: the v1 frame could, so this does not happen with a payload of ours
    }
  }
}

/** The event of a v1 `[8, topic, event]` frame; `NO_EVENT` when the frame is not one. */
function eventOfFrame(frame: string | Buffer): unknown {
  let message: unknown;
  try {
    message = JSON.parse(typeof frame === 'string' ? frame : frame.toString('utf8'));
  } catch {
    return NO_EVENT;
  }
  if (!Array.isArray(message) || message.length !== 3 || message[0] !== MessageType.Event) return NO_EVENT;
  return message[2] as unknown;
}
