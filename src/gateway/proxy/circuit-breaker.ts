// A circuit breaker for an upstream pool (closed → open → half-open), in the style of
// Nygard's "Release It!": opens on a failure ratio over a rolling window of outcomes.

export interface CircuitBreakerOptions {
  /** Outcomes kept in the rolling window. */
  window: number;
  /** Fewest outcomes in the window before the ratio is trusted. */
  minRequests: number;
  /** Failure ratio (0..1] that opens the circuit. */
  failureRatio: number;
  /** How long the circuit stays open before trial requests (ms). */
  openMs: number;
  /** Trial requests allowed while half-open. */
  halfOpenRequests: number;
}

export type CircuitState = 'closed' | 'open' | 'half-open';

export class CircuitBreaker {
  readonly #o: CircuitBreakerOptions;
  readonly #now: () => number;
  #outcomes: boolean[] = [];
  #failures = 0;
  #state: CircuitState = 'closed';
  #openedAt = 0;
  #trials = 0;
  #trialSuccesses = 0;

  constructor(opts: CircuitBreakerOptions, now: () => number = Date.now) {
    this.#o = opts;
    this.#now = now;
  }

  get state(): CircuitState {
    if (this.#state === 'open' && this.#now() - this.#openedAt >= this.#o.openMs) {
      this.#state = 'half-open';
      this.#trials = 0;
      this.#trialSuccesses = 0;
    }
    return this.#state;
  }

  /** Whether a request may go out now; counts it as a trial when half-open. */
  allow(): boolean {
    const s = this.state;
    if (s === 'closed') return true;
    if (s === 'open') return false;
    if (this.#trials >= this.#o.halfOpenRequests) return false;
    this.#trials++;
    return true;
  }

  /** Milliseconds until the open circuit lets a trial through (for Retry-After). */
  retryAfterMs(): number {
    return this.#state === 'open' ? Math.max(0, this.#o.openMs - (this.#now() - this.#openedAt)) : 0;
  }

  record(success: boolean): void {
    const s = this.state;
    if (s === 'half-open') {
      if (!success) return this.#open();
      if (++this.#trialSuccesses >= this.#o.halfOpenRequests) this.#close();
      return;
    }
    if (s === 'open') return;
    this.#outcomes.push(success);
    if (!success) this.#failures++;
    if (this.#outcomes.length > this.#o.window && !this.#outcomes.shift()) this.#failures--;
    if (this.#outcomes.length >= this.#o.minRequests && this.#failures / this.#outcomes.length >= this.#o.failureRatio) this.#open();
  }

  #open(): void {
    this.#state = 'open';
    this.#openedAt = this.#now();
  }

  #close(): void {
    this.#state = 'closed';
    this.#outcomes = [];
    this.#failures = 0;
  }
}
