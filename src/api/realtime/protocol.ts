// The realtime wire protocol (JSON text frames, documented in docs/realtime.md): parsing and
// validation of client messages, the server's frame shapes, and the close codes.

/** WebSocket close codes Strata uses (4000-4999 is the application range of RFC 6455 §7.4.2). */
export const CloseCode = {
  /** Server shutting down (RFC 6455). */
  goingAway: 1001,
  /** A message larger than `realtime.maxMessageBytes` (RFC 6455; sent by ws itself). */
  tooBig: 1009,
  /** Credentials failed, expired, or were revoked (logout, key revoked, token `exp`). */
  unauthorized: 4001,
  /** No frame or pong within `realtime.idleTimeout`. */
  idle: 4002,
  /** The client did not read fast enough: its send buffer passed `realtime.maxBufferBytes`. */
  tooSlow: 4008,
} as const;

/** `code` of an error frame. */
export type ErrorCode =
  | 'bad_message'
  | 'unknown_type'
  | 'invalid'
  | 'too_many_subscriptions'
  | 'duplicate_id'
  | 'unknown_subscription'
  | 'not_found'
  | 'forbidden'
  | 'unauthorized'
  | 'already_authenticated'
  | 'resume_gap'
  | 'unavailable';

export type SubscribeMessage =
  | { type: 'subscribe'; id: string; collection: string; record?: string; filter?: string }
  | { type: 'subscribe'; id: string; topic: string };

export type ClientMessage =
  | { type: 'auth'; token: string }
  | SubscribeMessage
  | { type: 'unsubscribe'; id: string }
  | { type: 'resume'; after: string }
  | { type: 'ping'; ref?: string };

export class ProtocolError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly ref?: string,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

const SUB_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const RECORD_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** Event ids are the outbox sequence as decimal digits. */
export const EVENT_ID = /^\d{1,19}$/;
const MAX_FILTER = 2048;
const MAX_TOKEN = 8192;

const str = (o: Record<string, unknown>, k: string): string | undefined => (typeof o[k] === 'string' ? (o[k] as string) : undefined);

function only(o: Record<string, unknown>, keys: readonly string[], ref?: string): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new ProtocolError('invalid', `Unknown field "${k.slice(0, 32)}".`, ref);
}

/** Validates one subscription request (also used for SSE's `subscribe` query parameter). */
export function parseSubscribe(o: Record<string, unknown>): SubscribeMessage {
  const id = str(o, 'id');
  if (id === undefined || !SUB_ID.test(id)) throw new ProtocolError('invalid', 'A subscription needs an "id" of 1-64 letters, digits, "_", ".", ":" or "-".');
  if (o.topic !== undefined) {
    only(o, ['type', 'id', 'topic'], id);
    const topic = str(o, 'topic');
    if (!topic || topic.length > 255) throw new ProtocolError('invalid', '"topic" must be a topic pattern such as "app.chat.*".', id);
    return { type: 'subscribe', id, topic };
  }
  only(o, ['type', 'id', 'collection', 'record', 'filter'], id);
  const collection = str(o, 'collection');
  if (!collection || !NAME.test(collection)) throw new ProtocolError('invalid', 'A subscription needs a "collection" name or a "topic".', id);
  const out: SubscribeMessage = { type: 'subscribe', id, collection };
  if (o.record !== undefined) {
    const record = str(o, 'record');
    if (!record || !RECORD_ID.test(record)) throw new ProtocolError('invalid', '"record" must be a record id.', id);
    out.record = record;
  }
  if (o.filter !== undefined) {
    const filter = str(o, 'filter');
    if (filter === undefined || filter.length > MAX_FILTER) throw new ProtocolError('invalid', `"filter" must be a string of at most ${MAX_FILTER} characters.`, id);
    if (filter.trim() !== '') out.filter = filter;
  }
  return out;
}

/** Parses one text frame; throws ProtocolError with the code for the error frame. */
export function parseClientMessage(text: string): ClientMessage {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    throw new ProtocolError('bad_message', 'Messages are JSON objects.');
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new ProtocolError('bad_message', 'Messages are JSON objects.');
  const m = o as Record<string, unknown>;
  switch (m.type) {
    case 'auth': {
      only(m, ['type', 'token']);
      const token = str(m, 'token');
      if (!token || token.length > MAX_TOKEN) throw new ProtocolError('invalid', '"token" must be an access token or API key.');
      return { type: 'auth', token };
    }
    case 'subscribe':
      return parseSubscribe(m);
    case 'unsubscribe': {
      only(m, ['type', 'id']);
      const id = str(m, 'id');
      if (id === undefined || !SUB_ID.test(id)) throw new ProtocolError('invalid', '"id" must name a subscription.');
      return { type: 'unsubscribe', id };
    }
    case 'resume': {
      only(m, ['type', 'after']);
      const after = str(m, 'after');
      if (after === undefined || !EVENT_ID.test(after)) throw new ProtocolError('invalid', '"after" must be the id of the last event received.');
      return { type: 'resume', after };
    }
    case 'ping': {
      only(m, ['type', 'ref']);
      const ref = str(m, 'ref');
      return ref !== undefined && SUB_ID.test(ref) ? { type: 'ping', ref } : { type: 'ping' };
    }
    default:
      throw new ProtocolError('unknown_type', 'Unknown message "type"; expected auth, subscribe, unsubscribe, resume or ping.');
  }
}

/** An error frame. */
export const errorFrame = (code: ErrorCode, message: string, ref?: string): string => JSON.stringify(ref === undefined ? { type: 'error', code, message } : { type: 'error', code, message, ref });
