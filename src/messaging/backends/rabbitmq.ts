// Queue on RabbitMQ (AMQP 0-9-1, amqplib): durable queues, persistent messages,
// publisher confirms before an enqueue resolves, delays through TTL bucket queues
// (no broker plugin), retries and dead letters re-published with confirms.
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { ChannelModel, ConfirmChannel, GetMessage, Options } from 'amqplib';
import { QueueUnavailableError } from '../errors.js';
import { assertQueueName, assertState, DEFAULTS, normalizeJob, type QueueDefaults } from '../job-options.js';
import type { ConsumeOptions, Consumer, EnqueueOptions, EnqueueResult, Handler, JobInfo, JobState, QueueBackend, QueueCounts } from '../queue-types.js';
import { BUCKETS, bucketFor, names, publishOptions, readWire, toJob, type WireJob } from './rabbitmq-format.js';
import { RabbitConsumer } from './rabbitmq-consumer.js';
import { MemoryKeys, type IdempotencyKeys } from './idempotency-keys.js';
import { MemorySideState, type QueueSideState } from '../queue-side.js';

export interface RabbitQueueOptions extends Partial<QueueDefaults> {
  /** AMQP URL; ignored when `connection` is given. */
  url?: string;
  /**
   * Gets a shared connection (asked again after it closes, to reconnect); the queue opens its own
   * channels on it and never closes the connection.
   */
  connection?: () => Promise<ChannelModel>;
  /** Queue name prefix (default `strata.`). */
  prefix?: string;
  /** `classic` (durable, priorities 0-9) or `quorum` (replicated, no priorities). */
  queueType?: 'classic' | 'quorum';
  /** Where idempotency keys live; default in this process only (see docs). */
  keys?: IdempotencyKeys;
  /** Where rate-limit windows and job progress live; default in this process only (see docs). */
  side?: QueueSideState;
  idempotencyRetentionMs?: number;
  /** How often consumers look at the shared pause flag, ms. */
  pollMs?: number;
  /** Longest wait for a publisher confirm before an enqueue fails, ms. */
  confirmTimeoutMs?: number;
}

type Connect = (url: string, socketOptions: { noDelay: boolean }) => Promise<ChannelModel>;

export async function rabbitQueue(options: RabbitQueueOptions = {}): Promise<RabbitQueue> {
  const shared = options.connection;
  const connect: Connect = shared ? () => shared() : ((await import('amqplib')).connect as unknown as Connect);
  const q = new RabbitQueue(connect, options);
  await q.connect();
  return q;
}

export class RabbitQueue implements QueueBackend {
  readonly kind = 'rabbitmq';
  readonly supportsPriority: boolean;
  readonly defaults: QueueDefaults;
  readonly events = new EventEmitter();
  readonly prefix: string;
  private conn?: ChannelModel;
  private pub?: ConfirmChannel;
  private closing = false;
  private reconnectTimer?: NodeJS.Timeout;
  private readonly declared = new Map<string, Promise<void>>();
  private readonly consumers = new Set<RabbitConsumer>();
  private readonly used = new Set<string>();
  private readonly keys: IdempotencyKeys;
  readonly side: QueueSideState;

  constructor(
    private readonly connectFn: Connect,
    readonly options: RabbitQueueOptions,
  ) {
    this.defaults = { ...DEFAULTS, ...options };
    this.prefix = options.prefix ?? 'strata.';
    this.supportsPriority = (options.queueType ?? 'classic') === 'classic';
    this.keys = options.keys ?? new MemoryKeys();
    this.side = options.side ?? new MemorySideState();
    this.events.setMaxListeners(0);
  }

  /** Connect (Nagle off: with confirms it otherwise costs ~40 ms a message) and re-attach consumers. */
  async connect(): Promise<void> {
    const conn = await this.connectFn(this.options.url ?? 'amqp://guest:guest@127.0.0.1:5672', { noDelay: true });
    conn.on('error', () => {});
    conn.on('close', () => {
      this.conn = undefined;
      this.pub = undefined;
      this.declared.clear();
      if (!this.closing) this.scheduleReconnect(250);
    });
    const pub = await conn.createConfirmChannel();
    pub.on('error', () => {});
    this.conn = conn;
    this.pub = pub;
    for (const c of this.consumers) await c.attach().catch(() => {});
  }

