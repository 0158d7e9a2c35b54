// Runtime WAF exclusions between the data database and the WAF's live list: loaded at start,
// written through on every change made here (applied at once), and re-read every `refreshMs` so a
// change made on another instance sharing the database applies here too.
import { randomBytes } from 'node:crypto';
import type { Component, Logger } from '../core/index.js';
import type { WafExclusionStore } from '../data/index.js';
import type { RuntimeExclusion, RuntimeExclusions } from '../waf/index.js';

export interface WafExclusionSync extends Component {
  list(): readonly RuntimeExclusion[];
  add(e: Omit<RuntimeExclusion, 'id' | 'createdAt'>): Promise<RuntimeExclusion>;
  remove(id: string): Promise<RuntimeExclusion | undefined>;
  /** Re-reads the database now. */
  refresh(): Promise<void>;
}

const toRuntime = (r: { id: string; value: Record<string, unknown>; createdAt: string }): RuntimeExclusion => ({ ...(r.value as Omit<RuntimeExclusion, 'id' | 'createdAt'>), id: r.id, createdAt: r.createdAt });

/**
 * @example
 * const sync = wafExclusionSync({ store: sqlWafExclusionStore(() => data), live: waf.exclusions, log });
 */
export function wafExclusionSync(o: { store: WafExclusionStore; live: RuntimeExclusions; log?: Pick<Logger, 'warn'>; refreshMs?: number }): WafExclusionSync {
  let timer: NodeJS.Timeout | undefined;
  let seen = '';
  const refresh = async () => {
    const rows = await o.store.list();
    const key = JSON.stringify(rows);
    if (key === seen) return;
    seen = key;
    o.live.set(rows.map(toRuntime));
  };
  return {
    name: 'waf-exclusions',
    async start() {
      await o.store.ensure();
      await refresh();
      timer = setInterval(() => {
        refresh().catch((err: unknown) => o.log?.warn({ err: String(err) }, 'waf exclusions: refresh failed; the previous list stays'));
      }, o.refreshMs ?? 2_000);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
    list: () => o.live.list,
    async add(e) {
      const value = Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined));
      const row = await o.store.add(`wx_${randomBytes(12).toString('hex')}`, value);
      await refresh();
      return toRuntime(row);
    },
    async remove(id) {
      const found = (await o.store.list()).find((r) => r.id === id);
      if (!found || !(await o.store.remove(id))) return undefined;
      await refresh();
      return toRuntime(found);
    },
    refresh,
  };
}
