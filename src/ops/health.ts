// Liveness and readiness: /healthz answers while the process runs; /readyz
// asks every started component and answers 503 while starting or draining.
import type { Component } from '../core/index.js';

export type Phase = 'starting' | 'ready' | 'draining' | 'stopped';

export interface ReadinessReport {
  status: 'ready' | 'not-ready';
  phase: Phase;
  components: Record<string, 'ready' | 'not-ready'>;
}

export class Readiness {
  phase: Phase = 'starting';
  private readonly components: Component[] = [];

  track(c: Component): void {
    this.components.push(c);
  }

  async report(): Promise<ReadinessReport> {
    const components: ReadinessReport['components'] = {};
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
      }),
    );
    return { status: all ? 'ready' : 'not-ready', phase: this.phase, components };
  }
}
