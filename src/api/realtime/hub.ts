// The subscription hub: one bus subscription to `records.>` per instance, fanned out to the
// connections whose subscriptions match, after the records access layer says each event passes the
// subscriber's view rule (and filter) — one check per event per distinct principal+filter, not per
// subscriber. Encrypted fields are opened only for the connections the event is delivered to.
import { StrataError, type ChangeFeed, type Logger, type RecordChangeEvent } from '../../core/index.js';
import type { RecordAccess, RecordSubscription } from '../../data/index.js';
import { assertPattern, type Bus } from '../../messaging/index.js';
import { CloseCode, EVENT_ID, ProtocolError, type SubscribeMessage } from './protocol.js';
import type { Connection, Subscription } from './connection.js';
import { patternWithin } from './topic-allow.js';
import { wsTextFrame } from './ws-frame.js';

export interface RealtimeLimits {
  maxConnections: number;
  maxSubscriptions: number;
  maxBufferBytes: number;
  heartbeatInterval: number;
  idleTimeout: number;
  authRecheckInterval: number;
  resumeMaxEvents: number;
  topics: { allow: readonly string[]; anonymous: boolean };
}

export interface HubOptions {
  bus: Bus;
  /** The records access layer: subscribe checks and every delivered event go through it. */
  access: () => RecordAccess;
  /** Replay for resume; without it `resume` answers `unavailable`. */
  feed?: ChangeFeed;
  limits: RealtimeLimits;
  log?: Logger;
  /** An account's "valid after" mark (ms): credentials issued before it get no event and are closed. */
  validAfter?: (subject: string) => Promise<number | undefined>;
}

type RecordSub = Extract<Subscription, { kind: 'records' }>;

/** Subscription ids are `[A-Za-z0-9_.:-]` (protocol.ts), so they need no JSON escaping. */
const idList = (ids: readonly string[]): string => (ids.length === 1 ? `["${ids[0]}"]` : `["${ids.join('","')}"]`);

/** Events read from the change feed per page of a resume. */
const RESUME_PAGE = 500;

/** Most events waiting to be checked and fanned out; past it new events are dropped (and logged). */
const MAX_QUEUE = 10_000;

function isEvent(v: unknown): v is RecordChangeEvent {
  const e = v as RecordChangeEvent;
  return typeof e === 'object' && e !== null && typeof e.id === 'string' && EVENT_ID.test(e.id) && typeof e.seq === 'number' && typeof e.collection === 'string' && typeof e.recordId === 'string' && (e.action === 'create' || e.action === 'update' || e.action === 'delete');
}

export class RealtimeHub {
  readonly connections = new Set<Connection>();
  private readonly byCollection = new Map<string, Set<Connection>>();
  private readonly topics = new Map<string, { conns: Set<Connection>; unsubscribe: Promise<() => Promise<void>> }>();
  private unsubscribeRecords?: () => Promise<void>;
  private timers: NodeJS.Timeout[] = [];
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;

  constructor(private readonly o: HubOptions) {}

  get limits(): RealtimeLimits {
    return this.o.limits;
  }

  /** Subscribes the bus and starts the heartbeat and credential re-check timers. */
  async start(): Promise<void> {
    this.unsubscribeRecords = await this.o.bus.subscribe('records.>', (payload) => this.enqueue(payload));
    const l = this.o.limits;
    const beat = setInterval(() => this.heartbeat(), l.heartbeatInterval);
    const recheck = setInterval(() => void this.recheck(), l.authRecheckInterval);
    beat.unref();
    recheck.unref();
    this.timers = [beat, recheck];
  }

  /** Closes every client (1001) and leaves the bus. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    // No new events, and the ones being delivered finish before the connections close.
    await this.unsubscribeRecords?.().catch(() => undefined);
    this.unsubscribeRecords = undefined;
    await this.chain;
    const open = [...this.connections];
    for (const c of open) c.close(CloseCode.goingAway, 'server shutting down');
    // Give the close frames a moment to reach the clients (and their replies to come back)
    // before the edge's drain cuts the sockets; bounded so shutdown never waits on a dead peer.
    for (let waited = 0; open.some((c) => !c.gone) && waited < 1_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
  }

  full(): boolean {
    return this.connections.size >= this.o.limits.maxConnections;
  }

  add(c: Connection): void {
    this.connections.add(c);
  }

  /** Forgets a closed connection and its subscriptions. */
  remove(c: Connection): void {
    this.connections.delete(c);
    for (const s of [...c.subs.values()]) this.dropSub(c, s);
    c.subs.clear();
  }

