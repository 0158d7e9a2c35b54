// One realtime client (WebSocket or SSE): its principal, subscriptions, the bounded send path
// (backpressure) and what it was already sent (for deletes and de-duplication).
import type { Principal } from '../../core/index.js';
import type { RecordSubscription } from '../../data/index.js';
import { CloseCode } from './protocol.js';

/** What a transport must offer the hub. */
export interface Transport {
  readonly kind: 'websocket' | 'sse';
  /** Bytes queued for the client and not yet written to the network. */
  buffered(): number;
  /**
   * Sends one JSON text frame (a Buffer when encoded once for many clients); `eventId` becomes SSE's
   * `id:` line. `wire`, when given, is the same frame already framed for WebSocket (ws-frame.ts), built
   * once for every client the event goes to.
   */
  send(frame: string | Buffer, eventId?: string, wire?: Buffer): void;
  /** Ends the connection with a WebSocket close code (SSE just ends the stream). */
  close(code: number, reason: string): void;
  /** A keep-alive: a WebSocket ping frame or an SSE comment line. */
  ping(): void;
}

/** Who the client is and how to tell when that stops being true. */
export interface Credential {
  readonly principal: Principal;
  readonly kind: 'token' | 'apiKey' | 'session';
  /** Epoch ms after which the credential is no longer valid (token `exp`, key expiry). */
  readonly expiresAt?: number;
  /** Re-validates a revocable credential (session, API key); false means revoked. */
  readonly recheck?: () => Promise<boolean>;
  /** Whose "valid after" mark ends this credential (`<collection>:<id>`), and when it was issued (ms). */
  readonly issued?: { readonly subject: string; readonly ms: number };
}

export type Subscription =
  | { readonly id: string; readonly kind: 'records'; readonly collection: string; readonly record?: string; readonly filter?: string; readonly access: RecordSubscription }
  | { readonly id: string; readonly kind: 'topic'; readonly pattern: string };

const SEEN_MAX = 10_000;
const SENT_MAX = 1024;

export class Connection {
  credential: Credential | undefined;
  /** Who this is, as a key for batching rule checks ('' when anonymous). */
  principalKey = '';
  readonly subs = new Map<string, Subscription>();
  closed = false;
  /** Epoch ms of the last frame or pong from the client. */
  lastSeen = Date.now();
  /** While a resume replays, live events wait here (bounded by the send buffer limit). */
  pending: Array<{ seq: number; id: string; text: string | Buffer }> | undefined;
  private pendingBytes = 0;
  /** `sub/collection/id` of records each subscription was sent, so it also gets their deletes (insertion-ordered, bounded). */
  private readonly seen = new Set<string>();
  /** Ids of recent events sent, to drop the bus's at-least-once duplicates. */
  private readonly sent = new Set<string>();
  private expiry: NodeJS.Timeout | undefined;

  constructor(
    readonly id: string,
    readonly transport: Transport,
    private readonly maxBufferBytes: number,
    readonly onClose: (c: Connection) => void,
  ) {}

  get principal(): Principal | null {
    return this.credential?.principal ?? null;
  }

  /** Sets who the client is; a credential with an expiry closes the connection when it passes. */
  authenticate(cred: Credential): void {
    this.credential = cred;
    const p = cred.principal;
    this.principalKey = `${p.collection}\u0000${p.id}\u0000${p.superuser ? 1 : 0}\u0000${p.scopes.join(' ')}`;
    clearTimeout(this.expiry);
    if (cred.expiresAt !== undefined) {
      const ms = Math.max(0, cred.expiresAt - Date.now());
      // setTimeout's limit is ~24.8 days; longer-lived credentials are caught by the recheck loop.
      if (ms < 2 ** 31 - 1) {
        this.expiry = setTimeout(() => this.close(CloseCode.unauthorized, 'credentials expired'), ms);
        this.expiry.unref();
      }
    }
  }

  /** Queues a frame, or cuts the client off when its buffer is past the bound. Returns false once closed. */
  send(text: string | Buffer, eventId?: string, wire?: Buffer): boolean {
    if (this.closed) return false;
    if (this.transport.buffered() + text.length > this.maxBufferBytes) {
      this.close(CloseCode.tooSlow, 'send buffer full');
      return false;
    }
    this.transport.send(text, eventId, wire);
    return true;
  }

  /** Sends a record event unless this id was just sent; during a replay, holds it back. */
  sendEvent(seq: number, id: string, text: string | Buffer, replay = false, wire?: Buffer): void {
    if (this.pending && !replay) {
      this.pendingBytes += text.length;
      if (this.pendingBytes > this.maxBufferBytes) {
        // Too many live events during a long replay: drop what is held instead of the client. They
        // are in the durable log, and the replay reads on until it has them (takeOverflow()).
        this.pending = [];
        this.pendingBytes = 0;
        this.overflowed = true;
        return;
      }
      this.pending.push({ seq, id, text });
      return;
    }
    if (this.sent.has(id)) return;
    this.sent.add(id);
    if (this.sent.size > SENT_MAX) this.sent.delete(this.sent.values().next().value!);
    this.send(text, id, wire);
  }

  /** Starts holding live events back (resume). */
  holdEvents(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.overflowed = false;
  }

  /** Whether held live events were dropped since the last call (the replay must read the log further). */
  takeOverflow(): boolean {
    const o = this.overflowed;
    this.overflowed = false;
    return o;
  }

  /** Resolves once the client has read enough that the send buffer is at most half full (or it closed). */
  async drained(): Promise<void> {
    while (!this.closed && this.transport.buffered() > this.maxBufferBytes / 2) await new Promise((r) => setTimeout(r, 10));
  }

  /** Ends a replay: sends held events newer than `afterSeq`, in order. */
  releaseEvents(afterSeq: number): void {
    const held = this.pending ?? [];
    this.pending = undefined;
    this.pendingBytes = 0;
    for (const e of held) if (e.seq > afterSeq) this.sendEvent(e.seq, e.id, e.text);
  }

  markSeen(sub: string, collection: string, id: string): void {
    const k = `${sub}\u0000${collection}/${id}`;
    this.seen.delete(k);
    this.seen.add(k);
    if (this.seen.size > SEEN_MAX) this.seen.delete(this.seen.values().next().value!);
  }

  wasSeen(sub: string, collection: string, id: string): boolean {
    return this.seen.has(`${sub}\u0000${collection}/${id}`);
  }

  forget(sub: string, collection: string, id: string): void {
    this.seen.delete(`${sub}\u0000${collection}/${id}`);
  }

  private overflowed = false;

  /** The transport went away on its own (client left, socket error). */
  /** The transport has closed (the peer answered the close, or the socket went away). */
  gone = false;

  dropped(): void {
    this.gone = true;
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.expiry);
    this.pending = undefined;
    this.onClose(this);
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.expiry);
    this.pending = undefined;
    try {
      this.transport.close(code, reason);
    } finally {
      this.onClose(this);
    }
  }
}
