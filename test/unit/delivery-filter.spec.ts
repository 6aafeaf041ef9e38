import { decodeClientMessage } from '../../src/protocol/decode.js';
import { MessageType } from '../../src/protocol/message-type.js';
import type { PublishMessage } from '../../src/protocol/messages.js';
import { type DeliveryFilter, type FilteredSession, publishFilter, Recipients } from '../../src/pubsub/delivery-filter.js';

/**
 * Section 1.7 of wamp-v1.md: P is the publisher and is subscribed, S is the other subscriber.
 * O is a session that exists but is not subscribed; X is an id no session has.
 */
const P = 'sessionP0000000000000p';
const S = 'sessionS0000000000000s';
const O = 'sessionO0000000000000o';
const X = 'no-such-session';

interface Peer {
  readonly id: string;
}

const peerP: Peer = { id: P };
const peerS: Peer = { id: S };
const subscribers: ReadonlySet<Peer> = new Set([peerP, peerS]);

type Receivers = readonly ('P' | 'S')[];

/** Calls `visit` for each subscriber a filter lets through, in the set's order (as the dispatcher walks a topic's subscribers). */
function forEachRecipient<S extends FilteredSession>(
  subscribers: ReadonlySet<S>,
  filter: DeliveryFilter,
  visit: (subscriber: S) => void,
): void {
  const recipients = Recipients.of(filter);
  if (recipients) for (const subscriber of subscribers) if (recipients.admits(subscriber)) visit(subscriber);
}

/** Decodes the PUBLISH wire frame, applies publishFilter, and names who receives the event. */
function receiversOf(frame: unknown[], excludeMeByDefault: boolean): Receivers {
  const decoded = decodeClientMessage(JSON.stringify(frame));
  if (!decoded.ok || decoded.message.type !== MessageType.Publish) {
    throw new Error(`not a PUBLISH: ${JSON.stringify(frame)}`);
  }
  const filter = publishFilter(decoded.message, P, excludeMeByDefault);
  const names: ('P' | 'S')[] = [];
  forEachRecipient(subscribers, filter, (peer) => names.push(peer.id === P ? 'P' : 'S'));
  return names;
}

const t = 'http://example.com/simple';
const e = { msg: 'hello' };

/**
 * [label, wire frame, receivers with excludeMeByDefault = false, receivers with excludeMeByDefault = true]
 *
 * The `false` column is the decision for nest-wamp's default: the publisher gets its own event
 * unless it asks otherwise (clj-wamp, Ratchet and the spec's wording), and the lists follow
 * AutobahnPython: receivers = (subscribers ∩ eligible) − exclude, an empty eligible list means
 * nobody, an exclude list replaces excludeMe and the publisher is not added to it.
 * The `true` column is the AutobahnPython 0.8 column of the table.
 */
