import type { PublishMessage } from '../protocol/messages.js';

/**
 * Which subscribers of a topic an event goes to: (subscribers ∩ eligible) − exclude, with no
 * eligible list meaning every subscriber and an empty one meaning nobody (AutobahnPython's
 * rules, which AutobahnTestsuite's exclude/eligible matrix checks).
 */
export interface DeliveryFilter {
  readonly exclude?: readonly string[];
  readonly eligible?: readonly string[];
}

/**
 * The filter a client's PUBLISH asks for. An exclude list is taken as given (the publisher is
 * not added to it); otherwise `excludeMe` decides, and when the client sent neither,
 * `excludeMeByDefault` does (false: the publisher gets its own event, as in clj-wamp, Ratchet
 * and the spec's wording; true: AutobahnPython's default).
 */
export function publishFilter(
  message: Pick<PublishMessage, 'excludeMe' | 'exclude' | 'eligible'>,
  publisherId: string,
  excludeMeByDefault: boolean,
): { exclude: string[]; eligible?: string[] } {
  const exclude = message.exclude ? [...message.exclude] : (message.excludeMe ?? excludeMeByDefault) ? [publisherId] : [];
  return message.eligible ? { exclude, eligible: [...message.eligible] } : { exclude };
}

/** Calls `visit` for each subscriber the filter lets through. */
export function forEachRecipient<S extends { readonly id: string }>(
  subscribers: ReadonlySet<S>,
  filter: DeliveryFilter,
  visit: (subscriber: S) => void,
): void {
  const exclude = filter.exclude?.length ? new Set(filter.exclude) : undefined;
  const eligible = filter.eligible ? new Set(filter.eligible) : undefined;
  if (eligible?.size === 0) return;
  for (const subscriber of subscribers) {
    if (eligible && !eligible.has(subscriber.id)) continue;
    if (exclude?.has(subscriber.id)) continue;
    visit(subscriber);
  }
}
