import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The compiled sample (`npm run build:sample`, which `npm test` runs first). */
export const COMPILED_SAMPLE_MAIN = fileURLToPath(new URL('../../dist/sample/main.js', import.meta.url));
export const COMPILED_PAGE_SCRIPT = fileURLToPath(new URL('../../dist/sample/web/page/app.js', import.meta.url));

export function assertSampleCompiled(): void {
  for (const file of [COMPILED_SAMPLE_MAIN, COMPILED_PAGE_SCRIPT]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run "npm run build:sample" first (npm test does)`);
  }
}
