import type { WampCounters } from '../core/wamp-counters.js';
import { CloseCode } from '../core/close-codes.js';
import { encodeEvent } from '../protocol/encode.js';
import type { Payload } from '../protocol/v2/messages.js';
import { RandomIdGenerator } from '../protocol/v2/id-generators.js';
import type { ServerSession } from '../session/server-session.js';
import { type TextFrame, textFrame } from '../websocket/frames.js';
import type { BackplaneMessage, WampBackplane } from './backplane.js';
import type { DeliveryFilter } from './delivery-filter.js';
import { Recipients } from './delivery-filter.js';
import type { TopicIndex } from './topic-index.js';
import { NO_EVENT, V2Event } from './v2-event.js';
import type { PrefixSubscription } from './v2-subscriptions.js';

/** What the v2 broker lends the dispatcher to serve v2 subscribers (`serveV2`). */
export interface Wamp2Delivery {
  /** The v2 name of a server topic: `EVENT.Details.topic` for a prefix subscription. */
  toV2(topic: string): string;
  /**
   * The subscribe rule that governs a topic now, compared by identity with the rule that
   * authorized each member of a prefix subscription: a topic under another rule (a more specific
   * pattern, an exact rule, none) is not delivered to it.
   */
  ruleOf(topic: string): unknown;
  /** Whether a session's permissions let it subscribe to a topic (asked per member of a prefix subscription, per event). */
  mayReceive(session: ServerSession, topic: string): boolean;
}

/** What a v2 PUBLISH adds to a publication. */
export interface Wamp2Publication {
  readonly publication: number;
  /** Its `Arguments` and `ArgumentsKw`, when they are not just `[event]`. */
  readonly payload?: Payload;
}

/** A remote message's scope when it came on the topic's own channel: the topic's subscribers, not the prefix subscriptions. */
const TOPIC_ONLY = null;

/** A topic's subscribe rule not asked for yet (a rule may be `undefined`: no rule). */
const NOT_LOOKED_UP = Symbol('not looked up');

/**
 * Sends EVENTs to the subscribers of a topic, here and, through the backplane, on the other
 * instances. The v1 frame is serialized once per publish and the same bytes go to every v1
 * recipient; v2 recipients get one `[EVENT, subscription, publication, details, args, kwargs]`
 * per subscription, shared by all its members (`V2Event`), built only when one is there.
 */
export class EventDispatcher {
  private v2: Wamp2Delivery | undefined = undefined;
  private readonly publicationIds = new RandomIdGenerator();

  constructor(
    private readonly topics: TopicIndex,
    private readonly backplane: WampBackplane,
    private readonly slowConsumer: { readonly highWaterMark: number; readonly action: 'drop' | 'close' },
    private readonly counters: WampCounters,
  ) {}

  /**
   * Serves v2 subscribers from now on (the v2 broker calls it once): publications get a
   * publication id (carried to the other instances), and prefix subscriptions are watched on the
   * backplane.
   */
  serveV2(delivery: Wamp2Delivery): void {
    this.v2 = delivery;
    this.topics.v2.prefixActivity = {
      activated: (prefix) => this.backplane.watchPrefix?.(prefix),
      deactivated: (prefix) => this.backplane.unwatchPrefix?.(prefix),
    };
  }

  /** A new publication id (a v2 PUBLISH draws its own before publishing, to acknowledge it). */
  newPublicationId(): number {
    return this.publicationIds.nextId();
  }

  /**
   * Publishes an event to every eligible subscriber of every instance (of this one only when
   * `local`). `event` is the publication as v1 sees it; `v2` what a v2 PUBLISH adds. Returns how
   * many sessions of this instance it was sent to.
   */
  publish(topic: string, event: unknown, filter: DeliveryFilter = {}, local = false, v2?: Wamp2Publication): number {
    const frame = encodeEvent(topic, event);
    const message: BackplaneMessage =
      this.v2 === undefined
        ? { topic, frame, filter }
        : { topic, frame, filter, publication: v2?.publication ?? this.publicationIds.nextId(), payload: v2?.payload };
    // The other instances first: their deliveries then overlap with this instance's, instead of
    // waiting for them (the Redis round trip is off the critical path of a cross-instance fan-out).
    if (!local) this.backplane.publish(message);
    return this.deliverLocally(message, event, undefined);
  }

  /** An event another instance published: for this instance's subscribers only. */
  readonly receive = (message: BackplaneMessage): void => {
    this.deliverLocally(message, NO_EVENT, message.prefix ?? TOPIC_ONLY);
  };

