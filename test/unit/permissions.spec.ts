import { CompiledPermissions, permissionsProblem } from '../../src/permissions/permissions.js';
import type { WampPermissions } from '../../src/core/wamp-permissions.js';

const RPC = 'http://x/rpc#';
const EV = 'http://x/event#';

describe('CompiledPermissions', () => {
  const allows = (permissions: WampPermissions, kind: 'call' | 'subscribe' | 'publish', uri: string) =>
    new CompiledPermissions(permissions).allows(kind, uri);

  it('{ all: true } allows everything', () => {
    for (const kind of ['call', 'subscribe', 'publish'] as const) expect(allows({ all: true }, kind, `${RPC}anything`)).toBe(true);
  });

  it('{ all: false } or an empty map allows nothing', () => {
    for (const permissions of [{ all: false }, {}]) {
      for (const kind of ['call', 'subscribe', 'publish'] as const) expect(allows(permissions, kind, `${EV}x`)).toBe(false);
    }
  });

  it('category booleans decide per category (clj-wamp short form)', () => {
    const permissions = { rpc: true, subscribe: true, publish: false };
    expect(allows(permissions, 'call', `${RPC}add`)).toBe(true);
    expect(allows(permissions, 'subscribe', `${EV}chat`)).toBe(true);
    expect(allows(permissions, 'publish', `${EV}chat`)).toBe(false);
  });

  it('per-URI maps grant exactly what they list', () => {
    const permissions = { rpc: { [`${RPC}add`]: true, [`${RPC}ping`]: false }, subscribe: { [`${EV}pubsub1`]: true } };
    expect(allows(permissions, 'call', `${RPC}add`)).toBe(true);
    expect(allows(permissions, 'call', `${RPC}ping`)).toBe(false);
    expect(allows(permissions, 'call', `${RPC}other`)).toBe(false);
    expect(allows(permissions, 'subscribe', `${EV}pubsub1`)).toBe(true);
    expect(allows(permissions, 'subscribe', `${EV}pubsub2`)).toBe(false);
    expect(allows(permissions, 'publish', `${EV}pubsub1`)).toBe(false);
  });

  it('prefix patterns and the catch-all match like topic rules, the most specific winning', () => {
    const permissions = {
      subscribe: { [`${EV}feed/*`]: true, [`${EV}feed/secret`]: false, [`${EV}feed/secret/*`]: false, '*': false },
      publish: { '*': true, [`${EV}time`]: false },
    };
    expect(allows(permissions, 'subscribe', `${EV}feed/1`)).toBe(true);
    expect(allows(permissions, 'subscribe', `${EV}feed/secret`)).toBe(false);
    expect(allows(permissions, 'subscribe', `${EV}feed/secret/x`)).toBe(false);
    expect(allows(permissions, 'subscribe', `${EV}chat`)).toBe(false);
    expect(allows(permissions, 'publish', `${EV}chat`)).toBe(true);
    expect(allows(permissions, 'publish', `${EV}time`)).toBe(false);
  });

  it('treats keys like __proto__ as ordinary URIs', () => {
    expect(allows({ rpc: { __proto__: true } as Record<string, boolean> }, 'call', 'constructor')).toBe(false);
    expect(allows({ rpc: JSON.parse('{"__proto__": true}') }, 'call', '__proto__')).toBe(true);
  });
});

describe('permissionsProblem', () => {
  it.each([[{ all: true }], [{ rpc: true, subscribe: false }], [{ rpc: { a: true }, subscribe: { 'b*': false }, publish: {} }], [{}]])(
    'accepts %j',
    (permissions) => expect(permissionsProblem(permissions)).toBeUndefined(),
  );

  it.each([
    [null, 'not an object'],
    [[], 'not an object'],
    ['all', 'not an object'],
    [{ all: 'yes' }, '"all"'],
    [{ call: true }, '"call"'],
    [{ rpc: 1 }, '"rpc"'],
    [{ rpc: ['a'] }, '"rpc"'],
    [{ subscribe: { a: 'true' } }, '"subscribe"["a"]'],
  ])('refuses %j, saying %s', (permissions, said) => expect(permissionsProblem(permissions)).toContain(said));
});
