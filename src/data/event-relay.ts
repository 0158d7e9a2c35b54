// The outbox relay: gives committed outbox rows their positions (PostgreSQL, MySQL), publishes them in
// position order to `records.<collection>.<action>`, then marks them published (at-least-once: a
// crash between publishing and marking republishes on restart, with the same positions).
// One publisher at a time per database: a session advisory lock (PostgreSQL) or GET_LOCK (MySQL);
// SQLite is one process. Woken at once by local commits, polled for other instances' writes.
import { sql } from 'kysely';
import { recordTopic, type Component, type Logger, type RecordChangeEvent } from '../core/index.js';
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
async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_r, reject) => (timer = setTimeout(() => reject(new Error(`bus publish took longer than ${ms} ms`)), ms)))]);
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

/** Runs `fn` on one connection holding the publisher lock; undefined when another instance holds it. */
async function withPublisherLock<T>(o: OutboxContext, fn: (db: Db) => Promise<T>): Promise<T | undefined> {
  const name = `strata_outbox_${o.names.prefix}`;
  if (o.dialect.name === 'sqlite') return fn(o.db);
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
  const pruneEvery = opts.pruneInterval ?? 60_000;
  const publishTimeout = opts.publishTimeout ?? 10_000;
  // passes never overlap (the poll, local wake-ups and drain() all go through here)
  let tail: Promise<unknown> = Promise.resolve();
  const serialPass = (): Promise<number> => {
    const p = tail.then(pass);
    tail = p.catch(() => undefined);
    return p;
  };

  /** One locked pass: position a batch, publish it in order, mark it; returns how many were published (-1: lock busy). */
  async function pass(): Promise<number> {
    const o = opts.outbox();
    const bus = opts.publisher();
    const n = await withPublisherLock(o, async (conn) => {
      const pending = await pendingRows(conn, o.dialect, o.names, opts.batchSize);
      // positions are given before anything is published, so a retry publishes the same ids
      const rows = await assignPositions(conn, o.dialect, o.names, pending);
      const done: number[] = [];
      try {
        for (const row of rows) {
          const ev = toEvent(row);
          await withTimeout(bus.publish(recordTopic(ev.collection, ev.action), ev), publishTimeout);
          done.push(ev.seq);
        }
      } finally {
        // what was published is marked even when a later publish failed (it is retried next pass)
        await markPublished(conn, o.dialect, o.names, done);
      }
      if (Date.now() - lastPrune >= pruneEvery) {
        lastPrune = Date.now();
        const pruned = await pruneOutbox({ ...o, db: conn }, opts.retention, opts.maxRows);
        if (pruned > 0) opts.logger?.debug?.({ pruned }, 'outbox pruned');
      }
      return rows.length;
    });
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
    },
    async drain() {
      for (;;) {
        await running;
        const n = await serialPass();
        if (n === 0) return;
        if (n < 0) await new Promise((r) => setTimeout(r, 20));
      }
    },
    ready: () => !stopped,
  };
}
