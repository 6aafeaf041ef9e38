// The sample page: it talks WAMP v1 to the sample app with nest-wamp's own client (the same
// code as `nest-wamp/testing`'s client, served to the browser as ES modules), or, switched to
// v2, WAMP v2 with Autobahn|JS. The switch is in the header and in the address (`?wamp=2`).
import { PageCallError, type ChatStamp, type PageSession } from './page-session.js';
import { V1PageSession } from './v1-session.js';
import { V2PageSession } from './v2-session.js';

const UNAUTHORIZED = 'http://api.wamp.ws/error#unauthorized';
const SECRETS: Record<string, string> = { guest: 'secret-password', salted: 'salted-password' };
/** How many of a session id's last characters tell two users of one name apart. */
const SHORT_ID_LENGTH = 5;

type ChatEvent =
  | ({ type: 'message'; message: string } & ChatStamp)
  | { type: 'user-list'; users: ChatStamp[] }
  | ({ type: 'user-joined' | 'user-left' } & ChatStamp);

/** WAMP v1 (the default) or v2. */
type Version = 1 | 2;

/**
 * Where the session stands: no connection, connected but not logged in (v1: the server refuses
 * every call and drops subscribes and publishes; v2: no session until the login opens one),
 * anonymous (may call and subscribe, not publish), or logged in as a user (may do everything).
 */
type AuthState = 'offline' | 'none' | 'anonymous' | 'user';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

let version: Version = new URLSearchParams(location.search).get('wamp') === '2' ? 2 : 1;
let client: PageSession | undefined;
/** The chat's users: name by id (the id in the page's protocol's form, see `PageSession.chatId`). */
const users = new Map<string, ChatStamp>();

