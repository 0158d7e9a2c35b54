// Validation and normalization shared by every backend: queue names, enqueue
// options, payload encoding, and the retry delay (exponential backoff with jitter).
import { ValidationError } from '../core/index.js';
import type { Backoff, EnqueueOptions } from './queue-types.js';

export const QUEUE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;
export const DEFAULT_BACKOFF: Backoff = { baseMs: 1000, maxMs: 3_600_000, jitter: 0.5 };

export interface QueueDefaults {
  maxAttempts: number;
  /** Largest encoded payload, bytes. */
  maxPayloadBytes: number;
}

export const DEFAULTS: QueueDefaults = { maxAttempts: 5, maxPayloadBytes: 1024 * 1024 };

export function assertQueueName(queue: string): void {
  if (typeof queue !== 'string' || !QUEUE_NAME.test(queue)) {
    throw new ValidationError('A queue name is 1-100 letters, digits, `_` or `-`, starting with a letter or digit.', [{ field: 'queue', message: 'invalid queue name' }]);
  }
}

export interface NormalizedJob {
  body: string;
  runAt: number;
  priority: number;
  maxAttempts: number;
  idempotencyKey?: string;
}

export function normalizeJob(payload: unknown, options: EnqueueOptions = {}, defaults: QueueDefaults = DEFAULTS, now = Date.now()): NormalizedJob {
  const errors: { field: string; message: string }[] = [];
  let body: string | undefined;
  try {
    body = JSON.stringify(payload ?? null);
  } catch {
    errors.push({ field: 'payload', message: 'must be JSON-serializable' });
  }
  if (body !== undefined && Buffer.byteLength(body) > defaults.maxPayloadBytes) errors.push({ field: 'payload', message: `larger than ${defaults.maxPayloadBytes} bytes` });
  const o = options ?? {};
  if (o.delay !== undefined && !(Number.isFinite(o.delay) && o.delay >= 0)) errors.push({ field: 'delay', message: 'must be a number of ms >= 0' });
  const runAtMs = o.runAt instanceof Date ? o.runAt.getTime() : o.runAt;
  if (runAtMs !== undefined && !Number.isFinite(runAtMs)) errors.push({ field: 'runAt', message: 'must be a date or epoch ms' });
  if (o.priority !== undefined && !(Number.isInteger(o.priority) && o.priority >= -100 && o.priority <= 100)) errors.push({ field: 'priority', message: 'must be an integer from -100 to 100' });
  if (o.maxAttempts !== undefined && !(Number.isInteger(o.maxAttempts) && o.maxAttempts >= 1 && o.maxAttempts <= 1000)) errors.push({ field: 'maxAttempts', message: 'must be an integer from 1 to 1000' });
  if (o.idempotencyKey !== undefined && !(typeof o.idempotencyKey === 'string' && o.idempotencyKey.length > 0 && o.idempotencyKey.length <= 200)) errors.push({ field: 'idempotencyKey', message: 'must be a string of 1-200 characters' });
  if (errors.length > 0) throw new ValidationError('Invalid job.', errors);
  return {
    body: body as string,
    runAt: runAtMs ?? now + (o.delay ?? 0),
    priority: o.priority ?? 0,
    maxAttempts: o.maxAttempts ?? defaults.maxAttempts,
    idempotencyKey: o.idempotencyKey,
  };
}

/** Delay before attempt `attempt + 1` after attempt `attempt` failed. */
export function retryDelay(attempt: number, backoff: Backoff = DEFAULT_BACKOFF, random = Math.random): number {
  const exp = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, attempt - 1));
  const j = Math.min(1, Math.max(0, backoff.jitter));
  return Math.round(exp * (1 - j) + exp * j * random());
}

export function errorText(err: unknown): string {
  const s = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return s.length > 2000 ? s.slice(0, 2000) : s;
}

const STATES = new Set(['waiting', 'delayed', 'active', 'dead']);

export function assertState(state: string): void {
  if (!STATES.has(state)) throw new ValidationError('A job state is waiting, delayed, active or dead.', [{ field: 'state', message: 'invalid state' }]);
}
