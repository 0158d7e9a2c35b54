// Queue on NATS JetStream (nats.js): a work-queue stream per queue with one durable
// pull consumer (explicit acks, ack wait = lease); a `delayed` stream whose mover
// republishes due jobs; a `dead` stream; KV buckets for idempotency keys and pause.
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JetStreamClient, JetStreamManager, JsMsg, KV, MsgHdrs, NatsConnection } from 'nats';
import { startClaimLoop, type Claimed, type ClaimDriver } from '../consumer-loop.js';
import { PROGRESS_TTL_MS, type QueueSideState } from '../queue-side.js';
import { natsSideState } from './nats-side.js';
import { QueueUnavailableError } from '../errors.js';
import { assertQueueName, assertState, DEFAULTS, normalizeJob, type QueueDefaults } from '../job-options.js';
import type { ConsumeOptions, Consumer, EnqueueOptions, EnqueueResult, Handler, Job, JobInfo, JobState, QueueBackend, QueueCounts } from '../queue-types.js';

export interface NatsQueueOptions extends Partial<QueueDefaults> {
  /** Comma-separated servers; ignored when `connection` is given. */
  servers?: string;
  /** An existing connection to share (not closed by the queue). */
  connection?: NatsConnection;
  /** Prefix of stream names, subjects and KV buckets (default `strata`); letters, digits, `_`. */
  prefix?: string;
  idempotencyRetentionMs?: number;
}

/** Headers of the wire format (docs/messaging.md). */
export const NH = { id: 'Strata-Id', attempts: 'Strata-Attempts', maxAttempts: 'Strata-Max-Attempts', runAt: 'Strata-Run-At', lastError: 'Strata-Last-Error', enqueuedAt: 'Strata-Enqueued-At' } as const;

type NatsModule = typeof import('nats');

export async function natsQueue(options: NatsQueueOptions = {}): Promise<NatsQueue> {
  const nats = await import('nats');
  const nc = options.connection ?? (await nats.connect({ servers: options.servers ?? '127.0.0.1:4222', maxReconnectAttempts: -1 }));
  const q = new NatsQueue(nats, nc, await nc.jetstreamManager(), options, options.connection === undefined);
  await q.init();
  return q;
}

interface Wire {
  id: string;
  body: Uint8Array;
  attempts: number;
  maxAttempts: number;
  enqueuedAt: number;
  runAt?: number;
  lastError?: string;
}

export class NatsQueue implements QueueBackend {
  readonly kind = 'nats';
  readonly supportsPriority = false;
  private readonly js: JetStreamClient;
  private readonly defaults: QueueDefaults;
  private readonly prefix: string;
  private readonly ready = new Map<string, Promise<void>>();
  private readonly consumers = new Set<Consumer>();
  private idem!: KV;
  private ctl!: KV;
  private side!: QueueSideState;
  private sideKv!: KV;

  constructor(
    private readonly nats: NatsModule,
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly options: NatsQueueOptions,
    private readonly owned = true,
  ) {
    this.js = nc.jetstream();
    this.defaults = { ...DEFAULTS, ...options };
    this.prefix = options.prefix ?? 'strata';
    if (!/^[A-Za-z0-9_]{1,32}$/.test(this.prefix)) throw new Error('invalid NATS prefix');
  }

  async init(): Promise<void> {
    this.idem = await this.js.views.kv(`${this.prefix}_idem`, { ttl: this.options.idempotencyRetentionMs ?? 86_400_000, history: 1 });
    this.ctl = await this.js.views.kv(`${this.prefix}_ctl`, { history: 1 });
    // Rate-limit windows and job progress; entries (progress) live PROGRESS_TTL_MS.
    this.sideKv = await this.js.views.kv(`${this.prefix}_side`, { ttl: PROGRESS_TTL_MS, history: 1 });
    this.side = natsSideState(this.sideKv);
  }

  /** Stream and subject names; the role letter sits before the queue name so no two queues collide. */
  names(queue: string) {
    const p = this.prefix;
    return { main: `${p}_Q_${queue}`, delayed: `${p}_X_${queue}`, dead: `${p}_D_${queue}`, subj: `${p}.q.${queue}`, delayedSubj: `${p}.x.${queue}`, deadSubj: `${p}.d.${queue}` };
  }