const TABLE: [string, unknown[], Receivers, Receivers][] = [
  // rows of the section 1.7 table, in its order
  ['[7,t,e]', [7, t, e], ['P', 'S'], ['S']],
  ['[7,t,e,true]', [7, t, e, true], ['S'], ['S']],
  ['[7,t,e,false]', [7, t, e, false], ['P', 'S'], ['P', 'S']],
  ['[7,t,e,null]', [7, t, e, null], ['P', 'S'], ['S']],
  ['[7,t,e,[]]', [7, t, e, []], ['P', 'S'], ['P', 'S']],
  ['[7,t,e,[sid(P)]]', [7, t, e, [P]], ['S'], ['S']],
  ['[7,t,e,[sid(S)]]', [7, t, e, [S]], ['P'], ['P']],
  ['[7,t,e,[],[sid(P)]]', [7, t, e, [], [P]], ['P'], ['P']],
  ['[7,t,e,[sid(P)],[sid(P),sid(S)]]', [7, t, e, [P], [P, S]], ['S'], ['S']],
  ['[7,t,e,[],[]]', [7, t, e, [], []], [], []],
  ['[7,t,e,true,[sid(P),sid(S)]]', [7, t, e, true, [P, S]], ['S'], ['S']],
  ['[7,t,e,false,[sid(S)]]', [7, t, e, false, [S]], ['S'], ['S']],
  // "(or other non-bool, non-list)": other 4th elements keep the default
  ['[7,t,e,"yes"] (a truthy string is not a boolean)', [7, t, e, 'yes'], ['P', 'S'], ['S']],
  ['[7,t,e,0]', [7, t, e, 0], ['P', 'S'], ['S']],
  ['[7,t,e,1]', [7, t, e, 1], ['P', 'S'], ['S']],
  ['[7,t,e,{}]', [7, t, e, {}], ['P', 'S'], ['S']],
  // more shapes
  ['[7,t,e,[sid(P),sid(S)]]', [7, t, e, [P, S]], [], []],
  ['[7,t,e,[unknown id]] (unknown ids ignored)', [7, t, e, [X]], ['P', 'S'], ['P', 'S']],
  ['[7,t,e,[sid(O)]] (excluding a non-subscriber changes nothing)', [7, t, e, [O]], ['P', 'S'], ['P', 'S']],
  ['[7,t,e,[],[sid(S)]]', [7, t, e, [], [S]], ['S'], ['S']],
  ['[7,t,e,[],[sid(P),sid(S)]]', [7, t, e, [], [P, S]], ['P', 'S'], ['P', 'S']],
  ['[7,t,e,[],[unknown id]] (eligible nobody subscribed)', [7, t, e, [], [X]], [], []],
  ['[7,t,e,[],[sid(O)]] (eligible session not subscribed)', [7, t, e, [], [O]], [], []],
  ['[7,t,e,[sid(S)],[sid(S)]]', [7, t, e, [S], [S]], [], []],
  ['[7,t,e,[sid(P)],[sid(P)]]', [7, t, e, [P], [P]], [], []],
  ['[7,t,e,[sid(S)],[sid(P),sid(S)]]', [7, t, e, [S], [P, S]], ['P'], ['P']],
  ['[7,t,e,true,[]]', [7, t, e, true, []], [], []],
  ['[7,t,e,false,[]]', [7, t, e, false, []], [], []],
  ['[7,t,e,true,[sid(P)]]', [7, t, e, true, [P]], [], []],
  ['[7,t,e,false,[sid(P),sid(S)]]', [7, t, e, false, [P, S]], ['P', 'S'], ['P', 'S']],
  ['[7,t,e,null,[sid(P),sid(S)]] (null keeps the default)', [7, t, e, null, [P, S]], ['P', 'S'], ['S']],
  ['[7,t,e,null,[]]', [7, t, e, null, []], [], []],
  ['[7,t,e,[],null] (non-list eligible ignored)', [7, t, e, [], null], ['P', 'S'], ['P', 'S']],
  ['[7,t,e,[sid(P)],"x"] (non-list eligible ignored)', [7, t, e, [P], 'x'], ['S'], ['S']],
  ['[7,t,e,true,null]', [7, t, e, true, null], ['S'], ['S']],
  ['[7,t,e,[1,sid(P)]] (non-string entries dropped)', [7, t, e, [1, P]], ['S'], ['S']],
  ['[7,t,e,[],[null,sid(S)]] (non-string entries dropped)', [7, t, e, [], [null, S]], ['S'], ['S']],
  ['[7,t,e,[],[1,2]] (only non-strings: empty eligible = nobody)', [7, t, e, [], [1, 2]], [], []],
  ['[7,t,e,[sid(P),sid(P)]] (duplicates harmless)', [7, t, e, [P, P]], ['S'], ['S']],
];

describe('PUBLISH delivery table (wamp-v1.md section 1.7)', () => {
  it.each(TABLE)('%s, excludeMeByDefault = false', (_label, frame, receivers) => {
    expect(receiversOf(frame, false)).toStrictEqual(receivers);
  });

  it.each(TABLE.map(([label, frame, , receivers]) => [label, frame, receivers] as const))(
    '%s, excludeMeByDefault = true (AutobahnPython)',
    (_label, frame, receivers) => {
      expect(receiversOf(frame, true)).toStrictEqual(receivers);
    },
  );
});

describe('AutobahnTestsuite WAMP v1 exclude/eligible matrix (cases 2.3.*/2.4.*), excludeMeByDefault = true', () => {
  /**
   * SETTINGS1 of wampcase2_2_x_x.py: excludeMe × exclude × eligible = 3 × 5 × 5 = 75 rows, two
   * subscribed peers P and S. The wire frame is what AutobahnPython's client publish() sends.
   */
  type ExcludeMe = boolean | undefined;
  const excludeMes: ExcludeMe[] = [undefined, true, false];
  const lists: (readonly string[] | undefined)[] = [undefined, [], [P], [S], [P, S]];

  function autobahnPythonClientFrame(excludeMe: ExcludeMe, exclude?: readonly string[], eligible?: readonly string[]): unknown[] {
    if (exclude !== undefined || eligible !== undefined) {
      const effectiveExclude = exclude ?? (excludeMe === false ? [] : [P]);
      return eligible !== undefined ? [7, t, e, effectiveExclude, eligible] : [7, t, e, effectiveExclude];
    }
    return excludeMe ? [7, t, e] : [7, t, e, excludeMe ?? null];
  }

  /** The suite's expectation: (subscribers ∩ eligible) − exclude, exclude defaulting from excludeMe. */
  function expected(excludeMe: ExcludeMe, exclude?: readonly string[], eligible?: readonly string[]): Receivers {
    const excluded = exclude ?? (excludeMe === false ? [] : [P]);
    return (['P', 'S'] as const).filter((name) => {
      const id = name === 'P' ? P : S;
      return (eligible === undefined || eligible.includes(id)) && !excluded.includes(id);
    });
  }

  const name = (list: readonly string[] | undefined): string =>
    list === undefined ? '-' : `[${list.map((id) => (id === P ? 'P' : 'S')).join(',')}]`;

  const rows = excludeMes.flatMap((excludeMe) =>
    lists.flatMap((exclude) =>
      lists.map(
        (eligible) =>
          [`excludeMe=${String(excludeMe)} exclude=${name(exclude)} eligible=${name(eligible)}`, excludeMe, exclude, eligible] as const,
      ),
    ),
  );

  it('has 75 rows', () => {
    expect(rows).toHaveLength(75);
  });

  it.each(rows)('%s', (_label, excludeMe, exclude, eligible) => {
    const frame = autobahnPythonClientFrame(excludeMe, exclude, eligible);
    expect(receiversOf(frame, true)).toStrictEqual(expected(excludeMe, exclude, eligible));
  });
});