  /**
   * Whether a session reads fast enough to be sent another event: above the high-water mark of
   * bytes waiting in its socket buffer, the event is dropped for it (counted), or it is closed.
   */
  private admits(session: ServerSession): boolean {
    if (!session.isOpen) return false;
    const buffered = session.bufferedAmount;
    if (buffered > this.counters.maxBufferedBytes) this.counters.maxBufferedBytes = buffered;
    if (buffered <= this.slowConsumer.highWaterMark) return true;
    if (this.slowConsumer.action === 'close') {
      this.counters.refuse('slow-consumer');
      session.close(CloseCode.policyViolation, 'slow consumer');
    } else {
      this.counters.eventsDropped++;
    }
    return false;
  }

  /**
   * Delivers to this instance's subscribers: those of the topic (`scope` undefined or `TOPIC_ONLY`)
   * and the prefix subscriptions matching it (`scope` undefined: all of them, as for a local
   * publication; a string: the ones on exactly that prefix, for a message that came through its
   * watch). `event` is the v1 event when known (`NO_EVENT` for a remote message: read from the
   * frame if a v2 subscriber needs it).
   */
  private deliverLocally(message: BackplaneMessage, event: unknown, scope: string | null | undefined): number {
    const recipients = Recipients.of(message.filter);
    if (!recipients) return 0;
    const { topic } = message;
    const subscriptions = this.topics.v2;
    const v2Event =
      this.v2 !== undefined && (subscriptions.exact(topic) !== undefined || subscriptions.prefixes.size > 0)
        ? new V2Event(message, event, this.publicationIds)
        : undefined;
    let delivered = scope === undefined || scope === TOPIC_ONLY ? this.deliverToTopic(message, recipients, v2Event) : 0;
    if (v2Event && scope !== TOPIC_ONLY && subscriptions.prefixes.size > 0) delivered += this.deliverToPrefixes(v2Event, recipients, scope);
    this.counters.eventsDelivered += delivered;
    return delivered;
  }

  /** The topic's subscribers of both protocols: one v1 frame for the v1 ones, one v2 frame (the topic's exact subscription) for the others. */
  private deliverToTopic(message: BackplaneMessage, recipients: Recipients, v2Event: V2Event | undefined): number {
    const subscribers = this.topics.subscribers(message.topic);
    if (!subscribers) return 0;
    // Each becomes a WebSocket frame once, for the first recipient, and goes to all as it is.
    let frame: TextFrame | undefined;
    let v2Frame: TextFrame | null | undefined;
    let delivered = 0;
    for (const session of subscribers) {
      if (!recipients.admits(session) || !this.admits(session)) continue;
      if (session.v2 === undefined) {
        session.send((frame ??= textFrame(message.frame)));
      } else {
        if (v2Frame === undefined) v2Frame = this.exactFrame(message.topic, v2Event);
        if (v2Frame === null) continue;
        session.send(v2Frame);
      }
      delivered++;
    }
    return delivered;
  }

  private exactFrame(topic: string, v2Event: V2Event | undefined): TextFrame | null {
    const subscription = this.topics.v2.exact(topic);
    const event = subscription && v2Event?.forSubscription(subscription.id);
    return event === undefined ? null : textFrame(event);
  }

  /**
   * The prefix subscriptions matching the topic (or the one on `only`). A member receives the event
   * when the topic is still governed by the subscribe rule that authorized it and its permissions
   * let it subscribe to the topic: a prefix subscription never carries an event its member could
   * not have subscribed to exactly.
   */
  private deliverToPrefixes(v2Event: V2Event, recipients: Recipients, only: string | undefined): number {
    const delivery = this.v2!;
    const { topic } = v2Event;
    // Looked up once, and only when a prefix subscription matches the topic.
    let rule: unknown = NOT_LOOKED_UP;
    let details: { readonly topic: string } | undefined;
    let delivered = 0;
    const deliver = (subscription: PrefixSubscription): void => {
      if (rule === NOT_LOOKED_UP) rule = delivery.ruleOf(topic);
      let frame: TextFrame | null | undefined;
      subscription.members.forEach((authorizedBy, session) => {
        if (authorizedBy !== rule || frame === null || !recipients.admits(session) || !delivery.mayReceive(session, topic)) return;
        if (!this.admits(session)) return;
        if (frame === undefined) {
          const event = v2Event.forSubscription(subscription.id, (details ??= { topic: delivery.toV2(topic) }));
          frame = event === undefined ? null : textFrame(event);
          if (frame === null) return;
        }
        session.send(frame);
        delivered++;
      });
    };
    const index = this.topics.v2.prefixes;
    if (only === undefined) index.forEachMatch(topic, deliver);
    else if (topic.startsWith(only)) {
      const subscription = index.get(only);
      if (subscription) deliver(subscription);
    }
    return delivered;
  }
}
