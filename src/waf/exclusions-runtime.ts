// Exclusions added at run time (the admin API's one-click exclusion from a WAF event), applied
// after the engine on top of `waf.exclusions`: a detection they cover is dropped before the
// request is scored, so a change takes effect on the next request without a restart. Where they
// are kept (the data database) is the composition root's business; this holds the current list.
import type { Detection } from './waf-engine.js';
import { compileExclusions, exclusionsFor, isExcluded, type CompiledExclusion, type WafExclusion } from './exclusions.js';

/** A stored runtime exclusion: an id, who made it and when, and a WafExclusion that names its rules. */
export interface RuntimeExclusion extends WafExclusion {
  id: string;
  rules: string[];
  note?: string;
  createdAt: string;
  createdBy?: string;
}

/**
 * Throws an Error (with what is wrong) when the exclusion cannot be compiled: an unknown
 * parameter location, a field without its collection.
 */
export function checkExclusion(e: WafExclusion): void {
  compileExclusions([e]);
}

/**
 * The live list of runtime exclusions, swapped whole on every change (readers never see half a list).
 *
 * @example
 * const runtime = new RuntimeExclusions();
 * runtime.set(await store.list());
 * app.register(wafPlugin({ config, runtimeExclusions: runtime }));
 */
export class RuntimeExclusions {
  private items: readonly RuntimeExclusion[] = [];
  private compiled: readonly CompiledExclusion[] = [];

  /** Replaces the list (entries that do not compile are left out, never half-applied). */
  set(list: readonly RuntimeExclusion[]): void {
    const ok = list.filter((e) => {
      try {
        checkExclusion(e);
        return true;
      } catch {
        return false;
      }
    });
    this.compiled = compileExclusions(ok.map((e) => ({ ...e, route: e.route || undefined, parameter: e.parameter || undefined })));
    this.items = ok;
  }

  get list(): readonly RuntimeExclusion[] {
    return this.items;
  }

  get empty(): boolean {
    return this.compiled.length === 0;
  }

  /** The detections no runtime exclusion covers (the same array when none is dropped). */
  prune(detections: Detection[], method: string, routeUrl: string | undefined, path: string): Detection[] {
    if (this.compiled.length === 0 || detections.length === 0) return detections;
    const active = exclusionsFor(this.compiled, method, routeUrl, path);
    if (active.length === 0) return detections;
    const kept = detections.filter((d) => !isExcluded(active, d.detector, d.rule, d.location, d.name, d.field));
    return kept.length === detections.length ? detections : kept;
  }
}
