import * as crypto from 'node:crypto';
import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** RFC 6455's key for Sec-WebSocket-Accept. */
const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** Sec-WebSocket-Key: 16 bytes, base64. */
const KEY_PATTERN = /^[+/0-9A-Za-z]{22}==$/;
const SUPPORTED_VERSIONS = '13, 8';

export interface UpgradeRefusal {
  readonly status: number;
  readonly message: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** What makes a request no WebSocket opening handshake (RFC 6455, 4.2.1), or undefined when it is one. */
export function handshakeProblem(request: IncomingMessage): UpgradeRefusal | undefined {
  if (request.method !== 'GET') return { status: 405, message: 'a WebSocket handshake is a GET request' };
  if (request.headers.upgrade?.toLowerCase() !== 'websocket') return { status: 400, message: 'invalid Upgrade header' };
  const key = request.headers['sec-websocket-key'];
  if (key === undefined || !KEY_PATTERN.test(key)) return { status: 400, message: 'missing or invalid Sec-WebSocket-Key header' };
  const version = request.headers['sec-websocket-version'];
  if (version !== '13' && version !== '8') {
    return { status: 426, message: 'unsupported WebSocket version', headers: { 'Sec-WebSocket-Version': SUPPORTED_VERSIONS } };
  }
  return undefined;
}

/**
 * The 101 answer to a handshake `handshakeProblem` found nothing wrong with, choosing `protocol`,
 * and answering `Sec-WebSocket-Extensions` with `extensions` when an extension was agreed.
 */
export function switchingProtocols(request: IncomingMessage, protocol: string, extensions?: string): string {
  return (
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Accept: ${acceptKey(request.headers['sec-websocket-key']!)}\r\n` +
    `Sec-WebSocket-Protocol: ${protocol}\r\n` +
    (extensions === undefined ? '\r\n' : `Sec-WebSocket-Extensions: ${extensions}\r\n\r\n`)
  );
}

/** Answers a handshake with an HTTP error and closes the connection once the answer is out. */
export function refuseUpgrade(socket: Duplex, { status, message, headers = {} }: UpgradeRefusal): void {
  // An upgraded socket has no error listener: a reset while the answer goes out must not throw.
  socket.on('error', () => socket.destroy());
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const extra = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: text/plain\r\n` +
      `Content-Length: ${Buffer.byteLength(message)}\r\n${extra}\r\n${message}`,
  );
}

/** Whether an upgraded socket can still become a WebSocket (an async check may have outlived it). */
export function isStillOpen(socket: Duplex): socket is Socket {
  return socket.readable && socket.writable && !socket.destroyed;
}

// One-shot `crypto.hash` (Node 20.12) saves a Hash object per handshake.
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'base64') => string }).hash;

function acceptKey(key: string): string {
  const input = key + ACCEPT_GUID;
  return oneShotHash ? oneShotHash('sha1', input, 'base64') : crypto.createHash('sha1').update(input).digest('base64');
}
