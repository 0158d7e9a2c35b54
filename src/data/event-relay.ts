// The outbox relay: gives committed outbox rows their positions (PostgreSQL, MySQL), hands them to the
// durable consumers (webhook and function-subscriber queues), publishes them in position order to
// `records.<collection>.<action>`, then marks them published (at-least-once: a crash anywhere before
// the mark hands over and republishes on restart, with the same positions).
// One publisher at a time per database: a session advisory lock (PostgreSQL) or GET_LOCK (MySQL);
// on SQLite, where several processes may share the file (cluster workers), a lease in the outbox
// state table. Woken at once by local commits, polled for other instances' writes.
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { sql, type RawBuilder } from 'kysely';
import { recordTopic, type Component, type EventHandoff, type Logger, type RecordChangeEvent } from '../core/index.js';
import { crashPoint } from './crash-point.js';
import type { Db } from './dialects/dialect.js';
import { assignPositions, markPublished, pendingRows, pruneOutbox, toEvent, type OutboxContext } from './event-outbox.js';

/** What the relay publishes to: the messaging capability's bus, seen through the one call it needs. */
export interface EventPublisher {
  publish(topic: string, payload: RecordChangeEvent): Promise<void>;
}

export interface EventRelayOptions {
  /** The outbox's database; read when the relay starts (the data layer opens it in its own start). */
  outbox: () => OutboxContext;
  /** Called for each committed local write; the relay registers its wake-up here. */
  onCommit: (wake: () => void) => () => void;
  publisher: () => EventPublisher;
  /** Durable consumers (webhook deliveries, function subscribers): every event is handed to each before it is marked published. */
  handoffs?: () => readonly EventHandoff[];
  pollInterval: number;
  batchSize: number;
  retention: number;
  maxRows: number;
  /** Milliseconds between prunes (default 60 s). */
  pruneInterval?: number;
  /** A publish that takes longer fails the pass (retried at the next poll; default 10 s). */
  publishTimeout?: number;
  logger?: Logger;
}

export interface EventRelay extends Component {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Publishes everything pending now; resolves when the outbox had nothing left (tests, shutdown). */
  drain(): Promise<void>;
}

