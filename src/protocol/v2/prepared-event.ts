import { MessageCode } from './message-code.js';
import type { Dict } from './messages.js';
import { encodePayload } from './payload.js';

const EVENT_HEAD = `[${MessageCode.Event},`;

/**
 * One publication's EVENT, encoded for fan-out. An EVENT differs per subscription (its
 * `Subscription|id`, and for pattern-based subscriptions its `Details.topic`), so the parts
 * that do not are serialized once, when prepared: `,Publication,` and `Arguments, ArgumentsKw]`.
 * Each subscription's EVENT is then a concatenation around its id and details; the router
 * sends that one string (one WebSocket frame) to every subscriber of the subscription, since
 * a subscription id is shared by all subscribers of a topic. Equal to `encodeEvent` with the
 * same fields.
 */
export class PreparedEvent {
  private readonly publicationPart: string;
  private readonly payloadPart: string;

  /** Throws, as `encodeEvent` does, when JSON cannot carry the payload. */
  constructor(
    readonly publication: number,
    args?: readonly unknown[],
    kwargs?: Dict,
  ) {
    this.publicationPart = `,${publication},`;
    this.payloadPart = `${encodePayload(args, kwargs)}]`;
  }

  /** The EVENT for one subscription; `details` defaults to `{}`. */
  forSubscription(subscription: number, details?: Dict): string {
    const detailsJson = details === undefined ? '{}' : (JSON.stringify(details) ?? '{}');
    return EVENT_HEAD + subscription + this.publicationPart + detailsJson + this.payloadPart;
  }
}
