import { newSessionId } from '../../src/protocol/session-id.js';

describe('newSessionId', () => {
  it('is 22 base64url characters (128 bits)', () => {
    for (let i = 0; i < 100; i++) {
      const id = newSessionId();
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    }
  });

  it('has no padding and nothing that needs escaping in JSON or URLs', () => {
    const id = newSessionId();
    expect(id).not.toContain('=');
    expect(JSON.stringify(id)).toBe(`"${id}"`);
    expect(encodeURIComponent(id)).toBe(id);
  });

  it('gives 10,000 distinct ids', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 10_000; i++) ids.add(newSessionId());
    expect(ids.size).toBe(10_000);
  });

  it('uses the whole alphabet (the ids are random, not a counter or a clock)', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2_000; i++) for (const char of newSessionId()) seen.add(char);
    expect(seen.size).toBe(64);
  });
});
