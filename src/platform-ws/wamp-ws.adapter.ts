import type { INestApplicationContext } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import { WampUpgradeHost, type WampUpgradeDelegate } from '../engine/wamp-engine.js';
import type { WampWebSocketServer } from '../transport/wamp-websocket-server.js';

/** The port Nest's adapters use for "the application's own HTTP server". */
const APP_HTTP_SERVER_PORT = 0;

/**
 * Nest's `WsAdapter`, made aware of WAMP. Nest's adapter answers every WebSocket upgrade on the
 * app's HTTP server and destroys those for paths none of its gateways serve, which would cut
 * WAMP clients off. An app that has `@WebSocketGateway`s on that server installs this instead:
 *
 *     app.useWebSocketAdapter(new WampWsAdapter(app));
 *
 * and its gateways and WAMP share the port. Apps without gateways need nothing: WampModule
 * serves its path by itself.
 */
export class WampWsAdapter extends WsAdapter implements WampUpgradeDelegate {
  constructor(app: INestApplicationContext, options?: ConstructorParameters<typeof WsAdapter>[1]) {
    super(app, options);
    app.get(WampUpgradeHost, { strict: false }).delegateUpgrades(this);
  }

  serveWamp(transport: WampWebSocketServer): boolean {
    if (!this.httpServersRegistry.has(APP_HTTP_SERVER_PORT)) return false;
    // What the adapter's upgrade listener asks of a server: its path, and to take the upgrades for it.
    const endpoint = { path: transport.path, handleUpgrade: transport.handleUpgrade.bind(transport) };
    this.addWsServerToRegistry(endpoint, APP_HTTP_SERVER_PORT, transport.path);
    return true;
  }
}
