import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { AppModule } from '../../sample/app.module.js';
import { assertSampleCompiled } from '../support/compiled-sample.js';
import { startApp, type TestServer } from '../support/start-app.js';

// The sample page in a real headless Chromium (Debian's): two pages chat with each other, the
// calculator computes through RPC, the clock ticks. Mandatory where REQUIRE_BROWSER=1 (CI sets
// it); elsewhere it is skipped, loudly, when Chromium is not installed.

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Two pages of one window: the one in the background must not have its timers throttled.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];
/** Screenshots and the measured layout figures (test-output/ is git-ignored); SCREENSHOT_DIR moves them. */
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR
  ? resolve(process.env.SCREENSHOT_DIR)
  : fileURLToPath(new URL('../../test-output/', import.meta.url));
const WAIT = { timeout: 10_000 };

const available = existsSync(CHROMIUM);
if (!available && process.env.REQUIRE_BROWSER === '1') {
  throw new Error(`REQUIRE_BROWSER=1 but there is no Chromium at ${CHROMIUM} (install Debian's "chromium")`);
}
if (!available) {
  console.warn(
    `\n*** SKIPPING the browser test: no Chromium at ${CHROMIUM}. Install Debian's "chromium" (or set CHROMIUM_PATH) to run it. ***\n`,
  );
}

(available ? describe : describe.skip)('the sample page in Chromium', () => {
  let server: TestServer;
  let context: BrowserContext;
  let userDataDir: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    assertSampleCompiled();
    server = await startApp({ imports: [AppModule.forConfig({ host: '127.0.0.1', port: 0, authTimeoutMs: 20_000 })] });
    userDataDir = mkdtempSync(join(tmpdir(), 'nest-wamp-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1280, height: 900 },
    });
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
  }, 60_000);

  afterEach(async () => {
    // Every test closes its pages, so that the chat room holds only the next test's users.
    for (const page of context.pages()) await page.close();
    expect(pageErrors.splice(0)).toEqual([]);
  });

  afterAll(async () => {
    await context?.close();
    await server?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  /** A new page, connected (not logged in); its session id is in the header. */
  async function open(viewport: { width: number; height: number } = { width: 1280, height: 900 }): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.setViewportSize(viewport);
    await page.goto(`http://127.0.0.1:${server.port}/`);
    await page.getByTestId('status').filter({ hasText: 'connected' }).waitFor(WAIT);
    expect(await sessionIdOf(page)).toMatch(/^[\w-]{22}$/);
    return page;
  }

  async function logIn(page: Page, user: 'guest' | 'salted' | 'anonymous'): Promise<void> {
    await page.getByTestId('login-user').selectOption(user === 'anonymous' ? '' : user);
    await page.getByTestId('login-button').click();
    await page
      .getByTestId('login-state')
      .filter({ hasText: `logged in as ${user}` })
      .waitFor(WAIT);
  }

  async function openAndLogIn(user: 'guest' | 'salted'): Promise<Page> {
    const page = await open();
    await logIn(page, user);
    return page;
  }

  const sessionIdOf = (page: Page) => page.getByTestId('session-id').innerText();
  /** How the chat shows a user: the name, then the last 5 characters of the session id. */
  const labelOf = async (page: Page, username: string) => `${username} · ${(await sessionIdOf(page)).slice(-5)}`;

  it('two pages chat, the calculator computes, the clock ticks', async () => {
    const alice = await openAndLogIn('guest');
    const bob = await openAndLogIn('salted');
    const [aliceLabel, bobLabel] = [await labelOf(alice, 'guest'), await labelOf(bob, 'salted')];
    // Both are in the room: the list, and the notice of the second joining.
    await alice.getByTestId('users').filter({ hasText: bobLabel }).waitFor(WAIT);
    await bob.getByTestId('users').filter({ hasText: aliceLabel }).waitFor(WAIT);
    await alice
      .getByTestId('messages')
      .filter({ hasText: `${bobLabel} joined` })
      .waitFor(WAIT);
    // A message each way, stamped by the server with the sender's name (and the page adds the id's end).
    await alice.getByTestId('chat-input').fill('hello from alice');
    await alice.getByTestId('chat-send').click();
    await bob
      .getByTestId('messages')
      .filter({ hasText: `${aliceLabel} hello from alice` })
      .waitFor(WAIT);
    await bob.getByTestId('chat-input').fill('hi alice, bob here');
    await bob.getByTestId('chat-send').click();
    await alice
      .getByTestId('messages')
      .filter({ hasText: `${bobLabel} hi alice, bob here` })
      .waitFor(WAIT);
    // The calculator: 12 + 30 = 42, then a division by zero is an error.
    await alice.bringToFront();
    const key = (label: string) => alice.locator('.keys button', { hasText: label }).first();
    for (const label of ['1', '2', '+', '3', '0', '=']) await key(label).click();
    await alice.getByTestId('calc-display').filter({ hasText: /^42$/ }).waitFor(WAIT);
    for (const label of ['7', '/', '0', '=']) await key(label).click();
    await alice.getByTestId('calc-display').filter({ hasText: 'Error' }).waitFor(WAIT);
    await alice.getByTestId('calc-error').filter({ hasText: 'calculator error' }).waitFor(WAIT);
    // add and echo.
    await alice.getByTestId('add-go').click();
    await alice.getByTestId('add-result').filter({ hasText: /^5$/ }).waitFor(WAIT);
    await alice.getByTestId('echo-go').click();
    await alice.getByTestId('echo-result').filter({ hasText: '"hello"' }).waitFor(WAIT);
    // The clock: the tick count and the shown time move.
    const ticks = Number(await alice.getByTestId('clock-ticks').innerText());
    const firstTime = await alice.getByTestId('clock-time').innerText();
    await alice.waitForFunction((before) => Number(document.getElementById('clock-ticks')?.textContent) > before, ticks, WAIT);
    await alice.waitForFunction((before) => document.getElementById('clock-time')?.textContent !== before, firstTime, WAIT);
    expect(await alice.getByTestId('clock-time').innerText()).toMatch(/^\d\d:\d\d:\d\d$/);
    await alice.screenshot({ path: join(SCREENSHOT_DIR, 'sample-page.png'), fullPage: true });
    // Bob leaves: Alice is told.
    await bob.close();
    await alice
      .getByTestId('messages')
      .filter({ hasText: `${bobLabel} left` })
      .waitFor(WAIT);
    await alice.getByTestId('users').filter({ hasNotText: 'salted' }).waitFor(WAIT);
  }, 60_000);
});
