import { hasRestParameter } from '../../src/nest/has-rest-parameter.js';

/** A function built from exact source text, so the test controls what toString() returns. */
const fromSource = (source: string): Function => new Function(`return (${source});`)() as Function;

/** A method built from exact source text: `source` is one class member. */
const methodFromSource = (source: string, name = 'm'): Function => {
  const cls = new Function(`return class { ${source} };`)() as { prototype: Record<string, Function> };
  const method = cls.prototype[name];
  if (typeof method !== 'function') throw new Error(`no method ${name}`);
  return method;
};

describe('hasRestParameter', () => {
  describe('function and arrow expressions', () => {
    it.each<[string, boolean]>([
      // rest
      ['function (...args) {}', true],
      ['function f(...args) { return args; }', true],
      ['function f(a, b, ...rest) {}', true],
      ['function f(a,...rest){}', true],
      ['function f(a, ... rest) {}', true],
      ['function f(\n  a,\n  ...rest\n) {}', true],
      ['async function f(a, ...rest) {}', true],
      ['function* g(...items) {}', true],
      ['async function* g(a, ...items) {}', true],
      ['(...args) => args', true],
      ['(a, ...args) => a', true],
      ['async (a, ...args) => a', true],
      ['(a, ...[b, c]) => a', true],
      ['(a, ...{ length }) => a', true],
      // not rest
      ['function f() {}', false],
      ['function f(a) {}', false],
      ['function f(a, b) { return [...arguments]; }', false],
      ['function f(a, b = 1) {}', false],
      ['() => 0', false],
      ['(a, b) => [a, ...b]', false],
      ['(a) => f(...a)', false],
      ['async () => {}', false],
    ])('%s → %s', (source, expected) => {
      expect(hasRestParameter(fromSource(source))).toBe(expected);
    });

    it.each<[string, boolean]>([
      ['a => a', false],
      ['a => Math.max(...a)', false],
      ['async a => g(...a)', false],
      ['x => (...y) => y', false],
    ])('a single unparenthesised parameter: %s → %s', (source, expected) => {
      expect(hasRestParameter(fromSource(source))).toBe(expected);
    });
  });

  describe('methods', () => {
    it.each<[string, boolean]>([
      ['m(...args) {}', true],
      ['m(a, ...args) { return a; }', true],
      ['async m(a, ...args) {}', true],
      ['*m(...args) {}', true],
      ['async *m(...args) {}', true],
      ['m(a, b) {}', false],
      ['m() { return (...x) => x; }', false],
      ['async m(a) { await Promise.all([...a]); }', false],
    ])('%s → %s', (source, expected) => {
      expect(hasRestParameter(methodFromSource(source))).toBe(expected);
    });

    it('reads static methods too', () => {
      const cls = new Function('return class { static s(a, ...b) {} static t(a, b) {} };')() as Record<string, Function>;
      expect(hasRestParameter(cls.s!)).toBe(true);
      expect(hasRestParameter(cls.t!)).toBe(false);
    });
  });

  describe('defaults with strings, parens, brackets and braces', () => {
    it.each<[string, boolean]>([
      ['function f(a = "x, ...y", b) {}', false],
      ["function f(a = 'x, ...y', b) {}", false],
      ['function f(a = `x, ...y`, b) {}', false],
      ['function f(a = ")", b) {}', false],
      ['function f(a = ")", ...b) {}', true],
      ["function f(a = '(', ...b) {}", true],
      ['function f(a = `)(`, ...b) {}', true],
      ['function f(a = "]}", ...b) {}', true],
      ['function f(a = "\\"", ...b) {}', true],
      ["function f(a = '\\'),', ...b) {}", true],
      ['function f(a = "\\\\", ...b) {}', true],
      ['function f(a = "/*", ...b) {}', true],
      ['function f(a = "//", ...b) {}', true],
      ['function f(a = [1, 2], b = { c: (1, 2) }, ...rest) {}', true],
      ['function f(a = [1, 2], b = { c: (1, 2) }) {}', false],
      ['function f(a = f(1, 2), ...b) {}', true],
      ['function f(a = (x, ...y) => y, b) {}', false],
      ['function f(a = (x, y) => { return [x, y]; }, ...b) {}', true],
      ['function f(a = [..."abc"], b) {}', false],
      ['function f(a = { ...{ x: 1 } }, b) {}', false],
      ['function f(a = 4 / 2, ...b) {}', true],
      ['(a = ",", ...b) => b', true],
      ['(a = "...b") => a', false],
    ])('%s → %s', (source, expected) => {
      expect(hasRestParameter(fromSource(source))).toBe(expected);
    });
  });

  describe('destructured parameters', () => {
    it.each<[string, boolean]>([
      ['function f({ a, b }, [c, d]) {}', false],
      ['function f({ a, ...others }) {}', false],
      ['function f([a, ...others]) {}', false],
      ['function f(x, { a, ...others }) {}', false],
      ['function f(x, [a, ...others]) {}', false],
      ['function f({ a = "...", b: [c, ...d] }) {}', false],
      ['function f({ a, b }, ...rest) {}', true],
      ['function f([a, b] = [1, 2], ...rest) {}', true],
      ['function f({ a } = {}, ...[b, c]) {}', true],
    ])('%s → %s', (source, expected) => {
      expect(hasRestParameter(fromSource(source))).toBe(expected);
    });
  });

  describe('comments', () => {
    it.each<[string, boolean]>([
      ['function f(a, /* ...b */ c) {}', false],
      ['function f(a, // ...b\n c) {}', false],
      ['function f(a /* , ...b */) {}', false],
      ['function f(a, b /* ) */) {}', false],
      ['function f(a, /* ) */ ...b) {}', true],
      ['function f(a, ...b /* ) */) {}', true],
      ['function f(a, ...b // ) trailing\n) {}', true],
      ['function f(/* it\'s "quoted" */ a, ...b) {}', true],
      ['function f(a, /* note */ ...b) {}', true],
      ['function f(a, // note\n ...b) {}', true],
      ['function f(a,\n  /** JSDoc */\n  ...b) {}', true],
    ])('%s → %s', (source, expected) => {
      expect(hasRestParameter(fromSource(source))).toBe(expected);
    });

    it('handles comments the Function constructor puts in the source', () => {
      expect(hasRestParameter(new Function('a', '/* ...x */ b', 'return a;'))).toBe(false);
      expect(hasRestParameter(new Function('a', '...b', 'return b;'))).toBe(true);
    });
  });

  describe('functions compiled by TypeScript (as Nest handler methods are)', () => {
    class Handlers {
      plain(a: number, b: string): string {
        return `${a}${b}`;
      }

      rest(first: string, ...others: number[]): number {
        return first.length + others.length;
      }

      async asyncRest(...args: unknown[]): Promise<number> {
        return args.length;
      }

      defaults(a = 'x, ...y', b: number[] = [1, 2]): string {
        return a + b.join();
      }

      restAfterDefaults(a = '(', b = { c: [1] }, ...rest: string[]): number {
        return a.length + b.c.length + rest.length;
      }

      destructured({ a, ...others }: { a: number; b: number }, [c, ...d]: number[]): number {
        return a + Object.keys(others).length + c! + d.length;
      }

      commentedRest(a: string, /* the remaining call arguments */ ...rest: unknown[]): number {
        return a.length + rest.length;
      }

      lineCommentedRest(
        a: string,
        // the remaining call arguments
        ...rest: unknown[]
      ): number {
        return a.length + rest.length;
      }

      commentedPlain(a: string, /* ...not rest */ b: string): string {
        return a + b;
      }
    }
    const proto = Handlers.prototype;

    it.each<[string, boolean, Function]>([
      ['plain', false, proto.plain],
      ['rest', true, proto.rest],
      ['asyncRest', true, proto.asyncRest],
      ['defaults', false, proto.defaults],
      ['restAfterDefaults', true, proto.restAfterDefaults],
      ['destructured', false, proto.destructured],
      ['commentedRest (TypeScript keeps the comment)', true, proto.commentedRest],
      ['lineCommentedRest (TypeScript keeps the comment)', true, proto.lineCommentedRest],
      ['commentedPlain', false, proto.commentedPlain],
      ['a function expression with rest', true, function named(_a: number, ..._b: number[]) {}],
      ['an arrow function with rest', true, (..._args: unknown[]) => 0],
      ['an arrow function without rest', false, (_a: number, _b: number) => 0],
    ])('%s → %s', (_name, expected, fn) => {
      expect(hasRestParameter(fn)).toBe(expected);
    });
  });

  it('a native function has no readable parameters', () => {
    expect(hasRestParameter(Math.max)).toBe(false);
    expect(hasRestParameter(Array.prototype.push)).toBe(false);
  });
});