  /** Validates and adds one subscription; throws ProtocolError with the reason. */
  async subscribe(c: Connection, m: SubscribeMessage): Promise<void> {
    if (c.subs.has(m.id)) throw new ProtocolError('duplicate_id', `A subscription "${m.id}" already exists on this connection.`, m.id);
    if (c.subs.size >= this.o.limits.maxSubscriptions) throw new ProtocolError('too_many_subscriptions', `At most ${this.o.limits.maxSubscriptions} subscriptions per connection.`, m.id);
    if ('topic' in m) return this.subscribeTopic(c, m.id, m.topic);
    let access: RecordSubscription;
    try {
      access = this.o.access().subscribe(c.principal, m.collection, m.filter);
    } catch (e) {
      if (!(e instanceof StrataError)) throw e;
      if (e.status === 404) throw new ProtocolError('not_found', `No collection named "${m.collection}".`, m.id);
      if (e.status === 403) throw new ProtocolError('forbidden', 'Your access rules do not let you view this collection.', m.id);
      throw new ProtocolError('invalid', e.detail ?? e.title, m.id);
    }
    const coll = { name: access.collection };
    const sub: RecordSub = { id: m.id, kind: 'records', collection: coll.name, record: m.record, filter: m.filter, access };
    // Deletes go to clients that were sent the record; a record subscription counts the record as sent when it is visible now.
    if (m.record !== undefined && (await this.visible(sub, m.record))) c.markSeen(m.id, coll.name, m.record);
    if (c.closed) return;
    c.subs.set(m.id, sub);
    let set = this.byCollection.get(coll.name);
    if (!set) this.byCollection.set(coll.name, (set = new Set()));
    set.add(c);
  }

  unsubscribe(c: Connection, id: string): void {
    const s = c.subs.get(id);
    if (!s) throw new ProtocolError('unknown_subscription', `No subscription "${id}" on this connection.`, id);
    c.subs.delete(id);
    this.dropSub(c, s);
  }

  private dropSub(c: Connection, s: Subscription): void {
    const still = (pred: (x: Subscription) => boolean) => [...c.subs.values()].some((x) => x !== s && pred(x));
    if (s.kind === 'records') {
      if (!still((x) => x.kind === 'records' && x.collection === s.collection)) this.byCollection.get(s.collection)?.delete(c);
      return;
    }
    const t = this.topics.get(s.pattern);
    if (!t || still((x) => x.kind === 'topic' && x.pattern === s.pattern)) return;
    t.conns.delete(c);
    if (t.conns.size === 0) {
      this.topics.delete(s.pattern);
      void t.unsubscribe.then((u) => u()).catch(() => undefined);
    }
  }

  private async subscribeTopic(c: Connection, id: string, pattern: string): Promise<void> {
    try {
      assertPattern(pattern);
    } catch {
      throw new ProtocolError('invalid', '"topic" must be dot-separated tokens, `*` or a final `>`.', id);
    }
    const l = this.o.limits.topics;
    if (!c.principal && !l.anonymous) throw new ProtocolError('unauthorized', 'Authenticate before subscribing to topics.', id);
    if (!l.allow.some((a) => patternWithin(pattern, a))) throw new ProtocolError('forbidden', `Topic "${pattern}" is not open to clients (realtime.topics.allow).`, id);
    c.subs.set(id, { id, kind: 'topic', pattern });
    let t = this.topics.get(pattern);
    if (!t) {
      const conns = new Set<Connection>();
      t = { conns, unsubscribe: this.o.bus.subscribe(pattern, (data, topic) => this.fanTopic(pattern, conns, topic, data)) };
      this.topics.set(pattern, t);
    }
    t.conns.add(c);
    try {
      await t.unsubscribe;
    } catch (e) {
      this.unsubscribe(c, id);
      throw new ProtocolError('unavailable', 'The event bus refused the subscription.', id);
    }
  }

