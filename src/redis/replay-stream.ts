import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * The replay stream of `RedisBackplane`'s `replay` mode: one Redis Stream per channel prefix
 * (`<prefix>#replay`) that keeps the last events of every topic for a while, beside the live
 * channels. An event is added to it and published on its channel by one script, in one round
 * trip and atomically, so the live message carries the event's stream id (`"i"` in the
 * envelope) and a receiver that missed some live messages can read them from the stream after
 * the last id it saw. Entry fields: `t` topic, `e` envelope (with its newline, without the id),
 * `f` the EVENT frame, `a` how old the event was (ms) when it was added (a publisher that kept it
 * through an outage adds it late).
 */

/** Adds the event (trimming to exactly `maxEvents`), keeps the stream for `maxAgeMs` past its last event, publishes it with its id. */
const APPEND = `local id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[1], '*', 't', ARGV[3], 'e', ARGV[5], 'f', ARGV[6], 'a', ARGV[7])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return redis.call('PUBLISH', ARGV[4], '{"i":"' .. id .. '",' .. string.sub(ARGV[5], 2) .. ARGV[6])`;

/** Redis's clock (the one stream ids are made of) and a page of entries after an id. */
const READ = `local now = redis.call('TIME')
return {now[1], now[2], redis.call('XRANGE', KEYS[1], ARGV[1], '+', 'COUNT', ARGV[2])}`;

/** A stream id, `<ms>-<seq>`. */
export type StreamId = string;

/** An entry of the stream as read back. */
export interface StreamEntry {
  readonly id: StreamId;
  readonly topic: string;
  readonly envelope: Buffer;
  readonly frame: Buffer;
  /** Age in ms when it was added. */
  readonly ageWhenAdded: number;
}

/** Orders two stream ids (negative: `a` is older). */
export function compareIds(a: StreamId, b: StreamId): number {
  const [aMs, aSeq] = idParts(a);
  const [bMs, bSeq] = idParts(b);
  return aMs - bMs || aSeq - bSeq;
}

/** The millisecond time (Redis's clock) a stream id was made at. */
export function idTime(id: StreamId): number {
  return idParts(id)[0];
}

function idParts(id: StreamId): [number, number] {
  const dash = id.indexOf('-');
  return dash === -1 ? [Number(id), 0] : [Number(id.slice(0, dash)), Number(id.slice(dash + 1))];
}

function sha1(source: string): string {
  return createHash('sha1').update(source).digest('hex');
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

export class ReplayStream {
  private static readonly appendSha = sha1(APPEND);
  private static readonly readSha = sha1(READ);

  constructor(
    /** The stream's key. */
    readonly key: string,
    private readonly maxEvents: number,
    private readonly maxAgeMs: number,
  ) {}

  /**
   * Loads the scripts on a connection that has just become ready, before anything else is sent
   * on it: Redis runs a connection's commands in order, so the EVALSHAs that follow find them
   * (a restarted Redis has none). Failure is harmless: EVALSHA falls back to EVAL.
   */
  load(connection: Redis): void {
    for (const source of [APPEND, READ]) connection.script('LOAD', source).catch(() => undefined);
  }

  /** Adds an event to the stream and publishes it on `channel`; resolves with PUBLISH's count of receivers. */
  append(connection: Redis, channel: string, topic: string, envelope: string, frame: string | Buffer, ageMs: number): Promise<unknown> {
    const args = [String(this.maxEvents), String(this.maxAgeMs), topic, channel, envelope, frame, String(ageMs)];
    return this.run(connection, ReplayStream.appendSha, APPEND, args);
  }

  /** Redis's time (ms) and up to `count` entries after `after` (exclusive). */
  async read(connection: Redis, after: StreamId, count: number): Promise<{ now: number; entries: StreamEntry[] }> {
    const [seconds, micros, raw] = (await this.run(connection, ReplayStream.readSha, READ, [`(${after}`, String(count)])) as [
      Buffer,
      Buffer,
      [Buffer, Buffer[]][],
    ];
    const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    const entries: StreamEntry[] = [];
    for (const [id, fields] of raw) {
      const entry = parseEntry(id.toString('latin1'), fields);
      if (entry) entries.push(entry);
    }
    return { now, entries };
  }

  /** The id of the stream's newest entry now (`0-0` when it is empty or gone). */
  async last(connection: Redis): Promise<StreamId> {
    const newest = (await connection.xrevrangeBuffer(this.key, '+', '-', 'COUNT', 1)) as [Buffer, Buffer[]][];
    return newest.length === 0 ? '0-0' : newest[0][0].toString('latin1');
  }

  private run(connection: Redis, sha: string, source: string, args: (string | Buffer)[]): Promise<unknown> {
    return connection.callBuffer('EVALSHA', [sha, 1, this.key, ...args]).catch((error: unknown) => {
      if (!isNoScript(error)) throw error;
      return connection.callBuffer('EVAL', [source, 1, this.key, ...args]);
    });
  }
}

/** An entry's fields; undefined for one that is not ours (anyone with access to Redis may add to the stream). */
function parseEntry(id: StreamId, fields: Buffer[]): StreamEntry | undefined {
  const values = new Map<string, Buffer>();
  for (let n = 0; n + 1 < fields.length; n += 2) values.set(fields[n].toString('latin1'), fields[n + 1]);
  const topic = values.get('t');
  const envelope = values.get('e');
  const frame = values.get('f');
  const age = Number(values.get('a')?.toString('latin1') ?? 0);
  if (!topic || !envelope || !frame || !Number.isFinite(age)) return undefined;
  return { id, topic: topic.toString('utf8'), envelope, frame, ageWhenAdded: age };
}