/** A bus that hangs (a broker outage) must not stall the relay for good. */
async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_r, reject) => (timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** A stable 31-bit key for pg_try_advisory_lock from the lock name. */
function lockKey(name: string): number {
  let h = 0;
  for (const ch of name) h = (Math.imul(h, 31) + ch.charCodeAt(0)) | 0;
  return h & 0x7fffffff;
}

/** How long a SQLite relay may hold published events unmarked while events keep flowing. */
const MARK_MS = 50;

/** How long a SQLite relay's lease lasts; it is renewed once half of it has passed. */
const LEASE_MS = 15_000;
const LEASE_OWNER = 'relay_owner';
const LEASE_UNTIL = 'relay_until';
const LEASE_PID = 'relay_pid';
const LEASE_HOST = 'relay_host';
/** This host, as a number the state table can hold (a holder on another host is never judged dead). */
const HOST = (() => {
  let h = 0;
  for (const ch of `${hostname()}\u0000${bootId()}`) h = (Math.imul(h, 31) + ch.charCodeAt(0)) | 0;
  return h & 0x7fffffff;
})();

/** Linux's boot id: a pid from before a reboot (or of another container sharing the file) is not this one's. */
function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

/** A relay's hold on the SQLite lease: who it is, and until when it holds it (0: not held). */
interface Lease { owner: number; until: number }

/**
 * SQLite has no advisory locks, and the processes of a cluster share one file: the relays take a
 * lease in the outbox state table (owner and expiry rows), taken or renewed by one UPDATE that
 * succeeds only when the lease expired or is already this relay's. A relay that is not the holder
 * publishes nothing; the holder's polls pick up the other processes' writes. When the holder dies,
 * another relay takes over once the lease expires (at most LEASE_MS), or at once when the holder was a
 * process on this host that no longer exists (kill -9, a crash); stop() hands it over at once.
 */
async function sqliteLease(o: OutboxContext, lease: Lease, logger?: Logger): Promise<boolean> {
  const now = Date.now();
  if (lease.until - now > LEASE_MS / 2) return true;
  const s = sql.table(o.names.outboxState);
  await sql`INSERT OR IGNORE INTO ${s} (name, value) VALUES (${LEASE_OWNER}, 0), (${LEASE_UNTIL}, 0), (${LEASE_PID}, 0), (${LEASE_HOST}, 0)`.execute(o.db);
  const until = now + LEASE_MS;
  const take = (cond: RawBuilder<unknown>) =>
    sql`UPDATE ${s} SET value = CASE name WHEN ${LEASE_OWNER} THEN ${lease.owner} WHEN ${LEASE_PID} THEN ${process.pid} WHEN ${LEASE_HOST} THEN ${HOST} ELSE ${until} END
      WHERE name IN (${LEASE_OWNER}, ${LEASE_UNTIL}, ${LEASE_PID}, ${LEASE_HOST}) AND ${cond}`.execute(o.db);
  let r = await take(sql`((SELECT value FROM ${s} WHERE name = ${LEASE_UNTIL}) <= ${now} OR (SELECT value FROM ${s} WHERE name = ${LEASE_OWNER}) = ${lease.owner})`);
  if (Number(r.numAffectedRows ?? 0) !== 4) {
    // Held and not expired: by a live process, or by one that died on this host (kill -9, a crash),
    // which cannot renew it. Then take it now, rather than leave events waiting up to LEASE_MS.
    const rows = (await sql<{ name: string; value: number }>`SELECT name, value FROM ${s} WHERE name IN (${LEASE_OWNER}, ${LEASE_PID}, ${LEASE_HOST})`.execute(o.db)).rows;
    const v = (n: string) => Number(rows.find((x) => x.name === n)?.value ?? 0);
    const holder = v(LEASE_OWNER);
    const pid = v(LEASE_PID);
    if (v(LEASE_HOST) === HOST && pid > 0 && !alive(pid)) {
      r = await take(sql`(SELECT value FROM ${s} WHERE name = ${LEASE_OWNER}) = ${holder}`);
      if (Number(r.numAffectedRows ?? 0) === 4) logger?.info({ deadPid: pid }, 'outbox relay took over the lease of a process that died');
    }
  }
  const ok = Number(r.numAffectedRows ?? 0) === 4;
  lease.until = ok ? until : 0;
  return ok;
}

/** Whether another process with this pid runs on this host (our own pid: a previous run of this process's pid, so dead). */
function alive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/** Gives the SQLite lease up (if still held), so another process's relay takes over at its next pass. */
async function releaseSqliteLease(o: OutboxContext, lease: Lease): Promise<void> {
  if (lease.until === 0) return;
  lease.until = 0;
  const s = sql.table(o.names.outboxState);
  await sql`UPDATE ${s} SET value = 0 WHERE name = ${LEASE_UNTIL} AND (SELECT value FROM ${s} WHERE name = ${LEASE_OWNER}) = ${lease.owner}`.execute(o.db);
}

/** Runs `fn` on one connection holding the publisher lock; undefined when another instance holds it. */
async function withPublisherLock<T>(o: OutboxContext, lease: Lease, fn: (db: Db) => Promise<T>, logger?: Logger): Promise<T | undefined> {
  const name = `strata_outbox_${o.names.prefix}`;
  if (o.dialect.name === 'sqlite') return (await sqliteLease(o, lease, logger)) ? fn(o.db) : undefined;
  return o.db.connection().execute(async (conn) => {
    if (o.dialect.name === 'postgres') {
      const key = lockKey(name);
      const r = await sql<{ ok: boolean }>`SELECT pg_try_advisory_lock(${key}) AS ok`.execute(conn);
      if (r.rows[0]?.ok !== true) return undefined;
      try {
        return await fn(conn);
      } finally {
        await sql`SELECT pg_advisory_unlock(${key})`.execute(conn).catch(() => undefined);
      }
    }
    const r = await sql<{ ok: number | null }>`SELECT GET_LOCK(${name}, 0) AS ok`.execute(conn);
    if (Number(r.rows[0]?.ok) !== 1) return undefined;
    try {
      return await fn(conn);
    } finally {
      await sql`SELECT RELEASE_LOCK(${name})`.execute(conn).catch(() => undefined);
    }
  });
}

/**
 * @example
 * const relay = eventRelay({ outbox: () => data.outbox, onCommit: data.onCommit, publisher: () => messaging.bus, pollInterval: 1000, batchSize: 200, retention: 3600, maxRows: 100_000 });
 * await relay.start(); // after messaging and data
 */
export function eventRelay(opts: EventRelayOptions): EventRelay {
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = true;
  let timer: NodeJS.Timeout | undefined;
  let unlisten: (() => void) | undefined;
  let lastPrune = 0;
  const lease: Lease = { owner: randomInt(1, 2 ** 47), until: 0 };
  const pruneEvery = opts.pruneInterval ?? 60_000;
  const publishTimeout = opts.publishTimeout ?? 10_000;
  const crash = crashPoint(process.env.STRATA_CRASH_AT);
  // SQLite: the mark is deferred, one UPDATE (and commit) per MARK_MS while events flow instead of
  // one per pass. `published` is the highest seq this relay published since its last mark (the next
  // pass reads past it; 0 once everything published is marked), `unmarked` the published range not
  // marked yet. Unmarked rows are published again only after a crash (at least once, same ids).
  let published = 0;
  let unmarked: [number, number] | undefined;
  let lastMark = 0;
  let markTimer: NodeJS.Timeout | undefined;
  // passes never overlap (the poll, local wake-ups, marks and drain() all go through here)
  let tail: Promise<unknown> = Promise.resolve();
  const serially = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = tail.then(fn);
    tail = p.catch(() => undefined);
    return p;
  };
  const serialPass = (): Promise<number> => serially(pass);
  const serialMark = (): Promise<unknown> => serially(() => (unmarked ? withPublisherLock(opts.outbox(), lease, (conn) => markNow(conn), opts.logger) : Promise.resolve()));

  /** Marks what this relay published and has not marked (SQLite); after it the next read starts from the first unpublished row again. */
  async function markNow(conn: Db): Promise<void> {
    if (markTimer) clearTimeout(markTimer);
    markTimer = undefined;
    if (!unmarked) return;
    const range = unmarked;
    await markPublished(conn, opts.outbox().dialect, opts.outbox().names, range);
    if (unmarked === range) {
      unmarked = undefined;
      published = 0;
    }
    lastMark = Date.now();
    crash('relay:after-mark');
  }

  /** One locked pass: position a batch, publish it in order, mark it; returns how many were published (-1: lock busy). */
  async function pass(): Promise<number> {
    const o = opts.outbox();
    const bus = opts.publisher();
    const n = await withPublisherLock(o, lease, async (conn) => {
      const sqlite = o.dialect.name === 'sqlite';
      const pending = await pendingRows(conn, o.dialect, o.names, opts.batchSize, published);
      // positions are given before anything is published, so a retry publishes the same ids
      const rows = await assignPositions(conn, o.dialect, o.names, pending);
      const events = rows.map(toEvent);
      const some = events.length > 0;
      if (some) crash('relay:before-handoff');
      // Durable consumers take the batch first: an event is marked published only once every one of
      // them holds it, so a crash anywhere in this pass hands it over again on restart (at least once;
      // they dedupe by event id). A failed hand-off fails the pass: nothing is marked, all retried.
      if (some) for (const h of opts.handoffs?.() ?? []) await withTimeout(h.handoff(events), publishTimeout, `hand-off to ${h.name}`);
      if (some) crash('relay:after-handoff');
      const done: number[] = [];
      try {
        for (const ev of events) {
          await withTimeout(bus.publish(recordTopic(ev.collection, ev.action), ev), publishTimeout, 'bus publish');
          done.push(ev.seq);
        }
        if (some) crash('relay:after-publish');
      } finally {
        // what was published is marked even when a later publish failed (it is retried next pass)
        if (!sqlite) await markPublished(conn, o.dialect, o.names, done);
        else if (done.length > 0) {
          // SQLite: rowid order is commit order, so what this relay published since its last mark is one range
          unmarked = [unmarked?.[0] ?? done[0], done[done.length - 1]];
          published = done[done.length - 1];
        }
      }
      if (!sqlite) {
        if (some) crash('relay:after-mark');
      } else if (unmarked) {
        // at once when the outbox ran dry or a mark is due; otherwise at most MARK_MS later
        if (!some || Date.now() - lastMark >= MARK_MS) await markNow(conn);
        else if (!markTimer) {
          markTimer = setTimeout(() => {
            markTimer = undefined;
            serialMark().catch((err) => opts.logger?.warn({ err }, 'outbox relay could not mark published events; retrying at the next pass'));
          }, MARK_MS);
          markTimer.unref();
        }
      }
      if (Date.now() - lastPrune >= pruneEvery) {
        lastPrune = Date.now();
        const pruned = await pruneOutbox({ ...o, db: conn }, opts.retention, opts.maxRows);
        if (pruned > 0) opts.logger?.debug?.({ pruned }, 'outbox pruned');
      }
      return rows.length;
    }, opts.logger);
    return n ?? -1;
  }

  async function loop(): Promise<void> {
    do {
      again = false;
      let n: number;
      try {
        n = await serialPass();
      } catch (err) {
        opts.logger?.warn({ err }, 'outbox relay pass failed; retrying at the next poll');
        return;
      }
      if (n === opts.batchSize) again = true;
    } while (again && !stopped);
  }

  function wake(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    // on the next turn of the event loop, so the commits of concurrent writers share one pass (one
    // read, one mark); commits made while a pass runs are gathered into the next one (`again`)
    running = new Promise((r) => setImmediate(r)).then(loop).finally(() => {
      running = undefined;
    });
  }

  function schedule(): void {
    timer = setTimeout(() => {
      wake();
      if (!stopped) schedule();
    }, opts.pollInterval);
    timer.unref();
  }

  return {
    name: 'events',
    async start() {
      stopped = false;
      unlisten = opts.onCommit(wake);
      wake(); // whatever a previous run committed but did not publish (kill -9 between commit and publish)
      schedule();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      unlisten?.();
      await running;
      await tail;
      if (markTimer) clearTimeout(markTimer);
      markTimer = undefined;
      await serialMark().catch((err) => opts.logger?.warn({ err }, 'outbox relay could not mark published events'));
      const o = opts.outbox();
      if (o.dialect.name === 'sqlite') await releaseSqliteLease(o, lease).catch((err) => opts.logger?.warn({ err }, 'outbox relay could not hand its lease over'));
    },
    async drain() {
      for (;;) {
        await running;
        const n = await serialPass();
        if (n === 0) return;
        if (n < 0) {
          // another relay holds the lock: done once it has published everything
          const o = opts.outbox();
          if ((await pendingRows(o.db, o.dialect, o.names, 1)).length === 0) return;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    },
    ready: () => !stopped,
  };
}
