// Queue on Redis streams with one consumer group per queue (ioredis): XREADGROUP
// to claim, XAUTOCLAIM to take back entries whose lease (idle time) ran out,
// a sorted set for delays and retries, a hash for dead letters. No priorities.
import { EventEmitter } from 'node:events';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { startClaimLoop, type Claimed, type ClaimDriver } from '../consumer-loop.js';
import type { QueueSideState } from '../queue-side.js';
import { redisSideState } from './redis-side.js';
import { QueueUnavailableError } from '../errors.js';
import { assertQueueName, assertState, DEFAULTS, normalizeJob, type NormalizedJob, type QueueDefaults } from '../job-options.js';
import type { ConsumeOptions, Consumer, EnqueueOptions, EnqueueResult, Handler, Job, JobInfo, JobState, QueueBackend, QueueCounts } from '../queue-types.js';
import { ACK, CLAIM, ENQUEUE, RETRY_DEAD, SETTLE } from './redis-scripts.js';
import { waitFor } from '../wait-for.js';

export interface RedisQueueOptions extends Partial<QueueDefaults> {
  /** redis:// URL; ignored when `client` is given. */
  url?: string;
  /** An existing client to share (not closed by the queue). */
  client?: Redis;
  /** Key prefix (default `strata:q:`); keys are `<prefix>{<queue>}:stream|delayed|dead|paused|idem:<key>`. */
  prefix?: string;
  idempotencyRetentionMs?: number;
  pollMs?: number;
}

type Scripted = Redis & Record<'strataEnqueue' | 'strataClaim' | 'strataAck' | 'strataSettle' | 'strataRetryDead', (...args: (string | number)[]) => Promise<unknown>>;

const GROUP = 'strata';

export async function redisQueue(options: RedisQueueOptions = {}): Promise<RedisQueue> {
  let shared = options.client;
  const owned = shared === undefined;
  if (!shared) {
    const { Redis: RedisClient } = await import('ioredis');
    shared = new RedisClient(options.url ?? 'redis://127.0.0.1:6379', { enableAutoPipelining: true, maxRetriesPerRequest: 3 });
    shared.on('error', () => {}); // surfaced per call as QueueUnavailableError; ioredis reconnects
  }
  const client = shared as Scripted;
  client.defineCommand('strataEnqueue', { numberOfKeys: 3, lua: ENQUEUE });
  client.defineCommand('strataClaim', { numberOfKeys: 4, lua: CLAIM });
  client.defineCommand('strataAck', { numberOfKeys: 1, lua: ACK });
  client.defineCommand('strataSettle', { numberOfKeys: 3, lua: SETTLE });
  client.defineCommand('strataRetryDead', { numberOfKeys: 2, lua: RETRY_DEAD });
  return new RedisQueue(client, options, owned);
}

export class RedisQueue implements QueueBackend {
  readonly kind = 'redis';
  readonly supportsPriority = false;
  private readonly defaults: QueueDefaults;
  private readonly prefix: string;
  private readonly groups = new Set<string>();
  private readonly events = new EventEmitter();
  private readonly consumers = new Set<Consumer>();
  private readonly side: QueueSideState;

  constructor(
    private readonly client: Scripted,
    private readonly options: RedisQueueOptions,
    private readonly owned = true,
  ) {
    this.defaults = { ...DEFAULTS, ...options };
    this.prefix = options.prefix ?? 'strata:q:';
    this.events.setMaxListeners(0);
    this.side = redisSideState(client, (q, part) => this.key(q, part), (fn) => this.call(fn));
  }

  key(queue: string, part: string): string {
    return `${this.prefix}{${queue}}:${part}`;
  }

  async enqueue<T>(queue: string, payload: T, options?: EnqueueOptions): Promise<EnqueueResult> {
    return (await this.enqueueBulk(queue, [{ payload, options }]))[0];
  }

  async enqueueBulk<T>(queue: string, jobs: readonly { payload: T; options?: EnqueueOptions }[]): Promise<EnqueueResult[]> {
    assertQueueName(queue);
    const normalized = jobs.map((j) => normalizeJob(j.payload, j.options, this.defaults));
    await this.ensureGroup(queue);
    const now = Date.now();
    const out = await this.call(() => Promise.all(normalized.map((j) => this.enqueueOne(queue, j, now))));
    this.events.emit(queue);
    return out;
  }