const endpoint = (): string => `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;

/** v1: opens a session (not logged in yet). v2: a session opens at login, so the page waits for one. */
async function connect(): Promise<void> {
  $('reconnect').hidden = true;
  showLoggedOut();
  if (version === 2) {
    setStatus('idle', 'v2: the session opens at login');
    showSessionId('-');
    setAuth('none');
    return;
  }
  setStatus('connecting', 'connecting');
  setAuth('offline');
  let opened: V1PageSession;
  try {
    opened = await V1PageSession.open(endpoint());
  } catch (error) {
    setStatus('closed', `could not connect: ${(error as Error).message}`);
    $('reconnect').hidden = false;
    return;
  }
  if (version !== 1) {
    void opened.close(); // switched to v2 meanwhile
    return;
  }
  adopt(opened);
  setAuth('none');
}

/** The page's session from now on: shown in the header, and watched for its end. */
function adopt(session: PageSession): void {
  client = session;
  setStatus('connected', `connected (${session.protocol})`);
  showSessionId(session.sessionId);
  void session.closed.then(({ code, reason }) => {
    if (client !== session) return; // logged out or switched: the page has moved on
    client = undefined;
    setStatus('closed', `closed (${code}${reason ? `: ${reason}` : ''})`);
    setAuth('offline');
    showLoggedOut();
    $('reconnect').hidden = false;
  });
}

function showLoggedOut(): void {
  $('login-state').textContent = 'not logged in';
  delete $('login-state').dataset.loggedIn;
  users.clear();
  renderUsers();
}

function setStatus(kind: 'idle' | 'connecting' | 'connected' | 'closed', text: string): void {
  const status = $('status');
  status.className = `status ${kind}`;
  status.textContent = text;
}

/** The header's session id, its last characters (the ones the chat shows) in bold. */
function showSessionId(sessionId: string): void {
  if (sessionId === '-') {
    $('session-id').replaceChildren('-');
    return;
  }
  const tail = document.createElement('b');
  tail.textContent = shortId(sessionId);
  $('session-id').replaceChildren(sessionId.slice(0, -SHORT_ID_LENGTH), tail);
}

/**
 * Enables what the session may do and explains the rest: the "log in first" hint, the
 * panels' badges (CSS shows the elements whose data-show-when names the state), and the
 * fieldsets whose data-needs says "login" (any login) or "publish" (guest or salted).
 */
function setAuth(state: AuthState): void {
  document.body.dataset.auth = state;
  $('login-hint').hidden = state !== 'none';
  $<HTMLFieldSetElement>('login-fields').disabled = state !== 'none';
  $('logout').hidden = state !== 'anonymous' && state !== 'user';
  for (const fieldset of document.querySelectorAll<HTMLFieldSetElement>('fieldset[data-needs]')) {
    fieldset.disabled = fieldset.dataset.needs === 'publish' ? state !== 'user' : state !== 'anonymous' && state !== 'user';
  }
}

/**
 * WAMP-CRA (or anonymous): v1 on the open session, as AutobahnJS's ab.launch does it; v2 by
 * opening a session with HELLO's authmethods. Then the page joins the chat and the clock.
 */
async function logIn(authKey: string, secret: string): Promise<void> {
  const login = { authKey: authKey || null, secret };
  const state = $('login-state');
  $<HTMLFieldSetElement>('login-fields').disabled = true;
  const session = version === 2 ? await openV2(login) : client;
  if (!session) return;
  try {
    if (session instanceof V1PageSession) await session.logIn(login);
  } catch (error) {
    state.textContent = `login failed: ${describe(error)}`;
    if (client === session) setAuth('none');
    return;
  }
  if (client !== session) return;
  const name = authKey || 'anonymous';
  state.replaceChildren(`logged in as ${name} `, sessionTag(session.sessionId));
  state.dataset.loggedIn = name;
  setAuth(authKey ? 'user' : 'anonymous');
  users.clear();
  session.subscribe('chat', (event) => onChat(event as ChatEvent));
  session.subscribe('time', (event) => onTick(event as { now: number }));
}

/** A v2 session for `login`, adopted by the page; undefined (and the page says why) when refused. */
async function openV2(login: { authKey: string | null; secret: string }): Promise<PageSession | undefined> {
  setStatus('connecting', 'connecting');
  try {
    const session = await V2PageSession.open(endpoint(), login);
    if (version !== 2) {
      void session.close(); // switched to v1 meanwhile
      return undefined;
    }
    adopt(session);
    return session;
  } catch (error) {
    if (version !== 2) return undefined;
    setStatus('idle', 'v2: the session opens at login');
    $('login-state').textContent = `login failed: ${describe(error)}`;
    setAuth('none');
    return undefined;
  }
}

/** Logging out is closing this session and starting afresh (a session logs in once, in either protocol). */
async function logOut(): Promise<void> {
  const session = client;
  client = undefined;
  await session?.close();
  await connect();
}

/** The header's v1/v2 switch: the session in the other protocol starts afresh, and the address remembers the choice. */
async function switchTo(next: Version): Promise<void> {
  if (next === version) return;
  version = next;
  showVersion();
  const url = new URL(location.href);
  if (next === 2) url.searchParams.set('wamp', '2');
  else url.searchParams.delete('wamp');
  history.replaceState(null, '', url);
  const session = client;
  client = undefined;
  await session?.close();
  await connect();
}

function showVersion(): void {
  document.body.dataset.wamp = String(version);
  $<HTMLInputElement>(`protocol-v${version}`).checked = true;
}

function onChat(event: ChatEvent): void {
  const session = client;
  if (!session) return;
  switch (event.type) {
    case 'message':
      addMessage(session, event);
      break;
    case 'user-list':
      users.clear();
      for (const user of event.users) users.set(session.chatId(user), user);
      break;
    case 'user-joined':
      users.set(session.chatId(event), event);
      addNotice(session, event, 'joined');
      break;
    case 'user-left':
      users.delete(session.chatId(event));
      addNotice(session, event, 'left');
      break;
  }
  renderUsers();
}

/** The last characters of a session id: enough to tell two "guest"s apart at a glance. */
function shortId(sessionId: string): string {
  return sessionId.slice(-SHORT_ID_LENGTH);
}

/** " · 3fK2a", muted, with the whole id as its tooltip. */
function sessionTag(id: string): HTMLSpanElement {
  const tag = document.createElement('span');
  tag.className = 'sid';
  tag.title = `session ${id}`;
  tag.textContent = `· ${shortId(id)}`;
  return tag;
}

/** "guest · 3fK2a": a chat user's name and the end of their session id (in the page's protocol's form); both ids as data. */
function userLabel(session: PageSession, user: ChatStamp): HTMLSpanElement {
  const label = document.createElement('span');
  label.className = 'who';
  label.dataset.clientId = user.clientId;
  if (user.sessionId !== undefined) label.dataset.sessionId = String(user.sessionId);
  label.append(`${user.username} `, sessionTag(session.chatId(user)));
  return label;
}

function addMessage(session: PageSession, event: ChatStamp & { message: string }): void {
  const item = document.createElement('li');
  const text = document.createElement('span');
  text.className = 'text';
  text.textContent = event.message;
  item.append(userLabel(session, event), ' ', text);
  appendToChat(item);
}

function addNotice(session: PageSession, user: ChatStamp, what: 'joined' | 'left'): void {
  const item = document.createElement('li');
  item.className = 'notice';
  item.append(userLabel(session, user), ` ${what}`);
  appendToChat(item);
}

function appendToChat(item: HTMLLIElement): void {
  const list = $('messages');
  list.append(item);
  list.scrollTop = list.scrollHeight;
}

function renderUsers(): void {
  const session = client;
  if (!session) {
    $('users').replaceChildren();
    return;
  }
  const sorted = [...users].map(([id, user]) => ({ id, user }));
  sorted.sort((a, b) => a.user.username.localeCompare(b.user.username) || a.id.localeCompare(b.id));
  $('users').replaceChildren(
    ...sorted.map(({ id, user }) => {
      const item = document.createElement('li');
      item.append(userLabel(session, user));
      if (id === session.sessionId) {
        item.className = 'me';
        item.append(' (you)');
      }
      return item;
    }),
  );
}

let ticks = 0;
function onTick({ now }: { now: number }): void {
  $('clock-time').textContent = new Date(now).toLocaleTimeString('en-GB');
  $('clock-ticks').textContent = String(++ticks);
}

/** clj-wamp-example's calculator: digits are local, each operator is a call to rpc:calc. */
let clearDisplayFirst = false;
function onDigit(digit: string): void {
  const display = $('calc-display');
  let value = display.textContent ?? '0';
  if (clearDisplayFirst || value === 'Error') {
    value = digit === '.' ? '0.' : digit;
    clearDisplayFirst = false;
  } else if (digit === '.') {
    if (!value.includes('.')) value += '.';
  } else if (value.length < 20) {
    value = value === '0' ? digit : value + digit;
  }
  display.textContent = value;
}

async function onOperator(op: string): Promise<void> {
  const display = $('calc-display');
  const error = $('calc-error');
  if (!client) return;
  if (display.textContent === 'Error') {
    display.textContent = '0';
    return;
  }
  error.textContent = '';
  clearDisplayFirst = true;
  try {
    display.textContent = String(await client.call('calc', op, display.textContent));
  } catch (failure) {
    display.textContent = 'Error';
    error.textContent = describe(failure);
  }
}

/**
 * One calculator input after the other: an operator waits for its call's result, and the keys
 * pressed meanwhile (fast typing) wait for it too, so a late result never overwrites them.
 */
let calcQueue: Promise<void> = Promise.resolve();
const OPERATORS = ['+', '-', '*', '/', '=', 'C'];
function calcInput(key: string): void {
  calcQueue = calcQueue.then(() => (OPERATORS.includes(key) ? onOperator(key) : onDigit(key)));
}

/** The calculator from the keyboard: digits and '.' (',' too), + - * /, = or Enter, C or Escape. */
function onCalcKey(event: KeyboardEvent): void {
  if ($('calc').closest('fieldset')?.disabled || event.ctrlKey || event.metaKey || event.altKey) return;
  const key = event.key === ',' ? '.' : event.key === 'Enter' ? '=' : event.key === 'Escape' ? 'C' : event.key.toUpperCase();
  if (!/^[0-9.]$/.test(key) && !OPERATORS.includes(key)) return;
  event.preventDefault();
  calcInput(key);
}

async function showCall(output: string, call: () => Promise<unknown>): Promise<void> {
  $(output).textContent = '…';
  try {
    $(output).textContent = JSON.stringify(await call());
  } catch (error) {
    $(output).textContent = describe(error);
  }
}

function describe(error: unknown): string {
  if (error instanceof PageCallError && error.uri === UNAUTHORIZED) {
    return 'unauthorized: log in first (as guest, salted or anonymous)';
  }
  if (error instanceof PageCallError) return `${error.desc}${error.details === undefined ? '' : ` (${JSON.stringify(error.details)})`}`;
  return error instanceof Error ? error.message : String(error);
}

/** A number input's value (decimals welcome: the inputs have step="any"), or undefined when it is not a number. */
function numberIn(id: string): number | undefined {
  const value = $<HTMLInputElement>(id).valueAsNumber;
  return Number.isFinite(value) ? value : undefined;
}

function wire(): void {
  const user = $<HTMLSelectElement>('login-user');
  const secret = $<HTMLInputElement>('login-secret');
  user.addEventListener('change', () => {
    secret.value = SECRETS[user.value] ?? '';
  });
  $('login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void logIn(user.value, secret.value);
  });
  $('logout').addEventListener('click', () => void logOut());
  $('chat-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $<HTMLInputElement>('chat-input');
    if (input.value.trim()) client?.publish('chat', { type: 'message', message: input.value });
    input.value = '';
  });
  for (const button of document.querySelectorAll<HTMLButtonElement>('.keys button')) {
    button.addEventListener('click', () => calcInput(button.textContent ?? ''));
  }
  $('calc').addEventListener('keydown', onCalcKey);
  $('add-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const session = client;
    const a = numberIn('add-a');
    const b = numberIn('add-b');
    if (a === undefined || b === undefined) $('add-result').textContent = 'type two numbers';
    else if (session) void showCall('add-result', () => session.call('add', a, b));
  });
  $('echo-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const session = client;
    if (session) void showCall('echo-result', () => session.call('echo', $<HTMLInputElement>('echo-input').value));
  });
  $('slow-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const session = client;
    const ms = numberIn('slow-ms');
    if (ms === undefined) $('slow-result').textContent = 'type a number of milliseconds';
    else if (session) void showCall('slow-result', () => session.call('slow', ms));
  });
  $('reconnect').addEventListener('click', () => void connect());
  for (const next of [1, 2] as const) {
    $(`protocol-v${next}`).addEventListener('change', () => void switchTo(next));
  }
}

wire();
showVersion();
void connect();
