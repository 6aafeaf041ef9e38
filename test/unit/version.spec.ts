import { readFileSync } from 'node:fs';
import { NEST_WAMP_VERSION } from '../../src/version.js';

/** Port of clj-wamp's project-version-test: the version the code reports is the package's. */
describe('NEST_WAMP_VERSION', () => {
  const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    name: string;
    version: string;
  };

  it('reads the right package.json', () => {
    expect(packageJson.name).toBe('nest-wamp');
  });

  it('equals the "version" in package.json', () => {
    expect(NEST_WAMP_VERSION).toBe(packageJson.version);
  });

  it('is a semantic version', () => {
    expect(NEST_WAMP_VERSION).toMatch(/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/);
  });
});
