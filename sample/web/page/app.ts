// The sample page: it talks WAMP v1 to the sample app with nest-wamp's own client (the same
// code as `nest-wamp/testing`'s client, served to the browser as ES modules).
import { WampCallError, WampClient } from '../../../src/client/index.js';

const RPC = 'http://wamp.sample/rpc#';
const EVENT = 'http://wamp.sample/event#';
const CHAT = `${EVENT}chat`;
const TIME = `${EVENT}time`;
const UNAUTHORIZED = 'http://api.wamp.ws/error#unauthorized';
const SECRETS: Record<string, string> = { guest: 'secret-password', salted: 'salted-password' };
/** How many of a session id's last characters tell two users of one name apart. */
const SHORT_ID_LENGTH = 5;

interface ChatUser {
  clientId: string;
  username: string;
}

type ChatEvent =
  | { type: 'message'; message: string; username: string; clientId: string }
  | { type: 'user-list'; users: ChatUser[] }
  | ({ type: 'user-joined' | 'user-left' } & ChatUser);

/**
 * Where the session stands: no connection, connected but not logged in (the server refuses
 * every call and drops subscribes and publishes), anonymous (may call and subscribe, not
 * publish), or logged in as a user (may do everything).
 */
type AuthState = 'offline' | 'none' | 'anonymous' | 'user';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

let client: WampClient | undefined;
const users = new Map<string, string>();

async function connect(): Promise<void> {
  setStatus('connecting', 'connecting');
  setAuth('offline');
  $('reconnect').hidden = true;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  let opened: WampClient;
  try {
    opened = await WampClient.open(new WebSocket(`${scheme}://${location.host}/ws`, ['wamp']));
  } catch (error) {
    setStatus('closed', `could not connect: ${(error as Error).message}`);
    $('reconnect').hidden = false;
    return;
  }
  client = opened;
  setStatus('connected', 'connected');
  showSessionId(opened.sessionId);
  $('login-state').textContent = 'not logged in';
  delete $('login-state').dataset.loggedIn;
  users.clear();
  renderUsers();
  setAuth('none');
  opened.prefix('rpc', RPC);
  void opened.closed.then(({ code, reason }) => {
    if (client !== opened) return; // logged out: a new session is already on its way
    client = undefined;
    setStatus('closed', `closed (${code}${reason ? `: ${reason}` : ''})`);
    setAuth('offline');
    $('login-state').textContent = 'not logged in';
    $('reconnect').hidden = false;
  });
}

function setStatus(kind: 'connecting' | 'connected' | 'closed', text: string): void {
  const status = $('status');
  status.className = `status ${kind}`;
  status.textContent = text;
}

/** The header's session id, its last characters (the ones the chat shows) in bold. */
function showSessionId(sessionId: string): void {
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

/** WAMP-CRA, as AutobahnJS's ab.launch does it; then the page joins the chat and the clock. */
async function logIn(authKey: string, secret: string): Promise<void> {
  const session = client;
  if (!session) return;
  const state = $('login-state');
  $<HTMLFieldSetElement>('login-fields').disabled = true;
  try {
    await session.authenticate(authKey || null, secret);
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
  session.subscribe(CHAT, (event) => onChat(event as ChatEvent));
  session.subscribe(TIME, (event) => onTick(event as { now: number }));
}

/** Logging out is closing this session and opening a fresh one (a WAMP v1 session logs in once). */
async function logOut(): Promise<void> {
  const session = client;
  client = undefined;
  await session?.close(1000, 'log out');
  await connect();
}

function onChat(event: ChatEvent): void {
  switch (event.type) {
    case 'message':
      addMessage(event);
      break;
    case 'user-list':
      users.clear();
      for (const user of event.users) users.set(user.clientId, user.username);
      break;
    case 'user-joined':
      users.set(event.clientId, event.username);
      addNotice(event, 'joined');
      break;
    case 'user-left':
      users.delete(event.clientId);
      addNotice(event, 'left');
      break;
  }
  renderUsers();
}

/** The last characters of a session id: enough to tell two "guest"s apart at a glance. */
function shortId(sessionId: string): string {
  return sessionId.slice(-SHORT_ID_LENGTH);
}

/** " · 3fK2a", muted, with the whole id as its tooltip. */
function sessionTag(clientId: string): HTMLSpanElement {
  const tag = document.createElement('span');
  tag.className = 'sid';
  tag.title = `session ${clientId}`;
  tag.textContent = `· ${shortId(clientId)}`;
  return tag;
}

/** "guest · 3fK2a": a chat user's name and the end of their session id. */
function userLabel({ username, clientId }: ChatUser): HTMLSpanElement {
  const label = document.createElement('span');
  label.className = 'who';
  label.dataset.clientId = clientId;
  label.append(`${username} `, sessionTag(clientId));
  return label;
}

function addMessage(event: ChatUser & { message: string }): void {
  const item = document.createElement('li');
  const text = document.createElement('span');
  text.className = 'text';
  text.textContent = event.message;
  item.append(userLabel(event), ' ', text);
  appendToChat(item);
}

function addNotice(user: ChatUser, what: 'joined' | 'left'): void {
  const item = document.createElement('li');
  item.className = 'notice';
  item.append(userLabel(user), ` ${what}`);
  appendToChat(item);
}

function appendToChat(item: HTMLLIElement): void {
  const list = $('messages');
  list.append(item);
  list.scrollTop = list.scrollHeight;
}

function renderUsers(): void {
  const me = client?.sessionId;
  const sorted = [...users].map(([clientId, username]) => ({ clientId, username }));
  sorted.sort((a, b) => a.username.localeCompare(b.username) || a.clientId.localeCompare(b.clientId));
  $('users').replaceChildren(
    ...sorted.map((user) => {
      const item = document.createElement('li');
      item.append(userLabel(user));
      if (user.clientId === me) {
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
    display.textContent = String(await client.call('rpc:calc', op, display.textContent));
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
  if (error instanceof WampCallError && error.uri === UNAUTHORIZED) {
    return 'unauthorized: log in first (as guest, salted or anonymous)';
  }
  if (error instanceof WampCallError) return `${error.desc}${error.details === undefined ? '' : ` (${JSON.stringify(error.details)})`}`;
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
    if (input.value.trim()) client?.publish(CHAT, { type: 'message', message: input.value });
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
    else if (session) void showCall('add-result', () => session.call('rpc:add', a, b));
  });
  $('echo-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const session = client;
    if (session) void showCall('echo-result', () => session.call('rpc:echo', $<HTMLInputElement>('echo-input').value));
  });
  $('slow-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const session = client;
    const ms = numberIn('slow-ms');
    if (ms === undefined) $('slow-result').textContent = 'type a number of milliseconds';
    else if (session) void showCall('slow-result', () => session.call('rpc:slow', ms));
  });
  $('reconnect').addEventListener('click', () => void connect());
}

wire();
void connect();