  private ensure(queue: string): Promise<void> {
    let p = this.ready.get(queue);
    if (!p) {
      const n = this.names(queue);
      const { RetentionPolicy, StorageType } = this.nats;
      p = (async () => {
        for (const [name, subj, retention] of [
          [n.main, n.subj, RetentionPolicy.Workqueue],
          [n.delayed, n.delayedSubj, RetentionPolicy.Workqueue],
          [n.dead, n.deadSubj, RetentionPolicy.Limits],
        ] as const) {
          await this.jsm.streams.add({ name, subjects: [subj], retention, storage: StorageType.File, duplicate_window: this.nats.nanos(120_000) }).catch(async (err) => {
            if (!/already in use|exists/i.test(String(err?.message))) throw err;
          });
        }
      })().catch((err) => {
        this.ready.delete(queue);
        throw new QueueUnavailableError(undefined, err);
      });
      this.ready.set(queue, p);
    }
    return p;
  }

  private hdrs(w: Wire): MsgHdrs {
    const h = this.nats.headers();
    h.set(NH.id, w.id);
    h.set(NH.attempts, String(w.attempts));
    h.set(NH.maxAttempts, String(w.maxAttempts));
    h.set(NH.enqueuedAt, String(w.enqueuedAt));
    if (w.runAt !== undefined) h.set(NH.runAt, String(w.runAt));
    if (w.lastError) h.set(NH.lastError, w.lastError.replace(/[\r\n]+/g, ' ').slice(0, 2000));
    return h;
  }

  /** Publish and wait for the JetStream ack (the message is stored). */
  private async put(subject: string, w: Wire, msgID?: string): Promise<void> {
    try {
      await this.js.publish(subject, w.body, { headers: this.hdrs(w), ...(msgID ? { msgID } : {}) });
    } catch (err) {
      throw new QueueUnavailableError('NATS JetStream did not store the message; it was not enqueued.', err);
    }
  }

  private route(queue: string, w: Wire): Promise<void> {
    const n = this.names(queue);
    return this.put(w.runAt !== undefined && w.runAt > Date.now() ? n.delayedSubj : n.subj, w, `${w.id}.${w.attempts}`);
  }

  async enqueue<T>(queue: string, payload: T, options?: EnqueueOptions): Promise<EnqueueResult> {
    return (await this.enqueueBulk(queue, [{ payload, options }]))[0];
  }

  async enqueueBulk<T>(queue: string, jobs: readonly { payload: T; options?: EnqueueOptions }[]): Promise<EnqueueResult[]> {
    assertQueueName(queue);
    const now = Date.now();
    const normalized = jobs.map((j) => normalizeJob(j.payload, j.options, this.defaults, now));
    await this.ensure(queue);
    return Promise.all(
      normalized.map(async (j): Promise<EnqueueResult> => {
        const id = randomUUID();
        if (j.idempotencyKey !== undefined) {
          const k = `${queue}.${createHash('sha256').update(j.idempotencyKey).digest('hex')}`;
          try {
            await this.idem.create(k, id);
          } catch {
            const first = await this.idem.get(k).catch(() => null);
            if (first?.string()) return { id: first.string(), duplicate: true };
            throw new QueueUnavailableError();
          }
        }
        await this.route(queue, { id, body: Buffer.from(j.body), attempts: 0, maxAttempts: j.maxAttempts, enqueuedAt: now, runAt: j.runAt > now ? j.runAt : undefined });
        return { id, duplicate: false };
      }),
    );
  }

  private async pullConsumer(stream: string, durable: string, leaseMs: number): Promise<void> {
    const { AckPolicy, nanos } = this.nats;
    const cfg = { durable_name: durable, ack_policy: AckPolicy.Explicit, ack_wait: nanos(leaseMs), max_deliver: -1, max_ack_pending: -1 };
    await this.jsm.consumers.add(stream, cfg).catch(() => this.jsm.consumers.update(stream, durable, { ack_wait: cfg.ack_wait }));
  }

  /** What is there right now, up to `batch` (no_wait pull): idle consumers poll instead of holding a pull open. */
  private async *pull(stream: string, durable: string, batch: number): AsyncGenerator<JsMsg> {
    const it = this.js.fetch(stream, durable, { batch, no_wait: true }); // no expires: with no_wait it would hold an empty pull open
    // A pull lost in a reconnect never completes: end it so the consumer carries on (JetStream redelivers after ack wait).
    const guard = setTimeout(() => it.stop(), 3000);
    try {
      for await (const m of it) yield m;
    } finally {
      clearTimeout(guard);
      it.stop();
    }
  }

