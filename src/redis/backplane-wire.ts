import { randomBytes } from 'node:crypto';
import type { DeliveryFilter } from '../pubsub/delivery-filter.js';
import { isDict } from '../protocol/v2/dict.js';
import { isId } from '../protocol/v2/id.js';
import type { Dict, Payload } from '../protocol/v2/messages.js';

/**
 * The Redis backplane's wire format, shared by everything that speaks it (`RedisBackplane`,
 * `WampEmitter`). An event travels on the channel `<prefix>:<topic>` as a small JSON envelope
 * (origin, exclude, eligible), a newline, and the EVENT frame as the publisher encoded it, so
 * receiving instances forward the bytes without re-encoding the event. A backplane in `replay`
 * mode publishes through a script that adds the event's replay-stream id to the envelope (`"i"`);
 * everything else ignores it, so publishers with and without it (and `WampEmitter`) mix.
 * WAMP v2 adds the publication id (`"p"`) and, when a v2 publisher sent more than one argument,
 * its `Arguments` and `ArgumentsKw` (`"a"`, `"k"`); receivers without them (older versions) ignore
 * them, and messages without them (`WampEmitter`, older publishers) reach v2 subscribers as
 * `Arguments [event]`, the event read from the frame.
 */

/** The channel prefix when none is given: several apps on one Redis each choose their own. */
export const DEFAULT_CHANNEL_PREFIX = 'nest-wamp';

/** The part of a message that is not the frame: who sent it and who may receive it. */
interface Envelope {
  /** The publisher (an instance, which delivered to its own subscribers already, or an emitter). */
  readonly o: string;
  readonly x?: readonly string[];
  readonly l?: readonly string[];
  /** The event's id in the replay stream (`RedisBackplane`'s `replay` mode; added by Redis, in the script that publishes). */
  readonly i?: string;
  /** The WAMP v2 publication id. */
  readonly p?: number;
  /** A v2 publication's `Arguments` and `ArgumentsKw`, when they are not just `[event]`. */
  readonly a?: readonly unknown[];
  readonly k?: Dict;
}

/** What WAMP v2 adds to a message beside the frame. */
export interface BackplaneV2Fields {
  readonly publication?: number;
  readonly payload?: Payload;
}

/** A message read off a channel. */
export interface BackplaneWireMessage extends BackplaneV2Fields {
  readonly origin: string;
  readonly filter: DeliveryFilter;
  /** The EVENT frame, a view into the payload. */
  readonly frame: Buffer;
  /** Its id in the replay stream, when its publisher is in `replay` mode (instances not in that mode ignore it). */
  readonly id?: string;
}

const NEWLINE = 0x0a;
/** A Redis Stream id, `<ms>-<seq>`. */
const STREAM_ID = /^\d{1,16}-\d{1,16}$/;

/** A publisher's origin: random, so that an instance knows its own messages when they come back. */
export function newOrigin(): string {
  return randomBytes(9).toString('base64url');
}

/** What comes before the topic in a channel's name (`channelPrefix` and a colon). */
export function channelHead(channelPrefix: string = DEFAULT_CHANNEL_PREFIX): string {
  return `${channelPrefix}:`;
}

/**
 * The envelope and its newline, ready to go before a frame. An empty exclude list is left out; an
 * eligible list is kept even when empty (nobody). `v2`: the publication id and payload, if any.
 */
export function encodeEnvelope(origin: string, filter: DeliveryFilter, v2?: BackplaneV2Fields): string {
  const envelope: Envelope = {
    o: origin,
    ...(filter.exclude?.length && { x: filter.exclude }),
    ...(filter.eligible && { l: filter.eligible }),
    ...(v2?.publication !== undefined && { p: v2.publication }),
    ...(v2?.payload && { a: v2.payload.args ?? [], ...(v2.payload.kwargs && { k: v2.payload.kwargs }) }),
  };
  return `${JSON.stringify(envelope)}\n`;
}

/** Bytes of an envelope and a frame together, before they are concatenated (for in-flight bounds). */
export function payloadSize(envelope: string, frame: string | Buffer): number {
  return Buffer.byteLength(envelope) + (typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length);
}

