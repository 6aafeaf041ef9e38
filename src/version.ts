/** The package version, sent in WELCOME as `nest-wamp/<version>` (a test keeps it equal to package.json). */
export const NEST_WAMP_VERSION = '0.1.0';
