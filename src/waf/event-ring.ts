// A bounded in-memory ring of WAF events for the superuser API: O(1) insert,
// oldest dropped first, newest listed first. Never holds request bodies.
import type { Detection } from './waf-engine.js';

export interface WafEvent {
  id: string;
  time: string;
  requestId: string;
  action: 'blocked' | 'detected';
  method: string;
  /** Path without the query string. */
  path: string;
  route?: string;
  ip: string;
  score: number;
  threshold: number;
  paranoia: number;
  detections: Detection[];
}

export interface EventQuery { limit?: number; action?: WafEvent['action']; detector?: string; ip?: string }

export class EventRing {
  readonly capacity: number;
  private readonly items: (WafEvent | undefined)[];
  private next = 0;
  private count = 0;

  constructor(capacity: number) {
    this.capacity = Math.max(0, Math.floor(capacity));
    this.items = new Array<WafEvent | undefined>(this.capacity);
  }

  push(e: WafEvent): void {
    if (this.capacity === 0) return;
    this.items[this.next] = e;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  get size(): number { return this.count; }

  /** Newest first, filtered. */
  list(q: EventQuery = {}): WafEvent[] {
    const out: WafEvent[] = [];
    const limit = Math.min(q.limit ?? 100, this.capacity);
    for (let i = 0; i < this.count && out.length < limit; i++) {
      const e = this.items[(this.next - 1 - i + this.capacity) % this.capacity] as WafEvent;
      if (q.action && e.action !== q.action) continue;
      if (q.ip && e.ip !== q.ip) continue;
      if (q.detector && !e.detections.some((d) => d.detector === q.detector)) continue;
      out.push(e);
    }
    return out;
  }

  get(id: string): WafEvent | undefined {
    for (let i = 0; i < this.count; i++) {
      const e = this.items[i];
      if (e && e.id === id) return e;
    }
    return undefined;
  }
}
