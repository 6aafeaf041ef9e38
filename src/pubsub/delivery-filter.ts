import type { PublishMessage } from '../protocol/messages.js';

/**
 * Which subscribers of a topic an event goes to: (subscribers ∩ eligible) − exclude, with no
 * eligible list meaning every subscriber and an empty one meaning nobody (AutobahnPython's
 * rules, which AutobahnTestsuite's exclude/eligible matrix checks). A list names sessions by
 * either id: the v1 id, or the v2 id in decimal (`"4503599627370496"`), which never equals a v1
 * id (22 characters, see `session-id.ts`), so one list (and the backplane's wire) serves both.
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

/** A session as a filter sees it: its two ids (`v2Id` absent in tests of v1 rules). */
export interface FilteredSession {
  readonly id: string;
  readonly v2Id?: number;
}

/** The longest decimal form of a v2 id (2^53 has 16 digits); v1 ids have 22 characters. */
const MAX_V2_ID_DIGITS = 16;
const DECIMAL_ID = /^[1-9][0-9]*$/;

/** The v2 id a list entry names in decimal, or undefined when it is a v1 id (or no id at all). */
export function v2IdOf(entry: string): number | undefined {
  if (entry.length > MAX_V2_ID_DIGITS || !DECIMAL_ID.test(entry)) return undefined;
  const id = Number(entry);
  return id <= 2 ** 53 ? id : undefined;
}

/**
 * A filter made ready for one delivery: the lists as sets, built once per publication, so that
 * each recipient costs a Set probe per list (two when the list holds v2 ids too), and nothing is
 * allocated per recipient.
 */
export class Recipients {
  private static readonly everyone = new Recipients(undefined, undefined, undefined, undefined);

  private constructor(
    private readonly excluded: ReadonlySet<string> | undefined,
    private readonly excludedV2: ReadonlySet<number> | undefined,
    private readonly eligible: ReadonlySet<string> | undefined,
    private readonly eligibleV2: ReadonlySet<number> | undefined,
  ) {}

  /** The recipients a filter lets through; undefined when it lets nobody through (an empty eligible list). */
  static of(filter: DeliveryFilter): Recipients | undefined {
    const { exclude, eligible } = filter;
    if (eligible?.length === 0) return undefined;
    if (!exclude?.length && !eligible) return Recipients.everyone;
    return new Recipients(
      exclude?.length ? new Set(exclude) : undefined,
      exclude?.length ? v2Ids(exclude) : undefined,
      eligible && new Set(eligible),
      eligible && v2Ids(eligible),
    );
  }

  admits(session: FilteredSession): boolean {
    const { v2Id } = session;
    if (this.eligible !== undefined && !this.eligible.has(session.id) && !(v2Id !== undefined && this.eligibleV2?.has(v2Id))) return false;
    if (this.excluded === undefined) return true;
    return !this.excluded.has(session.id) && !(v2Id !== undefined && this.excludedV2?.has(v2Id));
  }
}

/** The v2 ids among a list's entries; undefined when there are none (a v1 list costs no second probe). */
function v2Ids(entries: readonly string[]): Set<number> | undefined {
  let ids: Set<number> | undefined;
  for (const entry of entries) {
    const id = v2IdOf(entry);
    if (id !== undefined) (ids ??= new Set()).add(id);
  }
  return ids;
}
