// An upstream pool: its servers, a balancing policy, passive ejection, active health
// checks and a circuit breaker. Lifecycle follows the Component contract.
import type { Component } from '../../core/index.js';
import { createBalancer, type Balancer, type BalancerName } from './balancers/balancer-registry.js';
import { CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker.js';
import { createHealthChecker, type HealthChecker, type HealthCheckOptions } from './health-check.js';
import { Upstream, type UpstreamOptions } from './upstream.js';

export interface UpstreamPoolOptions {
  name: string;
  upstreams: UpstreamOptions[];
  balancer?: BalancerName;
  /** Affinity key for `consistent-hash`: `ip`, `header:<name>` or `cookie:<name>`. */
  hashOn?: string;
  /** Passive health: consecutive failures that eject an upstream (0 disables). Default 3. */
  maxFails?: number;
  /** How long an ejected upstream sits out (ms). Default 10 s. */
  cooldownMs?: number;
  healthCheck?: HealthCheckOptions;
  circuitBreaker?: Partial<CircuitBreakerOptions> & { enabled?: boolean };
  /** Defaults for every upstream's client (timeouts, connections). */
  client?: Omit<UpstreamOptions, 'url' | 'weight'>;
}

export class UpstreamPool implements Component {
  readonly name: string;
  readonly upstreams: Upstream[];
  readonly balancer: Balancer;
  readonly breaker: CircuitBreaker | undefined;
  readonly hashOn: string | undefined;
  readonly #maxFails: number;
  readonly #cooldownMs: number;
  readonly #health: HealthChecker | undefined;
  /** Upstreams reported out by passive ejection, with the timer that reports them back when the cool-down ends. */
  readonly #ejected = new Map<Upstream, NodeJS.Timeout>();
  /** Called when an upstream changes availability (for metrics and logs). */
  onHealthChange: (u: Upstream, healthy: boolean, why: 'active' | 'passive') => void = () => {};

  constructor(o: UpstreamPoolOptions) {
    if (o.upstreams.length === 0) throw new Error(`pool ${o.name}: at least one upstream is required`);
    this.name = o.name;
    this.upstreams = o.upstreams.map((u) => new Upstream({ ...o.client, ...u }));
    this.balancer = createBalancer(o.balancer ?? 'round-robin', this.upstreams);
    this.hashOn = o.hashOn;
    this.#maxFails = o.maxFails ?? 3;
    this.#cooldownMs = o.cooldownMs ?? 10_000;
    const cb = o.circuitBreaker;
    this.breaker =
      cb && cb.enabled !== false
        ? new CircuitBreaker({
            window: cb.window ?? 20,
            minRequests: cb.minRequests ?? 10,
            failureRatio: cb.failureRatio ?? 0.5,
            openMs: cb.openMs ?? 10_000,
            halfOpenRequests: cb.halfOpenRequests ?? 1,
          })
        : undefined;
    this.#health = o.healthCheck
      ? createHealthChecker(this.upstreams, o.healthCheck, (u, h) => this.onHealthChange(u, h, 'active'))
      : undefined;
  }

  /** A balanced pick among available upstreams not in `tried`. */
  select(key: string | undefined, tried?: ReadonlySet<Upstream>): Upstream | undefined {
    const now = Date.now();
    const candidates = this.upstreams.filter((u) => u.available(now) && !tried?.has(u));
    return this.balancer.pick(candidates, key);
  }

  recordSuccess(u: Upstream): void {
    u.recordSuccess();
    this.breaker?.record(true);
    // It served: back in rotation even if the cool-down timer has not run yet.
    if (this.#ejected.has(u) && u.available(Date.now())) this.#returned(u);
  }

  recordFailure(u: Upstream): void {
    if (u.recordFailure(Date.now(), this.#maxFails, this.#cooldownMs)) {
      this.onHealthChange(u, false, 'passive');
      this.#watchCooldown(u);
    }
    this.breaker?.record(false);
  }

  /** Reports the upstream back (healthy) when its passive ejection ends, unless active checks hold it out. */
  #watchCooldown(u: Upstream): void {
    clearTimeout(this.#ejected.get(u));
    const wait = Math.max(0, u.ejectedUntil - Date.now());
    const timer = setTimeout(() => {
      if (u.ejectedUntil > Date.now()) return this.#watchCooldown(u); // ejected again meanwhile
      if (u.healthy) this.#returned(u);
      else this.#ejected.delete(u); // the active checks report it back themselves
    }, wait);
    timer.unref();
    this.#ejected.set(u, timer);
  }

  #returned(u: Upstream): void {
    clearTimeout(this.#ejected.get(u));
    this.#ejected.delete(u);
    this.onHealthChange(u, true, 'passive');
  }

  /** Run the active health checks once (no-op without a health check). */
  checkHealth(): Promise<void> {
    return this.#health?.checkAll() ?? Promise.resolve();
  }

  async start(): Promise<void> {
    this.#health?.start();
  }

  async stop(): Promise<void> {
    this.#health?.stop();
    for (const t of this.#ejected.values()) clearTimeout(t);
    this.#ejected.clear();
    await Promise.all(this.upstreams.map((u) => u.close()));
  }

  ready(): boolean {
    const now = Date.now();
    return this.upstreams.some((u) => u.available(now));
  }
}
