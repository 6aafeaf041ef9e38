import 'reflect-metadata';
import type { PeerMessage, PeerSettings } from '../protocol.js';
import { startNestSocketIo } from './nest-socketio.js';
import { startNestWamp } from './nest-wamp.js';
import { startNestWs } from './nest-ws.js';
import { startRawWs } from './raw-ws.js';
import { startSocketIo } from './socketio.js';

/** A peer process: starts the server the settings (argv[2], JSON) name and reports its port. */
async function main(): Promise<void> {
  const settings = JSON.parse(process.argv[2] ?? '{}') as PeerSettings;
  const port = await start(settings);
  process.on('message', (message: { type: string }) => {
    if (message.type !== 'gc') return;
    (globalThis as { gc?: () => void }).gc?.();
    send({ type: 'gc-done', memory: process.memoryUsage() });
  });
  // Exit normally on SIGTERM, so that --cpu-prof can write its profile.
  process.on('SIGTERM', () => process.exit(0));
  send({ type: 'ready', port });
}

function start(settings: PeerSettings): Promise<number> {
  switch (settings.peer) {
    case 'raw-ws':
      return startRawWs(settings.welcome);
    case 'nest-ws':
      return startNestWs();
    case 'socketio':
      return startSocketIo(settings.redisUrl, settings.channelPrefix);
    case 'nest-socketio':
      return startNestSocketIo();
    case 'nest-wamp':
    case 'nest-wamp-guarded':
      return startNestWamp({ ...settings, guarded: settings.peer === 'nest-wamp-guarded' });
  }
}

function send(message: PeerMessage): void {
  process.send?.(message);
}

void main();
