import type { IncomingMessage } from 'node:http';
import type { WampProtocolVersion } from '../core/wamp-session.js';
import { WAMP_SUBPROTOCOL } from '../protocol/message-type.js';
import { WAMP_V2_JSON_SUBPROTOCOL } from '../protocol/v2/message-code.js';

/**
 * Which browser origins may open a session: exact origins (`https://app.example`) and
 * regular expressions, each matched against the whole origin (`/https:\/\/app\.example/`
 * does not admit `https://app.example.evil.example`), or a function deciding per request (it
 * may be async).
 */
export type WampOriginRule =
  ReadonlyArray<string | RegExp> | ((origin: string | undefined, request: IncomingMessage) => boolean | Promise<boolean>);

/** The subprotocol a handshake settled on: the client's own token for it, and the WAMP version it means. */
export interface WampSubprotocol {
  readonly token: string;
  readonly version: WampProtocolVersion;
}

/**
 * The subprotocol to answer with: `wamp.2.json` when the client offers it and v2 is served (a
 * client offering both gets v2), else `wamp`; tokens compare case-insensitively, as clj-wamp does.
 */
export function chooseWampProtocol(protocols: Iterable<string>, servesV2: boolean): WampSubprotocol | undefined {
  let v1: string | undefined;
  for (const protocol of protocols) {
    const name = protocol.trim().toLowerCase();
    if (servesV2 && name === WAMP_V2_JSON_SUBPROTOCOL) return { token: protocol, version: 2 };
    if (name === WAMP_SUBPROTOCOL) v1 ??= protocol;
  }
  return v1 === undefined ? undefined : { token: v1, version: 1 };
}

/** Splits a `Sec-WebSocket-Protocol` header into its tokens. */
export function parseProtocolHeader(header: string | string[] | undefined): string[] {
  if (header === undefined) return [];
  const joined = Array.isArray(header) ? header.join(',') : header;
  return joined
    .split(',')
    .map((token) => token.trim())
    .filter(Boolean);
}

/**
 * Whether the request's Origin may connect. No rule allows every origin. A request without
 * an Origin header (a non-browser client) is allowed unless `allowMissingOrigin` is false;
 * a function rule decides that case itself.
 */
export function isOriginAllowed(
  request: IncomingMessage,
  rule: WampOriginRule | undefined,
  allowMissingOrigin: boolean,
): boolean | Promise<boolean> {
  const origin = request.headers.origin;
  if (typeof rule === 'function') return rule(origin, request);
  if (origin === undefined) return allowMissingOrigin;
  if (!rule) return true;
  return rule.some((allowed) => (typeof allowed === 'string' ? allowed === origin : matches(allowed, origin)));
}

/** The anchored copy of each origin pattern, compiled once. */
const WHOLE_ORIGIN_PATTERNS = new WeakMap<RegExp, RegExp>();

function matches(pattern: RegExp, origin: string): boolean {
  let whole = WHOLE_ORIGIN_PATTERNS.get(pattern);
  if (!whole) {
    whole = matchingWholly(pattern);
    WHOLE_ORIGIN_PATTERNS.set(pattern, whole);
  }
  return whole.test(origin);
}

/**
 * `pattern` matching only a whole string. An unanchored pattern would match anywhere, so
 * `/https?:\/\/myhost/` would admit `https://myhost.evil.example`. Without /g and /y, the copy
 * keeps no state between calls; without /m, `^` and `$` mean the ends of the origin.
 */
function matchingWholly(pattern: RegExp): RegExp {
  return new RegExp(`^(?:${pattern.source})$`, pattern.flags.replace(/[gym]/g, ''));
}

/** The request path without its query string. */
export function requestPath(request: IncomingMessage): string {
  const url = request.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