  async consume<T>(queue: string, handler: Handler<T>, options: ConsumeOptions = {}): Promise<Consumer> {
    assertQueueName(queue);
    await this.ensure(queue);
    const n = this.names(queue);
    const leaseMs = options.leaseMs ?? 30_000;
    await this.pullConsumer(n.main, 'strata', leaseMs);
    await this.pullConsumer(n.delayed, 'mover', 30_000);
    const msgs = new WeakMap<Claimed, JsMsg>();
    const settleTo = async (c: Claimed, subject: string, w: Partial<Wire>) => {
      const m = msgs.get(c) as JsMsg;
      await this.put(subject, { ...this.read(m), ...w }, `${c.job.id}.${w.attempts}.${m.info.deliveryCount}`);
      m.ack();
    };
    // The pause flag and the delayed stream are looked at every 100 ms, not on every claim.
    let checkedAt = 0;
    let paused = false;
    const driver: ClaimDriver = {
      claim: async (limit) => {
        if (Date.now() - checkedAt >= 100) {
          checkedAt = Date.now();
          await this.moveDue(n.delayed);
          paused = await this.isPaused(queue);
        }
        if (paused) return [];
        const out: Claimed[] = [];
        const now = Date.now();
        let seen = 0;
        for await (const m of this.pull(n.main, 'strata', limit)) {
          const w = this.read(m);
          const attempt = w.attempts + m.info.deliveryCount;
          const c: Claimed = { job: this.toJob(queue, w, attempt), token: String(m.seq), claimedAt: now };
          msgs.set(c, m);
          if (attempt > w.maxAttempts) {
            await settleTo(c, n.deadSubj, { attempts: attempt - 1, lastError: 'lease expired: the worker did not finish in time' });
            continue;
          }
          out.push(c);
          // The iterator would otherwise wait for its expiry after a full batch.
          if (++seen >= limit) break;
        }
        return out;
      },
      ack: async (c) => (msgs.get(c) as JsMsg).ack(),
      retry: (c, error, runAt) => settleTo(c, n.delayedSubj, { attempts: c.job.attempt, lastError: error, runAt }),
      dead: (c, error) => settleTo(c, n.deadSubj, { attempts: c.job.attempt, lastError: error }),
      release: async (cs) => {
        for (const c of cs) await settleTo(c, n.subj, { attempts: c.job.attempt - 1, runAt: undefined });
      },
      // timers/promises removes its abort listener when the timer fires (a listener added per wait
      // and never removed grew without bound on an idle consumer's stop signal)
      wait: (ms, signal) => sleep(Math.min(ms, 50), undefined, { signal }).catch(() => undefined),
    };
    const loop = startClaimLoop(driver, handler, { pollMs: 20, ...options, side: { queue, state: this.side } });
    this.consumers.add(loop);
    return {
      stop: async (graceMs?: number) => {
        await loop.stop(graceMs);
        this.consumers.delete(loop);
      },
    };
  }

  /** Republish due delayed jobs to the main stream; early ones are nak'ed until their time. */
  private async moveDue(stream: string): Promise<void> {
    let seen = 0;
    for await (const m of this.pull(stream, 'mover', 256)) {
      const w = this.read(m);
      if (w.runAt !== undefined && w.runAt > Date.now()) m.nak(w.runAt - Date.now());
      else {
        await this.route(m.subject.split('.').pop() as string, { ...w, runAt: undefined });
        m.ack();
      }
      if (++seen >= 256) break;
    }
  }

  private read(m: { data: Uint8Array; headers?: MsgHdrs; seq: number }): Wire {
    const h = m.headers;
    const num = (k: string, d: number) => {
      const v = Number(h?.get(k));
      return h?.has(k) && Number.isFinite(v) ? v : d;
    };
    return {
      id: h?.get(NH.id) || `nats-${m.seq}`,
      body: m.data,
      attempts: num(NH.attempts, 0),
      maxAttempts: num(NH.maxAttempts, this.defaults.maxAttempts),
      enqueuedAt: num(NH.enqueuedAt, Date.now()),
      runAt: h?.has(NH.runAt) ? num(NH.runAt, 0) : undefined,
      lastError: h?.get(NH.lastError) || undefined,
    };
  }

  private toJob(queue: string, w: Wire, attempt: number): Job {
    const text = Buffer.from(w.body).toString('utf8');
    let payload: unknown = text;
    try {
      payload = JSON.parse(text);
    } catch {
      // foreign non-JSON body: handed over as text
    }
    return { id: w.id, queue, payload, attempt, maxAttempts: w.maxAttempts, priority: 0, enqueuedAt: w.enqueuedAt, ...(w.lastError ? { lastError: w.lastError } : {}) };
  }

  async isPaused(queue: string): Promise<boolean> {
    const e = await this.ctl.get(`paused.${queue}`).catch(() => null);
    return e?.string() === '1';
  }

