// The queue contract every backend implements (SQLite, Redis streams, RabbitMQ,
// NATS JetStream): at-least-once delivery, retries with backoff, delay, dead letters.

export interface EnqueueOptions {
  /** Run no sooner than this many ms from now. */
  delay?: number;
  /** Run no sooner than this instant (Date or epoch ms); wins over `delay`. */
  runAt?: Date | number;
  /** Higher runs first among ready jobs (-100..100, default 0), where the backend supports priorities. */
  priority?: number;
  /** Deliveries before the job is dead-lettered (default: the queue's `maxAttempts`). */
  maxAttempts?: number;
  /** A second enqueue with the same key within the retention window is a no-op returning the first id. */
  idempotencyKey?: string;
}

export interface EnqueueResult {
  id: string;
  /** True when the idempotency key matched an earlier job and nothing was enqueued. */
  duplicate: boolean;
}

export interface Job<T = unknown> {
  id: string;
  queue: string;
  payload: T;
  /** 1 on the first delivery. */
  attempt: number;
  maxAttempts: number;
  priority: number;
  enqueuedAt: number;
  /** The error of the previous attempt, if any. */
  lastError?: string;
}

export type JobState = 'waiting' | 'delayed' | 'active' | 'dead';

export interface JobInfo<T = unknown> extends Job<T> {
  state: JobState;
  /** When it becomes (or became) ready, epoch ms. */
  runAt: number;
}

export interface QueueCounts {
  waiting: number;
  delayed: number;
  active: number;
  dead: number;
  paused: boolean;
}

export interface Backoff {
  /** Delay before the second attempt, ms. */
  baseMs: number;
  /** Upper bound of any retry delay, ms. */
  maxMs: number;
  /** 0..1: fraction of each delay that is randomized (0.5 = equal jitter). */
  jitter: number;
}

export interface HandlerContext {
  /** Aborted when the consumer stops and the grace period ran out; the job will be delivered again. */
  signal: AbortSignal;
  /**
   * Reports how far the job got (a number 0..100, or any JSON up to 4 KiB); readable with
   * `queue.progress(queue, id)` from any instance, for a day after the last report.
   */
  progress(value: unknown): Promise<void>;
}

/** At most `max` job starts of a queue per `perMs`, across its consumers (see ConsumeOptions.rateLimit). */
export interface RateLimit {
  max: number;
  perMs: number;
}

export type Handler<T = unknown> = (job: Job<T>, ctx: HandlerContext) => unknown | Promise<unknown>;

export interface ConsumeOptions {
  /** Jobs handled at once by this consumer (default 1). */
  concurrency?: number;
  /** Visibility timeout: a job not acked within it is delivered again (default 30 s). */
  leaseMs?: number;
  backoff?: Partial<Backoff>;
  /**
   * Deliveries of a job this consumer handles before a failing one is dead-lettered, in place of the
   * job's own `maxAttempts` (from enqueue). Checked when the handler throws; on SQLite, Redis and
   * NATS, deliveries lost to an expired lease are still capped by the job's own limit.
   */
  maxAttempts?: number;
  /**
   * The queue's rate limit: at most `max` jobs start per `perMs` window, counted across every
   * consumer of the queue that sets one (on every instance sharing the backend; RabbitMQ: in this
   * process unless the backend was given a shared `side` store). Jobs over the limit wait.
   */
  rateLimit?: RateLimit;
}

export interface Consumer {
  /** Stop taking jobs; wait up to `graceMs` for running ones, then release them for redelivery. */
  stop(graceMs?: number): Promise<void>;
}

export interface QueueBackend {
  /** Engine name as written in config: `sqlite`, `redis`, `rabbitmq`, `nats`. */
  readonly kind: string;
  /** Whether `priority` orders delivery on this backend. */
  readonly supportsPriority: boolean;
  enqueue<T>(queue: string, payload: T, options?: EnqueueOptions): Promise<EnqueueResult>;
  enqueueBulk<T>(queue: string, jobs: readonly { payload: T; options?: EnqueueOptions }[]): Promise<EnqueueResult[]>;
  consume<T>(queue: string, handler: Handler<T>, options?: ConsumeOptions): Promise<Consumer>;
  counts(queue: string): Promise<QueueCounts>;
  peek(queue: string, state: JobState, limit?: number): Promise<JobInfo[]>;
  /** Move dead jobs (all, or the given ids) back to waiting with a fresh attempt count. */
  retryDead(queue: string, ids?: readonly string[]): Promise<number>;
  /** Delete dead jobs (all, or the given ids). */
  purgeDead(queue: string, ids?: readonly string[]): Promise<number>;
  pause(queue: string): Promise<void>;
  resume(queue: string): Promise<void>;
  /** Names of queues this backend knows. */
  queues(): Promise<string[]>;
  /** The last progress a handler reported for job `id` (kept a day after the report), or undefined. */
  progress(queue: string, id: string): Promise<unknown>;
  close(): Promise<void>;
}
