// Liveness and readiness: /healthz answers while the process runs; /readyz
// asks every started component and answers 503 while starting or draining.
import type { Component } from '../core/index.js';

export type Phase = 'starting' | 'ready' | 'draining' | 'stopped';

export interface ReadinessReport {
  status: 'ready' | 'not-ready';
  phase: Phase;
  components: Record<string, 'ready' | 'not-ready'>;
  /** Why a component is not ready, or what a ready one wants an operator to see (`notice`). */
  details?: Record<string, string>;
}

/** What readiness asks: a component, or a check that is not one (storage faults). */
export interface ReadinessCheck {
  readonly name: string;
  ready?(): boolean | Promise<boolean>;
  /** Why it is not ready (shown in the report's `details`). */
  detail?(): string | undefined;
  /** A note shown in `details` while it is ready (does not change readiness). */
  notice?(): string | undefined;
}

export class Readiness {
  phase: Phase = 'starting';
  private readonly components: ReadinessCheck[] = [];

  track(c: Component | ReadinessCheck): void {
    this.components.push(c);
  }

  async report(): Promise<ReadinessReport> {
    const components: ReadinessReport['components'] = {};
    const details: Record<string, string> = {};
    let all = this.phase === 'ready';
    await Promise.all(
      this.components.map(async (c) => {
        let ok = true;
        try {
          ok = c.ready ? (await c.ready()) !== false : true;
        } catch {
          ok = false;
        }
        components[c.name] = ok ? 'ready' : 'not-ready';
        if (!ok) all = false;
        const why = ok ? c.notice?.() : (c as ReadinessCheck).detail?.();
        if (why) details[c.name] = why;
      }),
    );
    return { status: all ? 'ready' : 'not-ready', phase: this.phase, components, ...(Object.keys(details).length > 0 ? { details } : {}) };
  }
}
