import { WampUriMap, WampUriMapError } from '../../src/protocol/uri-map.js';

describe('WampUriMap', () => {
  const map = new WampUriMap([
    { v1: 'http://app/rpc#*', v2: 'app.rpc.*' },
    { v1: 'http://app/rpc#admin/*', v2: 'app.admin.*' },
    { v1: 'http://app/event#sub-only', v2: 'app.event.sub_only' },
    { v1: 'http://app/event#feed/*', v2: 'app.event.feed.*' },
  ]);

  it.each([
    ['an exact pair', 'http://app/event#sub-only', 'app.event.sub_only'],
    ['a prefix pair keeps the remainder', 'http://app/rpc#add', 'app.rpc.add'],
    ['the longest prefix wins', 'http://app/rpc#admin/kick', 'app.admin.kick'],
    ['a URI under a prefix pair', 'http://app/event#feed/news', 'app.event.feed.news'],
    ['a URI without a pair is the same in both', 'http://other/x', 'http://other/x'],
    ['a prefix alone (empty remainder)', 'http://app/rpc#', 'app.rpc.'],
  ])('%s: %s ↔ %s', (_name, v1, v2) => {
    expect(map.toV2(v1)).toBe(v2);
    expect(map.fromV2(v2)).toBe(v1);
  });

  it('maps v2 names back by the longest v2 prefix', () => {
    expect(map.fromV2('app.admin.kick')).toBe('http://app/rpc#admin/kick');
    expect(map.fromV2('app.rpc.admin.kick')).toBe('http://app/rpc#admin.kick');
  });

  it('is empty until a pair is added', () => {
    const empty = new WampUriMap();
    expect(empty.empty).toBe(true);
    expect(empty.toV2('x.y')).toBe('x.y');
    empty.add({ v1: 'http://x/y', v2: 'x.y' });
    expect(empty.empty).toBe(false);
  });

  it('takes the same pair twice', () => {
    const twice = new WampUriMap([
      { v1: 'http://x/a', v2: 'x.a' },
      { v1: 'http://x/a', v2: 'x.a' },
      { v1: 'http://x/p/*', v2: 'x.p.*' },
      { v1: 'http://x/p/*', v2: 'x.p.*' },
    ]);
    expect(twice.toV2('http://x/a')).toBe('x.a');
    expect(twice.toV2('http://x/p/q')).toBe('x.p.q');
  });

  it.each([
    ['a second v2 name for a v1 URI', { v1: 'http://app/event#sub-only', v2: 'app.event.other' }],
    ['a second v1 name for a v2 URI', { v1: 'http://app/event#other', v2: 'app.event.sub_only' }],
    ['a second v2 prefix for a v1 prefix', { v1: 'http://app/rpc#*', v2: 'app.procedures.*' }],
    ['a second v1 prefix for a v2 prefix', { v1: 'http://app/procedures#*', v2: 'app.rpc.*' }],
    ['a prefix on one side only', { v1: 'http://app/x*', v2: 'app.x' }],
    ['a star inside', { v1: 'http://app/*x', v2: 'app.*x' }],
    ['an empty name', { v1: '', v2: 'app.x' }],
    ['a name that is not a string', { v1: 'http://app/x', v2: 5 as unknown as string }],
  ])('refuses %s', (_name, pair) => {
    expect(() => map.add(pair)).toThrow(WampUriMapError);
  });
});
