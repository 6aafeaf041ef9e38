// PUBLISH exclude/eligible semantics over real sockets, with two subscribed clients:
// P (the publisher) and S (the other subscriber).
//
// nest-wamp's rule (wamp-v1.md, sections 1.7 and 7.3):
//   receivers = (subscribers ∩ eligible) − exclude
// - no eligible list: every subscriber; eligible `[]`: nobody;
// - an exclude list replaces excludeMe (the publisher is not added to it);
// - excludeMe `true` → exclude [P]; `false` → exclude [];
// - no 4th element, or `null`/any non-boolean non-list 4th element → the default,
//   `excludeMeByDefault` (false: P gets its own event, as clj-wamp; true: as AutobahnPython).
// - session ids that belong to no session are ignored.
//
// To show that an event did NOT arrive, the same publisher sends a sentinel on a topic the
// subscriber has, the test waits for it, and then looks at everything received: events from one
// publisher reach a subscriber in order.
import { Injectable } from '@nestjs/common';
import { WampBroker, WampDelivery, WampModule, WampPublish, type WampModuleOptions, type WampPublishDecision } from '../../src/index.js';
import type { WampTestClient } from '../../src/testing/index.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { until } from '../support/until.js';

const MATRIX = 'http://example.com/matrix/';
const REWRITE = 'http://example.com/rewrite/';
const SUB_ONLY = 'http://example.com/sub-only';
const SENTINEL = '--sentinel--';

type Who = 'P' | 'S';
type WhoList = readonly Who[];

/**
 * `@WampPublish` on the rewrite topics: a string event (the sentinel) passes unchanged; an
 * object event says how the handler rewrites the publication (a `WampDelivery` with its own
 * exclude/eligible lists, or `false` to drop it).
 */
@Injectable()
class RewritingPublisher {
  @WampPublish(`${REWRITE}*`)
  rewrite(event: unknown): WampPublishDecision {
    if (typeof event === 'string') return true;
    const spec = event as { tag: string; drop?: boolean; exclude?: string[]; eligible?: string[] };
    if (spec.drop) return false;
    return new WampDelivery(spec.tag, { exclude: spec.exclude, eligible: spec.eligible });
  }
}

// ---------------------------------------------------------------------------------------------
// Section 1.7's table, as data. P/S are symbolic and replaced by the session ids at run time.
// The reference columns are what the three servers do (wamp-v1.md 1.7); `nestWamp` is what
// nest-wamp must do with `excludeMeByDefault` false (the default) and true.
// ---------------------------------------------------------------------------------------------

/** A symbolic wire value: 'P'/'S' inside lists stand for the session ids. */
type Sym = boolean | null | string | number | Record<string, unknown> | readonly unknown[];

interface TableRow {
  /** As written in section 1.7. */
  readonly wire: string;
  /** The elements after `event`. */
  readonly extra: readonly Sym[];
  readonly autobahnPython: WhoList;
  readonly cljWamp: WhoList;
  readonly ratchet: WhoList;
  readonly nestWamp: { readonly excludeMeByDefaultFalse: WhoList; readonly excludeMeByDefaultTrue: WhoList };
}

const row = (
  wire: string,
  extra: readonly Sym[],
  autobahnPython: WhoList,
  cljWamp: WhoList,
  ratchet: WhoList,
  excludeMeByDefaultFalse: WhoList,
  excludeMeByDefaultTrue: WhoList,
): TableRow => ({ wire, extra, autobahnPython, cljWamp, ratchet, nestWamp: { excludeMeByDefaultFalse, excludeMeByDefaultTrue } });