  private scheduleReconnect(ms: number): void {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      this.connect().catch(() => this.scheduleReconnect(Math.min(ms * 2, 5000)));
    }, ms);
  }

  /** The live connection; throws QueueUnavailableError while reconnecting. */
  connection(): ChannelModel {
    if (!this.conn) throw new QueueUnavailableError('RabbitMQ is unreachable; reconnecting. The operation did not happen.');
    return this.conn;
  }

  ensureTopology(queue: string): Promise<void> {
    let p = this.declared.get(queue);
    if (!p) {
      p = this.declare(queue).catch((err) => {
        this.declared.delete(queue);
        throw new QueueUnavailableError(undefined, err);
      });
      this.declared.set(queue, p);
    }
    return p;
  }

  private async declare(queue: string): Promise<void> {
    const ch = await this.connection().createChannel();
    try {
      const n = names(this.prefix, queue);
      const type = this.options.queueType ?? 'classic';
      await ch.assertQueue(n.main, { durable: true, arguments: { 'x-queue-type': type, ...(type === 'classic' ? { 'x-max-priority': 9 } : {}) } });
      await ch.assertQueue(n.dead, { durable: true, arguments: { 'x-queue-type': type } });
      for (const b of BUCKETS) {
        await ch.assertQueue(n.delay(b), {
          durable: true,
          arguments: { 'x-queue-type': 'classic', 'x-message-ttl': b, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': n.main },
        });
      }
      this.used.add(queue);
    } finally {
      await ch.close().catch(() => {});
    }
  }

  /** Publish with a broker confirm; resolves only once RabbitMQ has taken responsibility for the message. */
  publish(queueName: string, body: Buffer, props: Options.Publish): Promise<void> {
    const ch = this.pub;
    if (!ch) return Promise.reject(new QueueUnavailableError('RabbitMQ is unreachable; reconnecting. The job was not enqueued.'));
    return new Promise((resolve, reject) => {
      // A socket that dies silently never calls back: bound the wait so the caller gets a clear error.
      const timer = setTimeout(() => reject(new QueueUnavailableError('RabbitMQ did not confirm the message in time; it may not be enqueued.')), this.options.confirmTimeoutMs ?? 15_000);
      try {
        ch.sendToQueue(queueName, body, props, (err) => {
          clearTimeout(timer);
          if (err) reject(new QueueUnavailableError('RabbitMQ did not confirm the message; it may not be enqueued.', err));
          else resolve();
        });
      } catch (err) {
        clearTimeout(timer);
        reject(new QueueUnavailableError(undefined, err));
      }
    });
  }

  /** Route a job to its queue now, or into the delay bucket that brings it closest to `runAt`. */
  publishJob(queue: string, job: WireJob): Promise<void> {
    const n = names(this.prefix, queue);
    const bucket = job.runAt === undefined ? undefined : bucketFor(job.runAt - Date.now());
    return this.publish(bucket === undefined ? n.main : n.delay(bucket), job.body, publishOptions(job));
  }

  async enqueue<T>(queue: string, payload: T, options?: EnqueueOptions): Promise<EnqueueResult> {
    return (await this.enqueueBulk(queue, [{ payload, options }]))[0];
  }

  async enqueueBulk<T>(queue: string, jobs: readonly { payload: T; options?: EnqueueOptions }[]): Promise<EnqueueResult[]> {
    assertQueueName(queue);
    const now = Date.now();
    const normalized = jobs.map((j) => normalizeJob(j.payload, j.options, this.defaults, now));
    await this.ensureTopology(queue);
    const retention = this.options.idempotencyRetentionMs ?? 86_400_000;
    const results = await Promise.all(
      normalized.map(async (j): Promise<EnqueueResult> => {
        const id = randomUUID();
        if (j.idempotencyKey !== undefined) {
          const first = await this.keys.claim(queue, j.idempotencyKey, id, retention);
          if (first !== undefined) return { id: first, duplicate: true };
        }
        try {
          await this.publishJob(queue, { id, body: Buffer.from(j.body), attempts: 0, maxAttempts: j.maxAttempts, priority: j.priority, enqueuedAt: now, runAt: j.runAt > now ? j.runAt : undefined });
        } catch (err) {
          if (j.idempotencyKey !== undefined) await this.keys.forget(queue, j.idempotencyKey, id);
          throw err;
        }
        return { id, duplicate: false };
      }),
    );
    return results;
  }

  async consume<T>(queue: string, handler: Handler<T>, options: ConsumeOptions = {}): Promise<Consumer> {
    assertQueueName(queue);
    await this.ensureTopology(queue);
    const c = new RabbitConsumer(this, queue, handler as Handler, options);
    this.consumers.add(c);
    await c.attach();
    return {
      stop: async (graceMs?: number) => {
        await c.stop(graceMs);
        this.consumers.delete(c);
      },
    };
  }

  private async withChannel<R>(fn: (ch: import('amqplib').Channel) => Promise<R>): Promise<R> {
    let ch: import('amqplib').Channel | undefined;
    try {
      ch = await this.connection().createChannel();
      ch.on('error', () => {});
      return await fn(ch);
    } catch (err) {
      if (err instanceof QueueUnavailableError) throw err;
      throw new QueueUnavailableError(undefined, err);
    } finally {
      await ch?.close().catch(() => {});
    }
  }

  async isPaused(queue: string): Promise<boolean> {
    // The pause flag is the existence of a durable marker queue, so every instance sees it.
    return this.withChannel((ch) => ch.checkQueue(names(this.prefix, queue).paused).then(() => true)).catch((err) => {
      if (err instanceof QueueUnavailableError && /404|NOT_FOUND/.test(String((err.cause as Error)?.message))) return false;
      throw err;
    });
  }

  async counts(queue: string): Promise<QueueCounts> {
    assertQueueName(queue);
    await this.ensureTopology(queue);
    const n = names(this.prefix, queue);
    const [main, dead, delayed] = await this.withChannel(async (ch) => {
      const m = await ch.checkQueue(n.main);
      const d = await ch.checkQueue(n.dead);
      let sum = 0;
      for (const b of BUCKETS) sum += (await ch.checkQueue(n.delay(b))).messageCount;
      return [m.messageCount, d.messageCount, sum];
    });
    let active = 0;
    for (const c of this.consumers) if (c.queue === queue) active += c.inFlight;
    return { waiting: main, delayed, active, dead, paused: await this.isPaused(queue) };
  }

  /** Browse with basic.get and put everything back with one nack(requeue) so the order is kept. */
  async peek(queue: string, state: JobState, limit = 20): Promise<JobInfo[]> {
    assertQueueName(queue);
    assertState(state);
    await this.ensureTopology(queue);
    if (state === 'active') return [];
    const n = names(this.prefix, queue);
    const sources = state === 'waiting' ? [n.main] : state === 'dead' ? [n.dead] : BUCKETS.map((b) => n.delay(b));
    const max = Math.min(Math.max(1, limit), 1000);
    return this.withChannel(async (ch) => {
      const out: JobInfo[] = [];
      for (const src of sources) {
        let last: GetMessage | false = false;
        while (out.length < max) {
          const m = await ch.get(src, { noAck: false });
          if (!m) break;
          last = m;
          const w = readWire(m, this.defaults.maxAttempts);
          out.push({ ...toJob(queue, w, w.attempts), state, runAt: w.runAt ?? Date.now() });
        }
        if (last) ch.nackAll(true);
        if (out.length >= max) break;
      }
      return out;
    });
  }

  async retryDead(queue: string, ids?: readonly string[]): Promise<number> {
    return this.drainDead(queue, ids, true);
  }

  async purgeDead(queue: string, ids?: readonly string[]): Promise<number> {
    assertQueueName(queue);
    await this.ensureTopology(queue);
    if (!ids) return this.withChannel(async (ch) => (await ch.purgeQueue(names(this.prefix, queue).dead)).messageCount);
    return this.drainDead(queue, ids, false);
  }

  private async drainDead(queue: string, ids: readonly string[] | undefined, revive: boolean): Promise<number> {
    assertQueueName(queue);
    await this.ensureTopology(queue);
    const want = ids ? new Set(ids) : undefined;
    return this.withChannel(async (ch) => {
      let n = 0;
      for (;;) {
        const m = await ch.get(names(this.prefix, queue).dead, { noAck: false });
        if (!m) break;
        const w = readWire(m, this.defaults.maxAttempts);
        if (want && !want.has(w.id)) continue; // left unacked: requeued by nackAll below
        if (revive) await this.publishJob(queue, { ...w, attempts: 0, lastError: undefined, runAt: undefined });
        ch.ack(m);
        n++;
      }
      ch.nackAll(true);
      this.events.emit(queue);
      return n;
    });
  }

  async pause(queue: string): Promise<void> {
    assertQueueName(queue);
    await this.ensureTopology(queue);
    await this.withChannel((ch) => ch.assertQueue(names(this.prefix, queue).paused, { durable: true }));
    this.events.emit(`pause:${queue}`);
  }

  async resume(queue: string): Promise<void> {
    assertQueueName(queue);
    await this.withChannel((ch) => ch.deleteQueue(names(this.prefix, queue).paused));
    this.events.emit(`pause:${queue}`);
  }

  /** Queues used through this instance (AMQP 0-9-1 cannot list queues; the management API can). */
  async progress(queue: string, id: string): Promise<unknown> {
    assertQueueName(queue);
    const v = await this.side.getProgress(queue, String(id));
    return v === undefined ? undefined : (JSON.parse(v) as unknown);
  }

  async queues(): Promise<string[]> {
    return [...this.used].sort();
  }

  /** Delete every broker queue belonging to these Strata queues. */
  async destroy(queues: readonly string[]): Promise<void> {
    for (const q of queues) {
      const n = names(this.prefix, q);
      // One channel per deletion: an error on one queue must not leave the others behind.
      for (const name of [n.main, n.dead, n.paused, ...BUCKETS.map((b) => n.delay(b))]) await this.withChannel((ch) => ch.deleteQueue(name)).catch(() => {});
      this.declared.delete(q);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.reconnectTimer);
    await Promise.all([...this.consumers].map((c) => c.stop()));
    if (this.options.connection) await this.pub?.close().catch(() => {});
    else await this.conn?.close().catch(() => {});
  }
}