  private fanTopic(pattern: string, conns: Set<Connection>, topic: string, data: unknown): void {
    let base: string | undefined;
    for (const c of conns) {
      const ids: string[] = [];
      for (const s of c.subs.values()) if (s.kind === 'topic' && s.pattern === pattern) ids.push(s.id);
      if (ids.length === 0) continue;
      base ??= JSON.stringify({ type: 'message', topic, data: data ?? null });
      c.send(`${base.slice(0, -1)},"subs":${idList(ids)}}`);
    }
  }

  private enqueue(payload: unknown): void {
    if (!isEvent(payload)) return;
    if (this.queued >= MAX_QUEUE) {
      this.o.log?.warn({ collection: payload.collection, event: payload.id }, 'realtime: event queue full; event dropped');
      return;
    }
    this.queued++;
    this.chain = this.chain
      .then(async () => void (await this.fanOut(payload, this.byCollection.get(payload.collection))))
      .catch((err: unknown) => this.o.log?.error({ err, event: payload.id }, 'realtime: event delivery failed'))
      .finally(() => this.queued--);
  }

  /** Does the stored record still satisfy this subscription's rule and filter? */
  private async visible(s: RecordSub, recordId: string): Promise<boolean> {
    const access = this.o.access();
    try {
      return access.unrestricted(s.access) || (await access.visible(s.access, { action: 'update', collection: s.collection, recordId, record: {} }));
    } catch {
      return false;
    }
  }

  /**
   * Checks one event for the given connections and sends it to those allowed to see it.
   * Resume runs it for one connection with `replay` (sent at once, past any held live events).
   */
  async fanOut(e: RecordChangeEvent, conns: Iterable<Connection> | undefined, replay = false): Promise<number> {
    if (!conns) return 0;
    // (connection, matching subscriptions) grouped by principal + filter: one check per group.
    const groups = new Map<string, { sub: RecordSub; members: Array<{ c: Connection; s: RecordSub }> }>();
    const allowed = new Map<Connection, string[]>();
    // Subscriptions that may later need a delete they cannot rule-check (restricted rule or a filter).
    const tracked = new Set<string>();
    for (const c of conns) {
      if (c.closed) continue;
      for (const s of c.subs.values()) {
        if (s.kind !== 'records' || s.collection !== e.collection || (s.record !== undefined && s.record !== e.recordId)) continue;
        const key = s.filter === undefined ? c.principalKey : `${c.principalKey}\u0001${s.filter}`;
        let g = groups.get(key);
        if (!g) groups.set(key, (g = { sub: s, members: [] }));
        g.members.push({ c, s });
      }
    }
    if (groups.size === 0) return 0;
    const access = this.o.access();
    await Promise.all(
      [...groups.values()].map(async (g) => {
        let free: boolean;
        try {
          free = access.unrestricted(g.sub.access);
        } catch {
          return; // the rule refuses outright: deliver nothing
        }
        if (e.action === 'delete') {
          // Only clients that were sent the record (or whose view is unrestricted and unfiltered) get its delete.
          for (const m of g.members) if (free || m.c.wasSeen(m.s.id, e.collection, e.recordId)) push(allowed, m.c, m.s.id);
          return;
        }
        if (!free && !(await access.visible(g.sub.access, e))) return;
        const track = !free;
        for (const m of g.members) {
          push(allowed, m.c, m.s.id);
          if (track) tracked.add(`${m.c.id}\u0000${m.s.id}`);
        }
      }),
    );
    if (allowed.size === 0) return 0;
    await this.dropRevoked(allowed);
    if (allowed.size === 0) return 0;
    // Every recipient may view the record: its encrypted fields are opened for them (events carry ciphertext).
    // Records of auth collections show `email` only to some principals: encoded once per principal then.
    const perPrincipal = access.shownPerPrincipal(e.collection);
    const bases = new Map<string, string>();
    const baseFor = (c: Connection): string => {
      const key = perPrincipal ? c.principalKey : '';
      let base = bases.get(key);
      if (base === undefined) bases.set(key, (base = JSON.stringify({ type: 'event', id: e.id, action: e.action, collection: e.collection, record: access.open(e, c.principal), at: e.at })));
      return base;
    };
    // Encoded and framed once per distinct subscription list (and principal, see above), not once per client.
    const frames = new Map<string, { text: Buffer; wire: Buffer }>();
    for (const [c, ids] of allowed) {
      const subs = idList(ids);
      const frameKey = perPrincipal ? `${c.principalKey}\u0002${subs}` : subs;
      let frame = frames.get(frameKey);
      if (frame === undefined) {
        const text = Buffer.from(`${baseFor(c).slice(0, -1)},"subs":${subs}}`);
        frames.set(frameKey, (frame = { text, wire: wsTextFrame(text) }));
      }
      if (tracked.size > 0 || e.action === 'delete') {
        for (const id of ids) {
          if (e.action === 'delete') c.forget(id, e.collection, e.recordId);
          else if (tracked.has(`${c.id}\u0000${id}`)) c.markSeen(id, e.collection, e.recordId);
        }
      }
      c.sendEvent(e.seq, e.id, frame.text, replay, frame.wire);
    }
    return allowed.size;
  }

