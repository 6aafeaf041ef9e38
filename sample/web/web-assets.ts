import { existsSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root: the nearest folder up from here with a package.json (from source or from dist/). */
function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('the sample cannot find its project root');
    dir = parent;
  }
  return dir;
}

const ROOT = projectRoot();
const PUBLIC_DIR = join(ROOT, 'sample', 'web', 'public');
/** What `npm run build:sample` compiled; the browser gets only the client and the page script. */
const COMPILED_DIR = join(ROOT, 'dist');
const BROWSER_MODULES = [join('src', 'client') + sep, join('sample', 'web', 'page') + sep];

/** A file of the page's static folder, or undefined for anything outside it. */
export function publicFile(name: string): string | undefined {
  if (!/^[\w.-]+$/.test(name) || name.startsWith('.')) return undefined;
  const path = join(PUBLIC_DIR, name);
  return existsSync(path) ? path : undefined;
}

/** A compiled browser module (the WAMP client or the page script), or undefined. */
export function browserModule(relativePath: string): string | undefined {
  const relative = normalize(relativePath);
  if (!relative.endsWith('.js') || !BROWSER_MODULES.some((prefix) => relative.startsWith(prefix))) return undefined;
  const path = join(COMPILED_DIR, relative);
  return existsSync(path) ? path : undefined;
}

/** Scripts of packages the page loads as they are published (WAMP v2 in the browser: Autobahn|JS's browser build). */
const VENDOR_FILES: Readonly<Record<string, string>> = {
  'autobahn.min.js': join(ROOT, 'node_modules', 'autobahn-browser', 'autobahn.min.js'),
};

/** A vendored script by its name (only those listed), or undefined. */
export function vendorFile(name: string): string | undefined {
  const path = Object.hasOwn(VENDOR_FILES, name) ? VENDOR_FILES[name] : undefined;
  return path && existsSync(path) ? path : undefined;
}

export const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};