describe('publishFilter', () => {
  type Message = Pick<PublishMessage, 'excludeMe' | 'exclude' | 'eligible'>;

  it.each<[string, Message, boolean, { exclude: string[]; eligible?: string[] }]>([
    ['nothing, default false', {}, false, { exclude: [] }],
    ['nothing, default true', {}, true, { exclude: [P] }],
    ['excludeMe true, default false', { excludeMe: true }, false, { exclude: [P] }],
    ['excludeMe false, default true', { excludeMe: false }, true, { exclude: [] }],
    ['exclude list replaces excludeMe true', { excludeMe: true, exclude: [S] }, false, { exclude: [S] }],
    ['empty exclude list replaces the default true', { exclude: [] }, true, { exclude: [] }],
    ['exclude list: publisher not added', { exclude: [O] }, true, { exclude: [O] }],
    ['eligible list kept', { eligible: [S] }, false, { exclude: [], eligible: [S] }],
    ['empty eligible list kept', { eligible: [] }, true, { exclude: [P], eligible: [] }],
    ['both lists', { exclude: [P], eligible: [P, S] }, false, { exclude: [P], eligible: [P, S] }],
  ])('%s', (_name, message, excludeMeByDefault, filter) => {
    expect(publishFilter(message, P, excludeMeByDefault)).toStrictEqual(filter);
  });

  it('has no eligible key when the client sent no eligible list', () => {
    expect(publishFilter({ excludeMe: true }, P, false)).not.toHaveProperty('eligible');
  });

  it('copies the lists, so later changes to the message do not leak in', () => {
    const exclude = [S];
    const eligible = [P, S];
    const filter = publishFilter({ exclude, eligible }, P, false);
    expect(filter.exclude).not.toBe(exclude);
    expect(filter.eligible).not.toBe(eligible);
    exclude.push(P);
    eligible.length = 0;
    expect(filter).toStrictEqual({ exclude: [S], eligible: [P, S] });
  });
});

describe('Recipients (walked over a subscriber set)', () => {
  const a = { id: 'a' };
  const b = { id: 'b' };
  const c = { id: 'c' };
  const all: ReadonlySet<{ id: string }> = new Set([a, b, c]);

  const visit = (filter: DeliveryFilter, set: ReadonlySet<{ id: string }> = all): string[] => {
    const ids: string[] = [];
    forEachRecipient(set, filter, (subscriber) => ids.push(subscriber.id));
    return ids;
  };

  it.each<[string, DeliveryFilter, string[]]>([
    ['no filter: everyone', {}, ['a', 'b', 'c']],
    ['empty exclude: everyone', { exclude: [] }, ['a', 'b', 'c']],
    ['exclude one', { exclude: ['b'] }, ['a', 'c']],
    ['exclude all', { exclude: ['a', 'b', 'c'] }, []],
    ['exclude unknown ids', { exclude: ['x', 'y'] }, ['a', 'b', 'c']],
    ['empty eligible: nobody', { eligible: [] }, []],
    ['empty eligible with empty exclude: nobody', { exclude: [], eligible: [] }, []],
    ['eligible subset', { eligible: ['c', 'a'] }, ['a', 'c']],
    ['eligible unknown only: nobody', { eligible: ['x'] }, []],
    ['eligible minus exclude', { eligible: ['a', 'b'], exclude: ['a'] }, ['b']],
    ['exclude wins over eligible', { eligible: ['a'], exclude: ['a'] }, []],
    ['ids compare exactly (case-sensitive)', { exclude: ['A'], eligible: ['a', 'B'] }, ['a']],
  ])('%s', (_name, filter, ids) => {
    expect(visit(filter)).toStrictEqual(ids);
  });

  it('visits in the subscriber set order, each subscriber once', () => {
    expect(visit({ eligible: ['a', 'b', 'c', 'a'] }, new Set([c, a, b]))).toStrictEqual(['c', 'a', 'b']);
  });

  it('visits nobody when there are no subscribers', () => {
    expect(visit({}, new Set())).toStrictEqual([]);
    expect(visit({ eligible: ['a'] }, new Set())).toStrictEqual([]);
  });

  it('passes the subscriber objects themselves', () => {
    const seen: unknown[] = [];
    forEachRecipient(all, { exclude: ['b'] }, (subscriber) => seen.push(subscriber));
    expect(seen[0]).toBe(a);
    expect(seen[1]).toBe(c);
  });
});