  async counts(queue: string): Promise<QueueCounts> {
    assertQueueName(queue);
    await this.ensure(queue);
    const n = this.names(queue);
    try {
      const [main, delayed, dead] = await Promise.all([this.jsm.streams.info(n.main), this.jsm.streams.info(n.delayed), this.jsm.streams.info(n.dead)]);
      const ci = await this.jsm.consumers.info(n.main, 'strata').catch(() => undefined);
      const active = ci?.num_ack_pending ?? 0;
      return { waiting: main.state.messages - active, delayed: delayed.state.messages, active, dead: dead.state.messages, paused: await this.isPaused(queue) };
    } catch (err) {
      throw new QueueUnavailableError(undefined, err);
    }
  }

  /** Stored messages of a stream, oldest first (deleted sequence numbers skipped). */
  private async scan(stream: string, limit: number): Promise<{ seq: number; w: Wire }[]> {
    const info = await this.jsm.streams.info(stream);
    const out: { seq: number; w: Wire }[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && out.length < limit; seq++) {
      const m = await this.jsm.streams.getMessage(stream, { seq }).catch(() => null);
      if (m) out.push({ seq, w: this.read({ data: m.data, headers: m.header, seq }) });
    }
    return out;
  }

  async peek(queue: string, state: JobState, limit = 20): Promise<JobInfo[]> {
    assertQueueName(queue);
    assertState(state);
    await this.ensure(queue);
    const n = this.names(queue);
    const max = Math.min(Math.max(1, limit), 1000);
    const now = Date.now();
    if (state === 'delayed' || state === 'dead') {
      const rows = await this.scan(state === 'delayed' ? n.delayed : n.dead, max);
      return rows.map(({ w }) => ({ ...this.toJob(queue, w, w.attempts), state, runAt: w.runAt ?? now }));
    }
    const ci = await this.jsm.consumers.info(n.main, 'strata').catch(() => undefined);
    const delivered = ci?.delivered.stream_seq ?? 0;
    const rows = await this.scan(n.main, max + (ci?.num_ack_pending ?? 0));
    return rows
      .filter((r) => (state === 'active') === r.seq <= delivered)
      .slice(0, max)
      .map(({ w }) => ({ ...this.toJob(queue, w, w.attempts), state, runAt: now }));
  }

  async retryDead(queue: string, ids?: readonly string[]): Promise<number> {
    return this.takeDead(queue, ids, true);
  }

  async purgeDead(queue: string, ids?: readonly string[]): Promise<number> {
    return this.takeDead(queue, ids, false);
  }

  private async takeDead(queue: string, ids: readonly string[] | undefined, revive: boolean): Promise<number> {
    assertQueueName(queue);
    await this.ensure(queue);
    const n = this.names(queue);
    const want = ids ? new Set(ids) : undefined;
    let count = 0;
    for (const { seq, w } of await this.scan(n.dead, 100_000)) {
      if (want && !want.has(w.id)) continue;
      if (revive) await this.put(n.subj, { ...w, attempts: 0, lastError: undefined, runAt: undefined }, `${w.id}.revive.${seq}`);
      await this.jsm.streams.deleteMessage(n.dead, seq);
      count++;
    }
    return count;
  }

  async pause(queue: string): Promise<void> {
    assertQueueName(queue);
    await this.ensure(queue);
    await this.ctl.put(`paused.${queue}`, '1');
  }

  async resume(queue: string): Promise<void> {
    assertQueueName(queue);
    await this.ctl.put(`paused.${queue}`, '0');
  }

  async progress(queue: string, id: string): Promise<unknown> {
    assertQueueName(queue);
    const v = await this.side.getProgress(queue, String(id));
    return v === undefined ? undefined : (JSON.parse(v) as unknown);
  }

  async queues(): Promise<string[]> {
    const out: string[] = [];
    const head = `${this.prefix}_Q_`;
    for await (const name of this.jsm.streams.names()) if (name.startsWith(head)) out.push(name.slice(head.length));
    return out.sort();
  }

  async destroy(queues: readonly string[]): Promise<void> {
    for (const q of queues) {
      const n = this.names(q);
      for (const s of [n.main, n.delayed, n.dead]) await this.jsm.streams.delete(s).catch(() => {});
      await this.ctl.delete(`paused.${q}`).catch(() => {});
      await this.sideKv.delete(`rate.${q}`).catch(() => {});
      this.ready.delete(q);
    }
  }

  /** Remove the KV buckets too (tests). */
  async destroyAll(): Promise<void> {
    for (const q of await this.queues()) await this.destroy([q]);
    await this.idem.destroy().catch(() => {});
    await this.ctl.destroy().catch(() => {});
    await this.sideKv.destroy().catch(() => {});
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.stop()));
    if (this.owned) await this.nc.drain().catch(() => this.nc.close());
  }
}