const SECTION_1_7_TABLE: readonly TableRow[] = [
  //   wire                                   extra                         AP          clj         Ratchet     nest(false)  nest(true)
  row('[7,t,e]', [], ['S'], ['P', 'S'], ['P', 'S'], ['P', 'S'], ['S']),
  row('[7,t,e,true]', [true], ['S'], ['S'], ['S'], ['S'], ['S']),
  row('[7,t,e,false]', [false], ['P', 'S'], ['P', 'S'], ['P', 'S'], ['P', 'S'], ['P', 'S']),
  row('[7,t,e,null]', [null], ['S'], ['P', 'S'], ['P', 'S'], ['P', 'S'], ['S']),
  row('[7,t,e,[]]', [[]], ['P', 'S'], ['P', 'S'], ['P', 'S'], ['P', 'S'], ['P', 'S']),
  row('[7,t,e,[sid(P)]]', [['P']], ['S'], ['S'], ['S'], ['S'], ['S']),
  row('[7,t,e,[sid(S)]]', [['S']], ['P'], ['P'], ['P'], ['P'], ['P']),
  row('[7,t,e,[],[sid(P)]]', [[], ['P']], ['P'], ['P'], ['P'], ['P'], ['P']),
  row('[7,t,e,[sid(P)],[sid(P),sid(S)]]', [['P'], ['P', 'S']], ['S'], ['P', 'S'], ['S'], ['S'], ['S']),
  row('[7,t,e,[],[]]', [[], []], [], [], ['P', 'S'], [], []),
  row('[7,t,e,true,[sid(P),sid(S)]]', [true, ['P', 'S']], ['S'], ['P', 'S'], ['S'], ['S'], ['S']),
  row('[7,t,e,false,[sid(S)]]', [false, ['S']], ['S'], ['S'], ['S'], ['S'], ['S']),
];

/** "Any other non-boolean non-list 4th element" keeps the default, like `null`. */
const OTHER_FOURTH_ELEMENTS: ReadonlyArray<{ readonly label: string; readonly value: Sym }> = [
  { label: 'the string "true"', value: 'true' },
  { label: 'the string ""', value: '' },
  { label: 'the number 1', value: 1 },
  { label: 'the number 0', value: 0 },
  { label: 'an object', value: { excludeMe: true } },
];

// ---------------------------------------------------------------------------------------------
// The generated matrix: excludeMe × exclude × eligible.
// ---------------------------------------------------------------------------------------------

const LISTS: ReadonlyArray<WhoList | undefined> = [undefined, [], ['P'], ['S'], ['P', 'S']];
const EXCLUDE_ME: ReadonlyArray<boolean | undefined> = [undefined, true, false];

interface Combination {
  readonly excludeMe?: boolean;
  readonly exclude?: WhoList;
  readonly eligible?: WhoList;
}

/** Every combination the wire can express: excludeMe and an exclude list share the 4th element. */
function combinations(): Combination[] {
  const result: Combination[] = [];
  for (const excludeMe of EXCLUDE_ME) {
    for (const exclude of LISTS) {
      if (excludeMe !== undefined && exclude !== undefined) continue;
      for (const eligible of LISTS) result.push({ excludeMe, exclude, eligible });
    }
  }
  return result;
}

/** The wire elements after `event`; `null` fills the 4th place when only eligible is given. */
function wireExtra({ excludeMe, exclude, eligible }: Combination): Sym[] {
  const fourth: Sym | undefined = exclude ?? excludeMe;
  if (eligible === undefined) return fourth === undefined ? [] : [fourth];
  return [fourth === undefined ? null : fourth, eligible];
}

/** The rule, computed independently of the server. */
function expectedReceivers({ excludeMe, exclude, eligible }: Combination, excludeMeByDefault: boolean): Who[] {
  const excluded: WhoList = exclude ?? ((excludeMe ?? excludeMeByDefault) ? ['P'] : []);
  const allowed: WhoList = eligible ?? ['P', 'S'];
  return (['P', 'S'] as const).filter((who) => allowed.includes(who) && !excluded.includes(who));
}

const show = (value: Sym | undefined): string =>
  value === undefined ? 'absent' : Array.isArray(value) ? `[${value.join(',')}]` : JSON.stringify(value);

