// The sample page: it talks WAMP v1 to the sample app with nest-wamp's own client (the same
// code as `nest-wamp/testing`'s client, served to the browser as ES modules).
import { WampCallError, WampClient } from '../../../src/client/index.js';

const RPC = 'http://wamp.sample/rpc#';
const EVENT = 'http://wamp.sample/event#';
const CHAT = `${EVENT}chat`;
const TIME = `${EVENT}time`;
const SECRETS: Record<string, string> = { guest: 'secret-password', salted: 'salted-password' };

interface ChatUser {
  clientId: string;
  username: string;
}

type ChatEvent =
  | { type: 'message'; message: string; username: string; clientId: string }
  | { type: 'user-list'; users: ChatUser[] }
  | ({ type: 'user-joined' | 'user-left' } & ChatUser);

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

let client: WampClient | undefined;
const users = new Map<string, string>();

async function connect(): Promise<void> {
  setStatus('connecting', 'connecting');
  $('reconnect').hidden = true;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  try {
    client = await WampClient.open(new WebSocket(`${scheme}://${location.host}/ws`, ['wamp']));
  } catch (error) {
    setStatus('closed', `could not connect: ${(error as Error).message}`);
    $('reconnect').hidden = false;
    return;
  }
  setStatus('connected', 'connected');
  $('session-id').textContent = client.sessionId;
  $('login-state').textContent = 'not logged in';
  client.prefix('rpc', RPC);
  void client.closed.then(({ code, reason }) => {
    setStatus('closed', `closed (${code}${reason ? `: ${reason}` : ''})`);
    $('reconnect').hidden = false;
    client = undefined;
  });
}

function setStatus(kind: 'connecting' | 'connected' | 'closed', text: string): void {
  const status = $('status');
  status.className = `status ${kind}`;
  status.textContent = text;
}

/** WAMP-CRA, as AutobahnJS's ab.launch does it; then the page joins the chat and the clock. */
async function logIn(authKey: string, secret: string): Promise<void> {
  if (!client) return;
  const state = $('login-state');
  try {
    await client.authenticate(authKey || null, secret);
  } catch (error) {
    state.textContent = `login failed: ${describe(error)}`;
    return;
  }
  state.textContent = `logged in as ${authKey || 'anonymous'}`;
  state.dataset.loggedIn = authKey || 'anonymous';
  users.clear();
  client.subscribe(CHAT, (event) => onChat(event as ChatEvent));
  client.subscribe(TIME, (event) => onTick(event as { now: number }));
}

function onChat(event: ChatEvent): void {
  switch (event.type) {
    case 'message':
      addMessage(event.username, event.message);
      break;
    case 'user-list':
      users.clear();
      for (const user of event.users) users.set(user.clientId, user.username);
      break;
    case 'user-joined':
      users.set(event.clientId, event.username);
      addNotice(`${event.username} joined`);
      break;
    case 'user-left':
      users.delete(event.clientId);
      addNotice(`${event.username} left`);
      break;
  }
  renderUsers();
}

function addMessage(username: string, message: string): void {
  const item = document.createElement('li');
  const who = document.createElement('span');
  who.className = 'who';
  who.textContent = username;
  item.append(who, document.createTextNode(message));
  appendToChat(item);
}

function addNotice(text: string): void {
  const item = document.createElement('li');
  item.className = 'notice';
  item.textContent = text;
  appendToChat(item);
}

function appendToChat(item: HTMLLIElement): void {
  const list = $('messages');
  list.append(item);
  list.scrollTop = list.scrollHeight;
}

function renderUsers(): void {
  const list = $('users');
  list.replaceChildren(
    ...[...users.values()].sort().map((username) => {
      const item = document.createElement('li');
      item.textContent = username;
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

async function showCall(output: string, call: () => Promise<unknown>): Promise<void> {
  try {
    $(output).textContent = JSON.stringify(await call());
  } catch (error) {
    $(output).textContent = describe(error);
  }
}

function describe(error: unknown): string {
  if (error instanceof WampCallError) return `${error.desc}${error.details === undefined ? '' : ` (${JSON.stringify(error.details)})`}`;
  return error instanceof Error ? error.message : String(error);
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
  $('chat-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $<HTMLInputElement>('chat-input');
    if (input.value.trim()) client?.publish(CHAT, { type: 'message', message: input.value });
    input.value = '';
  });
  for (const button of document.querySelectorAll<HTMLButtonElement>('.keys .digit')) {
    button.addEventListener('click', () => onDigit(button.textContent ?? ''));
  }
  for (const button of document.querySelectorAll<HTMLButtonElement>('.keys .op')) {
    button.addEventListener('click', () => void onOperator(button.textContent ?? ''));
  }
  $('add-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const a = Number($<HTMLInputElement>('add-a').value);
    const b = Number($<HTMLInputElement>('add-b').value);
    if (client) void showCall('add-result', () => client!.call('rpc:add', a, b));
  });
  $('echo-form').addEventListener('submit', (event) => {
    event.preventDefault();
    if (client) void showCall('echo-result', () => client!.call('rpc:echo', $<HTMLInputElement>('echo-input').value));
  });
  $('reconnect').addEventListener('click', () => void connect());
}

wire();
void connect();
