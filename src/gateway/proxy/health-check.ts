// Active health checks: a GET to `path` on every upstream each interval; `healthyThreshold`
// consecutive passes mark it up, `unhealthyThreshold` consecutive failures mark it down.
import type { Upstream } from './upstream.js';

export interface HealthCheckOptions {
  path: string;
  intervalMs: number;
  timeoutMs: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  /** Statuses that pass, as `[min, max]`. Default 200-399. */
  expectStatus?: [number, number];
  /** Host header sent with checks. */
  host?: string;
}

export interface HealthChecker {
  /** Run one round now (also used by tests). */
  checkAll(): Promise<void>;
  start(): void;
  stop(): void;
}

export function createHealthChecker(
  upstreams: readonly Upstream[],
  o: HealthCheckOptions,
  onChange: (u: Upstream, healthy: boolean) => void = () => {},
): HealthChecker {
  const streak = new Map<Upstream, number>(); // >0 consecutive passes, <0 consecutive failures
  const [min, max] = o.expectStatus ?? [200, 399];
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  async function probe(u: Upstream): Promise<boolean> {
    try {
      const res = await u.dispatcher.request({
        path: u.basePath + o.path,
        method: 'GET',
        ...u.dispatchOptions,
        headers: o.host ? { host: o.host } : undefined,
        signal: AbortSignal.timeout(o.timeoutMs),
        headersTimeout: o.timeoutMs,
        bodyTimeout: o.timeoutMs,
      });
      await res.body.dump();
      return res.statusCode >= min && res.statusCode <= max;
    } catch {
      return false;
    }
  }

  async function checkOne(u: Upstream): Promise<void> {
    const ok = await probe(u);
    const prev = streak.get(u) ?? 0;
    const s = ok ? Math.max(prev, 0) + 1 : Math.min(prev, 0) - 1;
    streak.set(u, s);
    if (ok && !u.healthy && s >= o.healthyThreshold) {
      u.healthy = true;
      u.ejectedUntil = 0;
      u.consecutiveFailures = 0;
      onChange(u, true);
    } else if (!ok && u.healthy && -s >= o.unhealthyThreshold) {
      u.healthy = false;
      onChange(u, false);
    }
  }

  const checkAll = () => {
    running ??= Promise.all(upstreams.map(checkOne)).then(() => {
      running = undefined;
    });
    return running;
  };

  return {
    checkAll,
    start() {
      if (timer) return;
      void checkAll();
      timer = setInterval(() => void checkAll(), o.intervalMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
