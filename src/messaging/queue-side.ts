// What a queue keeps beside its jobs, shared by every consumer (and instance) of the backend:
// the per-queue rate-limit window (BullMQ's limiter) and job progress. Each backend stores it
// where its jobs live (SQLite tables, Redis keys, a NATS KV bucket); RabbitMQ, which has nowhere
// to put it, keeps it in this process unless given a shared store.
import { ValidationError } from '../core/index.js';
import type { RateLimit } from './queue-types.js';

export interface QueueSideState {
  /**
   * Takes up to `want` job starts from `queue`'s current window (`limit.max` per `limit.perMs`; a
   * window opens at the first take after the last one ended). `retryInMs`: when the window ends.
   */
  take(queue: string, want: number, limit: RateLimit): Promise<{ granted: number; retryInMs: number }>;
  /** Returns starts taken but not used (fewer jobs were there) to the window, if it is still open. */
  giveBack(queue: string, n: number): Promise<void>;
  /** Stores a job's progress (encoded JSON) for `ttlMs`. */
  setProgress(queue: string, id: string, value: string, ttlMs: number): Promise<void>;
  getProgress(queue: string, id: string): Promise<string | undefined>;
}

/** How long a job's last progress stays readable after it was reported (the job may be long done). */
export const PROGRESS_TTL_MS = 86_400_000;
const MAX_PROGRESS_BYTES = 4096;

/** Validates and encodes a progress value (JSON, at most 4 KiB): a number 0..100 or any small object. */
export function encodeProgress(value: unknown): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(value);
  } catch {
    s = undefined;
  }
  if (s === undefined || Buffer.byteLength(s) > MAX_PROGRESS_BYTES) {
    throw new ValidationError(`Job progress must be JSON of at most ${MAX_PROGRESS_BYTES} bytes.`, [{ field: 'progress', message: 'not JSON or too large' }]);
  }
  return s;
}

export function checkRateLimit(limit: RateLimit | undefined): void {
  if (limit === undefined) return;
  const ok = Number.isInteger(limit.max) && limit.max >= 1 && limit.max <= 1_000_000 && Number.isInteger(limit.perMs) && limit.perMs >= 1 && limit.perMs <= 86_400_000;
  if (!ok) throw new ValidationError('Invalid rate limit.', [{ field: 'rateLimit', message: 'max must be an integer 1..1000000 and perMs an integer 1..86400000' }]);
}

/** Grant arithmetic shared by the stores: how many of `want` fit in a window that used `used` of `max`. */
export function grantOf(want: number, used: number, max: number): number {
  return Math.max(0, Math.min(want, max - used));
}

/** This process only (RabbitMQ's default; tests). */
export class MemorySideState implements QueueSideState {
  private readonly windows = new Map<string, { end: number; used: number }>();
  private readonly progress = new Map<string, { value: string; until: number }>();

  async take(queue: string, want: number, limit: RateLimit): Promise<{ granted: number; retryInMs: number }> {
    const now = Date.now();
    let w = this.windows.get(queue);
    if (!w || w.end <= now) {
      w = { end: now + limit.perMs, used: 0 };
      this.windows.set(queue, w);
    }
    const granted = grantOf(want, w.used, limit.max);
    w.used += granted;
    return { granted, retryInMs: w.end - now };
  }

  async giveBack(queue: string, n: number): Promise<void> {
    const w = this.windows.get(queue);
    if (w && w.end > Date.now()) w.used = Math.max(0, w.used - n);
  }

  async setProgress(queue: string, id: string, value: string, ttlMs: number): Promise<void> {
    const now = Date.now();
    this.progress.set(`${queue}\0${id}`, { value, until: now + ttlMs });
    if (this.progress.size > 100_000) for (const [k, v] of this.progress) if (v.until <= now) this.progress.delete(k);
  }

  async getProgress(queue: string, id: string): Promise<string | undefined> {
    const hit = this.progress.get(`${queue}\0${id}`);
    return hit && hit.until > Date.now() ? hit.value : undefined;
  }
}