/**
 * The most bytes a PUBLISH or SPUBLISH of a payload on `channel` adds to it on the wire (RESP:
 * `*3`, the command, the channel, and two lengths of at most ten digits), so that the in-flight
 * bounds cover what the connection's socket holds.
 */
export function commandOverhead(channel: string): number {
  return 48 + Buffer.byteLength(channel);
}

/** The payload of a PUBLISH: the envelope, then the frame. */
export function encodePayload(envelope: string, frame: string | Buffer, size = payloadSize(envelope, frame)): Buffer {
  return Buffer.concat([Buffer.from(envelope), typeof frame === 'string' ? Buffer.from(frame) : frame], size);
}

/** A payload read off a channel; undefined when it is not one of ours. */
export function decodePayload(payload: Buffer): BackplaneWireMessage | undefined {
  const split = payload.indexOf(NEWLINE);
  if (split === -1) return undefined;
  return decodeMessage(payload.subarray(0, split), payload.subarray(split + 1));
}

/** An envelope (its JSON, with or without the newline) and a frame, kept apart (as in the replay stream); undefined when not ours. */
export function decodeMessage(json: Buffer, frame: Buffer): BackplaneWireMessage | undefined {
  let envelope: unknown;
  try {
    envelope = JSON.parse(json.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isEnvelope(envelope)) return undefined;
  const message: BackplaneWireMessage = { origin: envelope.o, filter: { exclude: envelope.x, eligible: envelope.l }, frame };
  if (envelope.i === undefined && envelope.p === undefined && envelope.a === undefined) return message;
  return {
    ...message,
    ...(envelope.i !== undefined && { id: envelope.i }),
    ...(envelope.p !== undefined && { publication: envelope.p }),
    ...(envelope.a !== undefined && { payload: { args: envelope.a, kwargs: envelope.k } }),
  };
}

/** Whether parsed JSON is an envelope (anyone may publish on a channel: `null` or `{"l":5}` must not get further). */
function isEnvelope(value: unknown): value is Envelope {
  if (typeof value !== 'object' || value === null) return false;
  const { o, x, l, i, p, a, k } = value as Record<string, unknown>;
  return (
    typeof o === 'string' &&
    isIdList(x) &&
    isIdList(l) &&
    (i === undefined || (typeof i === 'string' && STREAM_ID.test(i))) &&
    (p === undefined || isId(p)) &&
    (a === undefined || Array.isArray(a)) &&
    (k === undefined || (a !== undefined && isDict(k)))
  );
}

function isIdList(value: unknown): value is readonly string[] | undefined {
  return value === undefined || (Array.isArray(value) && value.every((id) => typeof id === 'string'));
}

/** A node of a Redis Cluster (the backplane's and the emitter's `cluster.nodes`): `{ host, port }`, `'host:port'` or `'redis://host:port'`. */
export type RedisClusterNode = string | { readonly host: string; readonly port: number };

/** A node's address, and its key (`host:port`). */
export interface NodeAddress {
  readonly host: string;
  readonly port: number;
  readonly key: string;
}

/** A node option as an address; a clear error for one that is not a node. */
export function nodeAddress(node: RedisClusterNode, owner: string): NodeAddress {
  let host: string;
  let port: number;
  if (typeof node === 'string') {
    if (node.includes('://')) {
      const url = new URL(node);
      host = url.hostname.replace(/^\[(.*)\]$/, '$1');
      port = url.port === '' ? 6379 : Number(url.port);
    } else {
      const colon = node.lastIndexOf(':');
      host = colon === -1 ? node : node.slice(0, colon);
      port = colon === -1 ? 6379 : Number(node.slice(colon + 1));
    }
  } else {
    ({ host, port } = node ?? {});
  }
  if (typeof host !== 'string' || host === '' || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error(`${owner}: a cluster node must be { host, port }, 'host:port' or 'redis://host:port'; got ${JSON.stringify(node)}`);
  }
  return { host, port, key: `${host}:${port}` };
}