function describeCombination(combination: Combination): string {
  const extra = wireExtra(combination).map(show);
  return `excludeMe=${show(combination.excludeMe)} exclude=${show(combination.exclude)} eligible=${show(combination.eligible)} → [7,t,e${extra.map((e) => `,${e}`).join('')}]`;
}

const SETTINGS: ReadonlyArray<{ readonly name: string; readonly excludeMeByDefault: boolean; readonly options: WampModuleOptions }> = [
  { name: 'excludeMeByDefault: false (the default)', excludeMeByDefault: false, options: {} },
  { name: 'excludeMeByDefault: true', excludeMeByDefault: true, options: { excludeMeByDefault: true } },
];

describe('section 1.7 table (data consistency)', () => {
  it('has the 12 rows of section 1.7', () => {
    expect(SECTION_1_7_TABLE).toHaveLength(12);
  });

  it('with excludeMeByDefault: true, nest-wamp is AutobahnPython on every row', () => {
    for (const entry of SECTION_1_7_TABLE) {
      expect({ wire: entry.wire, receivers: entry.nestWamp.excludeMeByDefaultTrue }).toEqual({
        wire: entry.wire,
        receivers: entry.autobahnPython,
      });
    }
  });

  it('with the default, nest-wamp differs from AutobahnPython only where the wire says nothing about P, and there it is clj-wamp', () => {
    for (const entry of SECTION_1_7_TABLE) {
      const silentAboutPublisher = entry.extra.length === 0 || entry.extra[0] === null;
      const reference = silentAboutPublisher ? entry.cljWamp : entry.autobahnPython;
      expect({ wire: entry.wire, receivers: entry.nestWamp.excludeMeByDefaultFalse }).toEqual({
        wire: entry.wire,
        receivers: reference,
      });
    }
  });
});