  /**
   * Replays events after `after` to one connection, in order, holding live events back meanwhile:
   * page by page from the durable log until it has caught up, however many were missed, waiting for
   * the client to read between events. Returns how many were sent (the changes the client may see).
   */
  async resume(c: Connection, after: string): Promise<{ replayed: number; latest: string }> {
    const feed = this.o.feed;
    if (!feed) throw new ProtocolError('unavailable', 'Resume is not available on this server.');
    const collections = [...new Set([...c.subs.values()].flatMap((s) => (s.kind === 'records' ? [s.collection] : [])))];
    let seq = Number(after);
    if (!Number.isSafeInteger(seq)) throw new ProtocolError('invalid', '"after" is out of range.');
    c.holdEvents();
    let replayed = 0;
    let last = after;
    try {
      if (collections.length > 0) {
        const max = this.o.limits.resumeMaxEvents; // 0: no limit
        let read = 0;
        while (!c.closed) {
          const batch = await feed.since(seq, { collections, limit: RESUME_PAGE });
          if (batch.length === 0) {
            // caught up; unless live events were dropped while held, which are then in the log too
            if (c.takeOverflow()) continue;
            break;
          }
          if (max > 0 && read + batch.length > max) throw new ProtocolError('resume_gap', `More than ${max} events were missed; reload over REST and subscribe again.`);
          read += batch.length;
          for (const e of batch) {
            if ((await this.fanOut(e, [c], true)) > 0) replayed++;
            seq = e.seq;
            last = e.id;
            await c.drained();
            if (c.closed) break;
          }
        }
      }
    } catch (e) {
      c.releaseEvents(seq);
      if (e instanceof ProtocolError) throw e;
      if (e instanceof StrataError && e.status === 410) throw new ProtocolError('resume_gap', 'The events since then are no longer retained; reload over REST and subscribe again.');
      throw e;
    }
    c.releaseEvents(seq);
    return { replayed, latest: last };
  }

  private heartbeat(): void {
    const now = Date.now();
    for (const c of [...this.connections]) {
      if (c.transport.kind === 'websocket' && now - c.lastSeen > this.o.limits.idleTimeout) c.close(CloseCode.idle, 'idle timeout');
      else c.transport.ping();
    }
  }

  /** Closes the connections whose account was revoked since they authenticated (one mark lookup per account). */
  private async dropRevoked(allowed: Map<Connection, string[]>): Promise<void> {
    const lookup = this.o.validAfter;
    if (!lookup) return;
    const marks = new Map<string, Promise<number | undefined>>();
    for (const c of allowed.keys()) {
      const i = c.credential?.issued;
      if (i && !marks.has(i.subject)) marks.set(i.subject, lookup(i.subject).catch(() => undefined));
    }
    for (const c of [...allowed.keys()]) {
      const i = c.credential?.issued;
      const mark = i ? await marks.get(i.subject) : undefined;
      if (i && mark !== undefined && i.ms < mark) {
        allowed.delete(c);
        c.close(CloseCode.unauthorized, 'credentials revoked');
      }
    }
  }

  private async recheck(): Promise<void> {
    await Promise.all(
      [...this.connections].map(async (c) => {
        const r = c.credential?.recheck;
        if (!r) return;
        const ok = await r().catch(() => false);
        if (!ok) c.close(CloseCode.unauthorized, 'credentials revoked');
      }),
    );
  }
}

function push(m: Map<Connection, string[]>, c: Connection, id: string): void {
  const ids = m.get(c);
  if (ids) {
    if (!ids.includes(id)) ids.push(id);
  } else m.set(c, [id]);
}