  private async enqueueOne(queue: string, j: NormalizedJob, now: number): Promise<EnqueueResult> {
    const idem = j.idempotencyKey !== undefined;
    const [id, dup] = (await this.client.strataEnqueue(
      this.key(queue, 'stream'),
      this.key(queue, 'delayed'),
      idem ? this.key(queue, `idem:${j.idempotencyKey}`) : this.key(queue, 'stream'),
      randomUUID(),
      j.body,
      j.maxAttempts,
      now,
      j.priority,
      j.runAt,
      now,
      this.options.idempotencyRetentionMs ?? 86_400_000,
      idem ? '1' : '0',
    )) as [string, number];
    return { id, duplicate: dup === 1 };
  }

  async consume<T>(queue: string, handler: Handler<T>, options: ConsumeOptions = {}): Promise<Consumer> {
    assertQueueName(queue);
    await this.call(() => this.ensureGroup(queue));
    const consumerName = `c-${randomBytes(6).toString('hex')}`;
    const keys = [this.key(queue, 'stream'), this.key(queue, 'delayed'), this.key(queue, 'dead')];
    const settle = (c: Claimed, mode: string, attempts: number, error: string | null, runAt: number) =>
      this.client.strataSettle(keys[0], keys[1], keys[2], GROUP, ...(c.token.split('/') as [string, string]), mode, jobJson(c.job, attempts, error, mode === 'dead' ? Date.now() : undefined), runAt).then(() => {});
    const driver: ClaimDriver = {
      claim: async (limit, leaseMs) => {
        const now = Date.now();
        const flat = (await this.client.strataClaim(keys[0], keys[1], this.key(queue, 'paused'), keys[2], GROUP, consumerName, limit, leaseMs, now)) as (string | number | string[])[];
        const out: Claimed[] = [];
        for (let i = 0; i < flat.length; i += 3) {
          const sid = flat[i] as string;
          const n = Number(flat[i + 1]);
          out.push({ job: toJob(queue, sid, n, flat[i + 2] as string[], this.defaults), token: `${sid}/${n}`, claimedAt: now });
        }
        return out;
      },
      ack: async (c) => {
        await this.client.strataAck(keys[0], GROUP, ...(c.token.split('/') as [string, string]));
      },
      retry: (c, error, runAt) => settle(c, 'retry', c.job.attempt, error, runAt),
      dead: (c, error) => settle(c, 'dead', c.job.attempt, error, 0),
      release: async (cs) => {
        await Promise.all(cs.map((c) => settle(c, 'release', c.job.attempt - 1, c.job.lastError ?? null, 0)));
      },
      wait: (ms, signal) => waitFor(this.events, queue, ms, signal),
    };
    const loop = startClaimLoop(driver, handler, { pollMs: this.options.pollMs ?? 100, ...options, side: { queue, state: this.side } });
    this.consumers.add(loop);
    return {
      stop: async (graceMs?: number) => {
        await loop.stop(graceMs);
        this.consumers.delete(loop);
        // Forget the consumer name only when it holds nothing: DELCONSUMER drops its pending entries.
        const pending = (await this.client.xpending(keys[0], GROUP, '-', '+', 1, consumerName).catch(() => [1])) as unknown[];
        if (pending.length === 0) await this.client.xgroup('DELCONSUMER', keys[0], GROUP, consumerName).catch(() => {});
      },
    };
  }

  async counts(queue: string): Promise<QueueCounts> {
    assertQueueName(queue);
    await this.call(() => this.ensureGroup(queue));
    const [len, pend, delayed, dead, paused] = await this.call(() =>
      Promise.all([
        this.client.xlen(this.key(queue, 'stream')),
        this.client.xpending(this.key(queue, 'stream'), GROUP) as Promise<[number, ...unknown[]]>,
        this.client.zcard(this.key(queue, 'delayed')),
        this.client.hlen(this.key(queue, 'dead')),
        this.client.exists(this.key(queue, 'paused')),
      ]),
    );
    const active = Number(pend[0]);
    return { waiting: len - active, delayed, active, dead, paused: paused === 1 };
  }

  async peek(queue: string, state: JobState, limit = 20): Promise<JobInfo[]> {
    assertQueueName(queue);
    assertState(state);
    const n = Math.min(Math.max(1, limit), 1000);
    const now = Date.now();
    if (state === 'delayed') {
      const r = await this.call(() => this.client.zrange(this.key(queue, 'delayed'), '0', String(n - 1), 'WITHSCORES'));
      const out: JobInfo[] = [];
      for (let i = 0; i < r.length; i += 2) out.push({ ...fromJson(queue, r[i]), state, runAt: Number(r[i + 1]) });
      return out;
    }
    if (state === 'dead') {
      const all = await this.call(() => this.client.hvals(this.key(queue, 'dead')));
      return all.slice(0, n).map((m) => ({ ...fromJson(queue, m), state, runAt: 0 }));
    }
    const pending = (await this.call(() => this.client.xpending(this.key(queue, 'stream'), GROUP, '-', '+', '10000'))) as [string, string, number, number][];
    const entries = (await this.call(() => this.client.xrange(this.key(queue, 'stream'), '-', '+', 'COUNT', String(n + pending.length)))) as [string, string[]][];
    const active = new Map(pending.map((p) => [p[0], p[3]]));
    return entries
      .filter(([sid]) => (state === 'active') === active.has(sid))
      .slice(0, n)
      .map(([sid, f]) => ({ ...toJob(queue, sid, active.get(sid) ?? 0, f, this.defaults), state, runAt: now }));
  }