describe.each(SETTINGS)('PUBLISH exclude/eligible, $name', ({ excludeMeByDefault, options }) => {
  let server: TestServer;
  let broker: WampBroker;
  let P: WampTestClient;
  let S: WampTestClient;
  let topicCount = 0;
  const freshTopic = (base = MATRIX): string => `${base}t${++topicCount}`;

  beforeAll(async () => {
    server = await startApp({
      imports: [
        WampModule.forRoot({
          ...options,
          topics: {
            [`${MATRIX}*`]: true,
            [`${REWRITE}*`]: { subscribe: true },
            [SUB_ONLY]: { subscribe: true },
          },
        }),
      ],
      providers: [RewritingPublisher],
    });
    broker = server.app.get(WampBroker);
    [P, S] = await Promise.all([server.connect(), server.connect()]);
  });
  afterAll(() => server.close());

  const sid = (who: Who): string => (who === 'P' ? P.sessionId : S.sessionId);

  /** Replaces symbolic P/S in lists by the session ids. */
  const concrete = (value: Sym): unknown =>
    Array.isArray(value) ? value.map((entry) => (entry === 'P' || entry === 'S' ? sid(entry) : entry)) : value;

  /** Subscribes both clients over the wire and waits until the server has both subscriptions. */
  async function subscribeBoth(topic: string): Promise<void> {
    P.send([5, topic]);
    S.send([5, topic]);
    await until(() => broker.subscribers(topic).length === 2, `P and S subscribed to ${topic}`);
  }

  /**
   * On a fresh topic both clients are subscribed to: `act` publishes, then the same publisher
   * sends a sentinel both receive; returns what each client got on the topic, sentinel removed.
   */
  async function deliveries(act: (topic: string) => void, sentinelFrom: 'P' | 'broker', base = MATRIX): Promise<Record<Who, unknown[]>> {
    const topic = freshTopic(base);
    await subscribeBoth(topic);
    act(topic);
    if (sentinelFrom === 'P') P.send([7, topic, SENTINEL, false]);
    else expect(broker.publish(topic, SENTINEL)).toBe(2);
    await Promise.all([P.nextEvent(topic, 2000, (event) => event === SENTINEL), S.nextEvent(topic, 2000, (event) => event === SENTINEL)]);
    const result = { P: P.eventsOn(topic), S: S.eventsOn(topic) };
    // The sentinel came last, and exactly once, for both.
    for (const who of ['P', 'S'] as const) {
      expect(result[who].at(-1)).toBe(SENTINEL);
      expect(result[who].filter((event) => event === SENTINEL)).toHaveLength(1);
    }
    return { P: result.P.slice(0, -1), S: result.S.slice(0, -1) };
  }

  /** Who received `event` exactly once (and nothing else), as the expectation is written. */
  const asReceivers = (got: Record<Who, unknown[]>, event: unknown, receivers: WhoList): void => {
    expect(got).toEqual({
      P: receivers.includes('P') ? [event] : [],
      S: receivers.includes('S') ? [event] : [],
    });
  };

  /** Publishes `[7, t, e, ...extra]` from P and checks who got it. */
  async function expectPublish(extra: readonly Sym[], receivers: WhoList): Promise<void> {
    const event = { n: topicCount + 1, extra: extra.map(show) };
    const got = await deliveries((topic) => P.send([7, topic, event, ...extra.map(concrete)]), 'P');
    asReceivers(got, event, receivers);
  }

  describe('the 12 rows of section 1.7', () => {
    it.each(SECTION_1_7_TABLE)('$wire', async (entry) => {
      const receivers = excludeMeByDefault ? entry.nestWamp.excludeMeByDefaultTrue : entry.nestWamp.excludeMeByDefaultFalse;
      await expectPublish(entry.extra, receivers);
    });
  });

  describe('a 4th element that is neither a boolean nor a list keeps the default', () => {
    const byDefault: WhoList = excludeMeByDefault ? ['S'] : ['P', 'S'];

    it.each(OTHER_FOURTH_ELEMENTS)('[7,t,e,<$label>]', async ({ value }) => {
      await expectPublish([value], byDefault);
    });

    it.each(OTHER_FOURTH_ELEMENTS)('[7,t,e,<$label>,[sid(P),sid(S)]]', async ({ value }) => {
      await expectPublish([value, ['P', 'S']], byDefault);
    });
  });

  describe('generated matrix: excludeMe × exclude × eligible', () => {
    const all = combinations();

    it('covers every combination the wire can express (35)', () => {
      // 25 without excludeMe, 5 each for excludeMe true/false (no exclude list: same element).
      expect(all).toHaveLength(35);
    });

    it.each(all.map((combination) => ({ label: describeCombination(combination), combination })))('$label', async ({ combination }) => {
      await expectPublish(wireExtra(combination), expectedReceivers(combination, excludeMeByDefault));
    });
  });

  describe('session ids that belong to no session are ignored', () => {
    const cases: ReadonlyArray<{ readonly wire: string; readonly extra: readonly Sym[]; readonly receivers: WhoList }> = [
      { wire: '[7,t,e,[nobody]]', extra: [['nobody']], receivers: ['P', 'S'] },
      { wire: '[7,t,e,[nobody,sid(P)]]', extra: [['nobody', 'P']], receivers: ['S'] },
      { wire: '[7,t,e,[],[nobody,sid(S)]]', extra: [[], ['nobody', 'S']], receivers: ['S'] },
      { wire: '[7,t,e,[nobody],[nobody]]', extra: [['nobody'], ['nobody']], receivers: [] },
      { wire: '[7,t,e,true,[nobody,sid(P),sid(S)]]', extra: [true, ['nobody', 'P', 'S']], receivers: ['S'] },
    ];

    it.each(cases)('$wire', async ({ extra, receivers }) => {
      await expectPublish(extra, receivers);
    });

    it('[7,t,e,[123,sid(P)]]: list entries that are not strings match nobody', async () => {
      await expectPublish([[123, 'P']], ['S']);
    });
  });

  describe('server-initiated: WampBroker.publish(topic, event, { exclude, eligible })', () => {
    const brokerCases: Array<{ label: string; exclude?: WhoList; eligible?: WhoList; receivers: Who[] }> = [];
    for (const exclude of LISTS) {
      for (const eligible of LISTS) {
        brokerCases.push({
          label: `exclude=${show(exclude)} eligible=${show(eligible)}`,
          exclude,
          eligible,
          // No publisher, so no excludeMe default: a missing exclude list excludes nobody.
          receivers: expectedReceivers({ exclude: exclude ?? [], eligible }, false),
        });
      }
    }

    it.each(brokerCases)('$label', async ({ exclude, eligible, receivers }) => {
      const event = { n: topicCount + 1 };
      const filter = {
        ...(exclude ? { exclude: exclude.map(sid) } : {}),
        ...(eligible ? { eligible: eligible.map(sid) } : {}),
      };
      let sent = -1;
      const got = await deliveries((topic) => {
        sent = broker.publish(topic, event, filter);
      }, 'broker');
      asReceivers(got, event, receivers);
      expect(sent).toBe(receivers.length);
    });

    it('ignores unknown session ids in exclude and eligible', async () => {
      const first = { n: 'unknown-exclude' };
      const second = { n: 'unknown-eligible' };
      const third = { n: 'unknown-only' };
      const counts: number[] = [];
      const got = await deliveries((topic) => {
        counts.push(broker.publish(topic, first, { exclude: ['nobody'] }));
        counts.push(broker.publish(topic, second, { eligible: ['nobody', S.sessionId] }));
        counts.push(broker.publish(topic, third, { exclude: ['nobody'], eligible: ['nobody'] }));
      }, 'broker');
      expect(got).toEqual({ P: [first], S: [first, second] });
      expect(counts).toEqual([2, 1, 0]);
    });

    it('sends to nobody on a topic without subscribers', () => {
      expect(broker.publish(freshTopic(), 'nobody listens')).toBe(0);
    });
  });

  describe('a @WampPublish handler rewriting the recipients (WampDelivery) follows the same rule', () => {
    const cases: ReadonlyArray<{
      readonly label: string;
      readonly spec: { exclude?: WhoList; eligible?: WhoList; drop?: boolean };
      readonly extra: readonly Sym[];
      readonly receivers: WhoList;
    }> = [
      { label: 'no rewrite of the lists, [7,t,e,true]', spec: {}, extra: [true], receivers: ['S'] },
      { label: 'no rewrite of the lists, [7,t,e,false]', spec: {}, extra: [false], receivers: ['P', 'S'] },
      { label: 'exclude [S] replaces excludeMe true', spec: { exclude: ['S'] }, extra: [true], receivers: ['P'] },
      { label: 'exclude [] replaces an exclude list [P,S]', spec: { exclude: [] }, extra: [['P', 'S']], receivers: ['P', 'S'] },
      { label: "eligible [P] with the publication's excludeMe true", spec: { eligible: ['P'] }, extra: [true], receivers: [] },
      { label: 'eligible [] means nobody', spec: { eligible: [] }, extra: [false], receivers: [] },
      { label: 'eligible [S] replaces eligible [P]', spec: { eligible: ['S'] }, extra: [[], ['P']], receivers: ['S'] },
      { label: 'exclude [P] and eligible [P,S]', spec: { exclude: ['P'], eligible: ['P', 'S'] }, extra: [false], receivers: ['S'] },
      { label: 'false drops the publication', spec: { drop: true }, extra: [false], receivers: [] },
    ];

    it.each(cases)('$label', async ({ spec, extra, receivers }) => {
      const tag = `rewritten-${topicCount + 1}`;
      const event = {
        tag,
        ...(spec.drop ? { drop: true } : {}),
        ...(spec.exclude ? { exclude: spec.exclude.map(sid) } : {}),
        ...(spec.eligible ? { eligible: spec.eligible.map(sid) } : {}),
      };
      const got = await deliveries((topic) => P.send([7, topic, event, ...extra.map(concrete)]), 'P', REWRITE);
      asReceivers(got, tag, receivers);
    });
  });

  describe('delivery', () => {
    it('EVENT carries the full topic URI when the topic was published (and subscribed) as a CURI', async () => {
      const topic = freshTopic();
      const curie = `m:${topic.slice(MATRIX.length)}`;
      P.prefix('m', MATRIX);
      S.prefix('mm', MATRIX);
      P.send([5, curie]);
      S.send([5, `mm:${topic.slice(MATRIX.length)}`]);
      await until(() => broker.subscribers(topic).length === 2, 'both subscribed through CURIs');
      P.send([7, curie, 'via-curie', false]);
      expect(await P.nextEvent(topic)).toBe('via-curie');
      expect(await S.nextEvent(topic)).toBe('via-curie');
      // `received` holds the topic as it came on the wire.
      expect(S.received.filter((received) => received.event === 'via-curie')).toEqual([{ topic, event: 'via-curie' }]);
      expect(P.received.filter((received) => received.event === 'via-curie')).toEqual([{ topic, event: 'via-curie' }]);
      expect(P.received.some((received) => received.topic.startsWith('m:'))).toBe(false);
      expect(S.received.some((received) => received.topic.startsWith('mm:'))).toBe(false);
    });

    it('a publish to a topic without a publish rule delivers nothing', async () => {
      const sentinelTopic = freshTopic();
      await subscribeBoth(SUB_ONLY);
      await subscribeBoth(sentinelTopic);
      P.send([7, SUB_ONLY, 'no publish rule', false]);
      P.send([7, sentinelTopic, SENTINEL, false]);
      await P.nextEvent(sentinelTopic);
      await S.nextEvent(sentinelTopic);
      expect(P.eventsOn(SUB_ONLY)).toEqual([]);
      expect(S.eventsOn(SUB_ONLY)).toEqual([]);
    });

    it('unsubscribing stops delivery', async () => {
      const topic = freshTopic();
      const sentinelTopic = freshTopic();
      await subscribeBoth(topic);
      await subscribeBoth(sentinelTopic);
      P.send([7, topic, 'before', false]);
      expect(await S.nextEvent(topic)).toBe('before');
      S.send([6, topic]);
      await until(() => !broker.subscribers(topic).includes(S.sessionId), 'S unsubscribed');
      P.send([7, topic, 'after', false]);
      P.send([7, sentinelTopic, SENTINEL, false]);
      await S.nextEvent(sentinelTopic);
      await P.nextEvent(sentinelTopic);
      expect(S.eventsOn(topic)).toEqual(['before']);
      expect(P.eventsOn(topic)).toEqual(['before', 'after']);
    });

    it('subscribing twice delivers once', async () => {
      const topic = freshTopic();
      S.send([5, topic]);
      S.send([5, topic]);
      P.send([5, topic]);
      await until(() => broker.subscribers(topic).length === 2, 'P and S subscribed');
      expect(broker.subscribers(topic).filter((id) => id === S.sessionId)).toHaveLength(1);
      P.send([7, topic, 'once', false]);
      P.send([7, topic, SENTINEL, false]);
      await S.nextEvent(topic, 2000, (event) => event === SENTINEL);
      expect(S.eventsOn(topic)).toEqual(['once', SENTINEL]);
    });

    it('keeps the order of 100 events from one publisher', async () => {
      const topic = freshTopic();
      await subscribeBoth(topic);
      const events = Array.from({ length: 100 }, (_, index) => index);
      for (const event of events) P.send([7, topic, event, true]);
      await until(() => S.eventsOn(topic).length >= 100, '100 events at S');
      expect(S.eventsOn(topic)).toEqual(events);
      // excludeMe true: none came back to P.
      P.send([7, topic, SENTINEL, false]);
      await P.nextEvent(topic, 2000, (event) => event === SENTINEL);
      expect(P.eventsOn(topic)).toEqual([SENTINEL]);
    });
  });
});
