import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { AppModule } from '../../sample/app.module.js';
import { assertSampleCompiled } from '../support/compiled-sample.js';
import { startApp, type TestServer } from '../support/start-app.js';
import { colourAt, colourCounts, decodePng } from './png.js';

// The sample page in a real headless Chromium (Debian's): two pages chat with each other, the
// calculator computes through RPC, the clock ticks; the page fits phones and desktops, takes
// decimals, says "log in first" and tells two users of one name apart; switched to WAMP v2, it
// logs in, calls and chats with v1 pages through Autobahn|JS. Mandatory where
// REQUIRE_BROWSER=1 (CI sets it); elsewhere it is skipped, loudly, when Chromium is not installed.

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
/** Two phones (the narrowest common one and an iPhone 12-15) and a desktop. */
const VIEWPORTS = [
  { name: 'phone-360', width: 360, height: 740 },
  { name: 'phone-390', width: 390, height: 844 },
  { name: 'desktop-1280', width: 1280, height: 900 },
];
/** The header's background and the page's, as style.css paints them. */
const HEADER_COLOUR = '#1d2733';
const PAGE_COLOUR = '#f4f6f8';

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

  describe('fits the screen without scrolling sideways', () => {
    /** What each width measured, written beside the screenshots (layout.json). */
    const figures: Record<string, unknown> = {};
    afterAll(() => writeFileSync(join(SCREENSHOT_DIR, 'layout.json'), `${JSON.stringify(figures, null, 2)}\n`));

    it.each(VIEWPORTS)(
      'at $width px ($name)',
      async ({ name, width, height }) => {
        const page = await open({ width, height });
        await page.getByTestId('login-hint').waitFor(WAIT);
        const loggedOut = await measure(page, width);
        const loggedOutShot = await fullScreenshot(page, `${name}-logged-out.png`, width);

        await logIn(page, 'guest');
        // The widest content there is: a 140-character word (the server's limit) must wrap inside the chat.
        const word = 'W'.repeat(140);
        await page.getByTestId('chat-input').fill(word);
        await page.getByTestId('chat-send').click();
        await page.getByTestId('messages').filter({ hasText: word }).waitFor(WAIT);
        const messages = await page
          .getByTestId('messages')
          .evaluate((list) => ({ scrollWidth: list.scrollWidth, clientWidth: list.clientWidth }));
        expect(messages.scrollWidth).toBeLessThanOrEqual(messages.clientWidth);
        const loggedIn = await measure(page, width);
        const controls = await controlsInView(page, width, height);
        const loggedInShot = await fullScreenshot(page, `${name}-logged-in.png`, width);
        figures[name] = { viewport: { width, height }, loggedOut, loggedIn, chatMessages: messages, controls, loggedOutShot, loggedInShot };
      },
      30_000,
    );
  });

  /** The document's widths, asserted not to overflow the viewport; the widest panel's right edge too. */
  async function measure(page: Page, width: number) {
    const sizes = await page.evaluate(() => ({
      scrollWidth: document.scrollingElement!.scrollWidth,
      clientWidth: document.scrollingElement!.clientWidth,
      innerWidth: window.innerWidth,
      scrollHeight: document.scrollingElement!.scrollHeight,
      rightmostPanelEdge: Math.max(...[...document.querySelectorAll('.panel')].map((panel) => panel.getBoundingClientRect().right)),
    }));
    expect(sizes.innerWidth).toBe(width);
    expect(sizes.scrollWidth).toBeLessThanOrEqual(width);
    expect(sizes.rightmostPanelEdge).toBeLessThanOrEqual(width);
    return sizes;
  }

  /** The controls a user needs, each visible and, once scrolled to, wholly inside the viewport. */
  async function controlsInView(page: Page, width: number, height: number) {
    const ids = ['login-user', 'login-button', 'logout', 'chat-input', 'chat-send', 'calc-display', 'add-a', 'add-b', 'add-go'];
    const boxes: Record<string, { x: number; right: number }> = {};
    const locators = [
      ...ids.map((id) => [id, page.getByTestId(id)] as const),
      ['user list', page.locator('.users')] as const,
      ['key C', page.locator('.keys button', { hasText: 'C' })] as const,
      ['key +', page.locator('.keys button', { hasText: '+' })] as const,
      ['echo-go', page.getByTestId('echo-go')] as const,
      ['slow-go', page.getByTestId('slow-go')] as const,
      ['clock-time', page.getByTestId('clock-time')] as const,
    ];
    for (const [label, locator] of locators) {
      expect([label, await locator.isVisible()]).toEqual([label, true]);
      await locator.scrollIntoViewIfNeeded();
      const box = (await locator.boundingBox())!;
      // Horizontally to the pixel; vertically within a pixel (scrolling lands on fractional offsets).
      const inside = box.x >= 0 && box.x + box.width <= width && box.y >= -1 && box.y + box.height <= height + 1;
      expect([label, box, inside]).toEqual([label, box, true]);
      boxes[label] = { x: Math.round(box.x), right: Math.round(box.x + box.width) };
    }
    return boxes;
  }

  /** A full-page screenshot: exactly the viewport's width (a wider page would make it wider), painted, not blank. */
  async function fullScreenshot(page: Page, file: string, width: number) {
    const path = join(SCREENSHOT_DIR, file);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path, fullPage: true });
    const png = decodePng(readFileSync(path));
    const scrollHeight = await page.evaluate(() => document.scrollingElement!.scrollHeight);
    expect(png.width).toBe(width);
    expect(png.height).toBe(scrollHeight);
    // The header's dark band on top, the page's grey under the last panel, and plenty in between.
    expect(colourAt(png, 2, 2)).toBe(HEADER_COLOUR);
    expect(colourAt(png, 2, png.height - 2)).toBe(PAGE_COLOUR);
    const counts = colourCounts(png);
    const commonest = Math.max(...counts.values());
    expect(counts.size).toBeGreaterThan(100);
    expect(commonest / (png.width * png.height)).toBeLessThan(0.9);
    return {
      path,
      width: png.width,
      height: png.height,
      colours: counts.size,
      commonestShare: +(commonest / (png.width * png.height)).toFixed(3),
    };
  }

  it('takes decimals: the calculator (keys and keyboard), add and slow', async () => {
    const page = await open();
    await logIn(page, 'guest');
    // Every number input takes any decimal (step="any"), so the browser's validation lets 2.5 through.
    const steps = await page.locator('input[type=number]').evaluateAll((inputs) => inputs.map((input) => input.getAttribute('step')));
    expect(steps.length).toBeGreaterThanOrEqual(3);
    expect(steps.every((step) => step === 'any')).toBe(true);
    // 2.5 * 2 = 5 with the keys.
    const key = (label: string) => page.locator('.keys button', { hasText: label }).first();
    for (const label of ['C', '2', '.', '5', '*', '2', '=']) await key(label).click();
    await page.getByTestId('calc-display').filter({ hasText: /^5$/ }).waitFor(WAIT);
    // 0.5 + 1.25 = 1.75 typed on the keyboard (Escape clears, Enter is =).
    await page.getByTestId('calc').focus();
    await page.keyboard.press('Escape');
    await page.keyboard.type('0.5+1.25');
    await page.keyboard.press('Enter');
    await page
      .getByTestId('calc-display')
      .filter({ hasText: /^1\.75$/ })
      .waitFor(WAIT);
    // add 2.5 + 0.25, typed into the number inputs.
    await page.getByTestId('add-a').fill('2.5');
    await page.getByTestId('add-b').fill('0.25');
    expect(await page.getByTestId('add-a').evaluate((input: HTMLInputElement) => input.checkValidity())).toBe(true);
    await page.getByTestId('add-go').click();
    await page
      .getByTestId('add-result')
      .filter({ hasText: /^2\.75$/ })
      .waitFor(WAIT);
    // slow 1.5 ms resolves with 1.5.
    await page.getByTestId('slow-ms').fill('1.5');
    await page.getByTestId('slow-go').click();
    await page
      .getByTestId('slow-result')
      .filter({ hasText: /^1\.5$/ })
      .waitFor(WAIT);
  }, 30_000);

  it('says "log in first" until the session logs in, and what an anonymous one may not do', async () => {
    const page = await open();
    const hint = page.getByTestId('login-hint');
    // Before login: the hint names the ways to log in, and what needs a login is disabled and badged.
    await hint.waitFor(WAIT);
    expect(await hint.innerText()).toMatch(/^Log in first\..*guest.*salted.*anonymous/s);
    for (const id of ['chat-input', 'chat-send', 'add-go', 'echo-go', 'slow-go']) {
      expect([id, await page.getByTestId(id).isDisabled()]).toEqual([id, true]);
    }
    expect(await page.locator('.keys button').evaluateAll((keys) => keys.every((key) => key.matches(':disabled')))).toBe(true);
    expect(await page.locator('.badge:visible').count()).toBe(4);
    expect(await page.getByTestId('login-button').isEnabled()).toBe(true);
    // A call made anyway (the fieldset re-enabled by hand) is answered "unauthorized", and the page says why.
    await page.locator('#rpc fieldset').evaluate((fieldset: HTMLFieldSetElement) => (fieldset.disabled = false));
    await page.getByTestId('add-go').click();
    await page.getByTestId('add-result').filter({ hasText: 'unauthorized: log in first' }).waitFor(WAIT);

    // Anonymous: the hint goes, calls work, but the chat may only be read (the server drops its publishes).
    await logIn(page, 'anonymous');
    await hint.waitFor({ state: 'hidden', ...WAIT });
    expect(await page.locator('.badge:visible').count()).toBe(0);
    expect(await page.getByTestId('add-go').isEnabled()).toBe(true);
    expect(await page.getByTestId('chat-send').isDisabled()).toBe(true);
    expect(await page.getByTestId('chat-note').innerText()).toMatch(/not post.*guest.*salted/s);
    expect(await page.getByTestId('login-button').isDisabled()).toBe(true);

    // Log out: a new session, not logged in, so the hint is back; then as guest everything is on.
    const firstSession = await sessionIdOf(page);
    await page.getByTestId('logout').click();
    await page.waitForFunction((before) => document.getElementById('session-id')?.innerText !== before, firstSession, WAIT);
    await page.getByTestId('status').filter({ hasText: 'connected' }).waitFor(WAIT);
    await hint.waitFor(WAIT);
    expect(await page.getByTestId('login-state').innerText()).toBe('not logged in');
    await logIn(page, 'guest');
    await hint.waitFor({ state: 'hidden', ...WAIT });
    expect(await page.getByTestId('chat-send').isEnabled()).toBe(true);
    expect(await page.getByTestId('chat-note').isVisible()).toBe(false);
  }, 30_000);

  describe('the v1/v2 switch (WAMP v2 through Autobahn|JS)', () => {
    const V2_IDLE = 'v2: the session opens at login';

    /** A page switched to v2 with the header's switch: its v1 session goes, and none opens before the login. */
    async function openV2(): Promise<Page> {
      const page = await open();
      await page.getByTestId('protocol-v2').check();
      await page.getByTestId('status').filter({ hasText: V2_IDLE }).waitFor(WAIT);
      expect(await sessionIdOf(page)).toBe('-');
      expect(new URL(page.url()).searchParams.get('wamp')).toBe('2');
      return page;
    }

    /** Logs in over v2: the login opens the session, whose id (a number) the header shows. */
    async function logInV2(page: Page, user: 'guest' | 'salted' | 'anonymous'): Promise<string> {
      await logIn(page, user);
      await page.getByTestId('status').filter({ hasText: 'connected (WAMP v2)' }).waitFor(WAIT);
      const id = await sessionIdOf(page);
      expect(id).toMatch(/^\d+$/);
      return id;
    }

    /** The chat label of the session whose v1 id (`client-id`) or v2 id (`session-id`) is `id`, in `list`. */
    const labelIn = (page: Page, list: 'users' | 'messages', attribute: 'client-id' | 'session-id', id: string) =>
      page.locator(`[data-testid=${list}] .who[data-${attribute}="${id}"]`);

    it('logs in as guest over v2, calls add and echo, computes, and the clock ticks', async () => {
      const page = await openV2();
      await logInV2(page, 'guest');
      expect(await page.getByTestId('login-hint').isVisible()).toBe(false);
      await page.getByTestId('add-go').click();
      await page.getByTestId('add-result').filter({ hasText: /^5$/ }).waitFor(WAIT);
      await page.getByTestId('echo-go').click();
      await page.getByTestId('echo-result').filter({ hasText: '"hello"' }).waitFor(WAIT);
      const key = (label: string) => page.locator('.keys button', { hasText: label }).first();
      for (const label of ['1', '2', '+', '3', '0', '=']) await key(label).click();
      await page.getByTestId('calc-display').filter({ hasText: /^42$/ }).waitFor(WAIT);
      for (const label of ['7', '/', '0', '=']) await key(label).click();
      await page.getByTestId('calc-display').filter({ hasText: 'Error' }).waitFor(WAIT);
      await page.getByTestId('calc-error').filter({ hasText: 'calculator error' }).waitFor(WAIT);
      await page.waitForFunction(() => Number(document.getElementById('clock-ticks')?.textContent) > 0, undefined, WAIT);
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'sample-page-v2.png'), fullPage: true });
    }, 30_000);

    it("a v1 page and a v2 page chat with each other; each shows ids in its own protocol's form", async () => {
      const alice = await openAndLogIn('guest'); // v1
      const aliceV1Id = await sessionIdOf(alice);
      const bob = await openV2();
      const bobV2Id = await logInV2(bob, 'salted');

      // Each sees the other in the user list: the v1 page labels bob with his v1 id, and knows his v2 id.
      await labelIn(alice, 'users', 'session-id', bobV2Id).filter({ hasText: 'salted' }).waitFor(WAIT);
      await labelIn(bob, 'users', 'client-id', aliceV1Id).filter({ hasText: 'guest' }).waitFor(WAIT);
      expect(await bob.getByTestId('users').locator('li.me').innerText()).toBe(`salted · ${bobV2Id.slice(-5)} (you)`);
      await alice
        .getByTestId('messages')
        .filter({ hasText: /salted · \S{5} joined/ })
        .waitFor(WAIT);

      await alice.getByTestId('chat-input').fill('hello from v1');
      await alice.getByTestId('chat-send').click();
      const fromAlice = bob.getByTestId('messages').locator('li', { hasText: 'hello from v1' });
      await fromAlice.waitFor(WAIT);
      expect(await fromAlice.locator('.who').getAttribute('data-client-id')).toBe(aliceV1Id);

      await bob.getByTestId('chat-input').fill('hello from v2');
      await bob.getByTestId('chat-send').click();
      const fromBob = alice.getByTestId('messages').locator('li', { hasText: 'hello from v2' });
      await fromBob.waitFor(WAIT);
      expect(await fromBob.locator('.who').getAttribute('data-session-id')).toBe(bobV2Id);
      // The v2 page publishes with exclude_me: false, so that it shows its own message as the server stamped it, as v1 pages do.
      const own = bob.getByTestId('messages').locator('li', { hasText: 'hello from v2' });
      await own.waitFor(WAIT);
      expect(await own.locator('.who').innerText()).toBe(`salted · ${bobV2Id.slice(-5)}`);
      expect(await own.count()).toBe(1);

      // Bob logs out (GOODBYE): alice is told, and bob's page waits for a new login.
      await bob.getByTestId('logout').click();
      await bob.getByTestId('status').filter({ hasText: V2_IDLE }).waitFor(WAIT);
      await alice
        .getByTestId('messages')
        .filter({ hasText: /salted · \S{5} left/ })
        .waitFor(WAIT);
    }, 60_000);

    it('a wrong secret over v2 is refused (ABORT not_authorized); anonymous may read the chat, not post', async () => {
      const page = await openV2();
      await page.getByTestId('login-secret').fill('wrong-password');
      await page.getByTestId('login-button').click();
      await page.getByTestId('login-state').filter({ hasText: 'login failed: wamp.error.not_authorized' }).waitFor(WAIT);
      expect(await page.getByTestId('login-button').isEnabled()).toBe(true);
      expect(await sessionIdOf(page)).toBe('-');

      await logInV2(page, 'anonymous');
      expect(await page.getByTestId('chat-send').isDisabled()).toBe(true);
      await page.getByTestId('add-go').click();
      await page.getByTestId('add-result').filter({ hasText: /^5$/ }).waitFor(WAIT);
    }, 30_000);

    it('?wamp=2 opens the page in v2; switching back to v1 opens a v1 session at once', async () => {
      const page = await context.newPage();
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(`http://127.0.0.1:${server.port}/?wamp=2`);
      await page.getByTestId('status').filter({ hasText: V2_IDLE }).waitFor(WAIT);
      expect(await page.getByTestId('protocol-v2').isChecked()).toBe(true);
      await logInV2(page, 'guest');
      await page.getByTestId('protocol-v1').check();
      await page.getByTestId('status').filter({ hasText: 'connected (WAMP v1)' }).waitFor(WAIT);
      expect(await sessionIdOf(page)).toMatch(/^[\w-]{22}$/);
      expect(await page.getByTestId('login-state').innerText()).toBe('not logged in');
      expect(new URL(page.url()).searchParams.has('wamp')).toBe(false);
      await logIn(page, 'guest');
    }, 30_000);
  });

  it('tells two sessions of one username apart in the user list and the messages', async () => {
    const first = await openAndLogIn('guest');
    const second = await openAndLogIn('guest');
    const [firstLabel, secondLabel] = [await labelOf(first, 'guest'), await labelOf(second, 'guest')];
    expect(firstLabel).not.toBe(secondLabel);
    const entries = first.getByTestId('users').locator('li');
    await entries.filter({ hasText: secondLabel }).waitFor(WAIT);
    expect(await entries.allInnerTexts()).toEqual(expect.arrayContaining([`${firstLabel} (you)`, secondLabel]));
    // The list is the room's: exactly these two guests, each shown once.
    expect((await entries.allInnerTexts()).filter((text) => text.startsWith('guest')).sort()).toEqual(
      [`${firstLabel} (you)`, secondLabel].sort(),
    );
    // Each entry carries the whole session id too.
    const ids = await first
      .locator('[data-testid=users] .who')
      .evaluateAll((labels) => labels.map((label) => (label as HTMLElement).dataset.clientId));
    expect(ids.sort()).toEqual([await sessionIdOf(first), await sessionIdOf(second)].sort());
    // A message from the second guest is signed with its own suffix, not the first's.
    await second.getByTestId('chat-input').fill('which guest am I?');
    await second.getByTestId('chat-send').click();
    const message = first.getByTestId('messages').locator('li', { hasText: 'which guest am I?' });
    await message.waitFor(WAIT);
    expect(await message.locator('.who').innerText()).toBe(secondLabel);
  }, 30_000);
});