  async retryDead(queue: string, ids?: readonly string[]): Promise<number> {
    assertQueueName(queue);
    const n = Number(await this.call(() => this.client.strataRetryDead(this.key(queue, 'stream'), this.key(queue, 'dead'), ...(ids ?? []))));
    this.events.emit(queue);
    return n;
  }

  async purgeDead(queue: string, ids?: readonly string[]): Promise<number> {
    assertQueueName(queue);
    const key = this.key(queue, 'dead');
    if (ids) return ids.length === 0 ? 0 : this.call(() => this.client.hdel(key, ...ids));
    const n = await this.call(() => this.client.hlen(key));
    await this.call(() => this.client.del(key));
    return n;
  }

  async pause(queue: string): Promise<void> {
    assertQueueName(queue);
    // A queue paused before its first job is a queue all the same (listed, and its pause holds).
    await this.call(() => this.ensureGroup(queue));
    await this.call(() => this.client.set(this.key(queue, 'paused'), '1'));
  }

  async resume(queue: string): Promise<void> {
    assertQueueName(queue);
    await this.call(() => this.client.del(this.key(queue, 'paused')));
    this.events.emit(queue);
  }

  async queues(): Promise<string[]> {
    return (await this.call(() => this.client.smembers(`${this.prefix}queues`))).sort();
  }

  async progress(queue: string, id: string): Promise<unknown> {
    assertQueueName(queue);
    const v = await this.side.getProgress(queue, String(id));
    return v === undefined ? undefined : (JSON.parse(v) as unknown);
  }

  /** Delete every key of these queues (tests, and the admin API's delete). */
  async destroy(queues: readonly string[]): Promise<void> {
    for (const q of queues) {
      const keys = await this.client.keys(`${this.prefix}{${q}}:*`);
      if (keys.length > 0) await this.client.del(...keys);
      await this.client.srem(`${this.prefix}queues`, q);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.stop()));
    if (this.owned) await this.client.quit().catch(() => this.client.disconnect());
  }

  private async ensureGroup(queue: string): Promise<void> {
    if (this.groups.has(queue)) return;
    try {
      await this.client.xgroup('CREATE', this.key(queue, 'stream'), GROUP, '0', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
    }
    await this.client.sadd(`${this.prefix}queues`, queue);
    this.groups.add(queue);
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new QueueUnavailableError('The Redis queue backend is unavailable; the operation did not happen.', err);
    }
  }
}

function toJob(queue: string, sid: string, deliveries: number, flat: string[], d: QueueDefaults): Job {
  const f: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) f[flat[i]] = flat[i + 1];
  let payload: unknown = f.payload;
  try {
    payload = JSON.parse(f.payload ?? 'null');
  } catch {
    // a foreign producer's non-JSON body is handed over as the raw string
  }
  return {
    id: f.id || sid,
    queue,
    payload,
    attempt: (Number(f.attempts) || 0) + deliveries,
    maxAttempts: Number(f.maxAttempts) || d.maxAttempts,
    priority: Number(f.priority) || 0,
    enqueuedAt: Number(f.enqueuedAt) || Number(sid.split('-')[0]),
    ...(f.lastError ? { lastError: f.lastError } : {}),
  };
}

function jobJson(job: Job, attempts: number, lastError: string | null, deadAt?: number): string {
  return JSON.stringify({
    id: job.id,
    payload: JSON.stringify(job.payload),
    attempts,
    maxAttempts: job.maxAttempts,
    enqueuedAt: job.enqueuedAt,
    priority: job.priority,
    ...(lastError ? { lastError } : {}),
    ...(deadAt ? { deadAt } : {}),
  });
}

function fromJson(queue: string, m: string): Job {
  const j = JSON.parse(m) as { id: string; payload: string; attempts: number; maxAttempts: number; enqueuedAt: number; priority?: number; lastError?: string };
  return { id: j.id, queue, payload: JSON.parse(j.payload) as unknown, attempt: Number(j.attempts), maxAttempts: Number(j.maxAttempts), priority: Number(j.priority ?? 0), enqueuedAt: Number(j.enqueuedAt), ...(j.lastError ? { lastError: j.lastError } : {}) };
}

