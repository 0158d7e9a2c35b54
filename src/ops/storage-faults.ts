// Storage faults that requests run into (a full disk, a database lock held past the busy timeout):
// their cause is logged once per interval rather than once per failed request, and readiness says
// not ready while writes fail for lack of space, until a write succeeds again.
import type { ReadinessCheck } from './health.js';

export type StorageFaultKind = 'full' | 'busy';

export interface StorageFaultsOptions {
  /** Log the cause of one kind of fault at most once in this many ms (10 s). */
  logIntervalMs?: number;
  /** A real write (the data layer's write probe): tried by readiness while storage is full. */
  probe?: () => Promise<void>;
  now?: () => number;
}

/**
 * One per server, built by the composition root and handed to the edge (which reports faults) and to
 * readiness (which reads them).
 *
 * @example
 * const storage = new StorageFaults({ probe: () => data.writeProbe() });
 * const log = storage.failed('full', err); // { suppressed } when this one is to be logged, else undefined
 * readiness.track(storage.check());
 */
export class StorageFaults {
  private fullSince?: { at: string; cause: string; probe?: string };
  private readonly logged = new Map<StorageFaultKind, { at: number; suppressed: number }>();
  private readonly interval: number;
  private readonly now: () => number;

  constructor(private readonly opts: StorageFaultsOptions = {}) {
    this.interval = opts.logIntervalMs ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  /**
   * Records a write that failed. Returns `{ suppressed }` (how many were not logged since the last
   * line) when this one is to be logged, or undefined when its kind was logged within the interval.
   */
  failed(kind: StorageFaultKind, err: unknown): { suppressed: number } | undefined {
    if (kind === 'full' && !this.fullSince) this.fullSince = { at: new Date(this.now()).toISOString(), cause: describe(err) };
    const now = this.now();
    const last = this.logged.get(kind);
    if (last && now - last.at < this.interval) {
      last.suppressed++;
      return undefined;
    }
    this.logged.set(kind, { at: now, suppressed: 0 });
    return { suppressed: last?.suppressed ?? 0 };
  }

  /** A write succeeded: storage takes writes again. */
  writable(): void {
    this.fullSince = undefined;
  }

  /** Why writes fail, while they fail for lack of space. */
  get fault(): string | undefined {
    const f = this.fullSince;
    return f && `storage is full since ${f.at}: writes fail (${f.cause})${f.probe ? `; a test write still fails (${f.probe})` : ''}`;
  }

  /** The readiness check named `storage`: not ready while full; each call then tries the probe's write. */
  check(): ReadinessCheck {
    return {
      name: 'storage',
      ready: async () => {
        if (!this.fullSince) return true;
        if (!this.opts.probe) return false;
        try {
          await this.opts.probe();
        } catch (err) {
          if (this.fullSince) this.fullSince.probe = describe(err);
          return false;
        }
        this.writable();
        return true;
      },
      detail: () => this.fault,
    };
  }
}

function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const message = typeof e?.message === 'string' ? e.message.split('\n')[0].slice(0, 200) : String(err);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
