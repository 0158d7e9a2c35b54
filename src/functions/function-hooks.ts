// Record hooks from function files, as the records service's RecordHooks. The hook table is
// swapped whole on reload; hooks of one event run in file order.
import type { FastifyBaseLogger as Logger } from 'fastify';
import type { Db, RecordHooks } from '../data/index.js';
import { functionContext, type ContextServices } from './function-context.js';
import { FUNCTION_KIND, type HookDefinition } from './function-define.js';
import type { LoadedFunction } from './function-load.js';

/** `records.<collection>.<phase>` → hooks in order. */
export type HookTable = Map<string, { f: LoadedFunction; def: HookDefinition }[]>;

export function hookTable(functions: readonly LoadedFunction[]): HookTable {
  const t: HookTable = new Map();
  for (const f of functions) {
    if (f.def[FUNCTION_KIND] !== 'hook') continue;
    const def = f.def as unknown as HookDefinition;
    const list = t.get(def.on) ?? [];
    list.push({ f, def });
    t.set(def.on, list);
  }
  return t;
}

const PHASE = { create: 'Create', update: 'Update', delete: 'Delete' } as const;

/**
 * RecordHooks reading `table()` at each write. Before-hooks may replace the body or throw to reject;
 * after-hook failures are logged (the write has committed).
 *
 * @example
 * const data = createDataLayer({ ..., hooks: recordHooks(() => table, { services, log, signal }) });
 */
export function recordHooks(table: () => HookTable, deps: { services: ContextServices; log: Logger; signal: AbortSignal }): RecordHooks {
  return {
    hasBefore: (action, collection) => table().has(`records.${collection}.before${PHASE[action]}`),
    async before(action, collection, input, tx: Db) {
      const hooks = table().get(`records.${collection}.before${PHASE[action]}`);
      if (!hooks) return undefined;
      let body = input.body;
      for (const { f, def } of hooks) {
        const data = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
        const log = deps.log.child({ function: `${f.file}#${f.exportName}`, hook: def.on });
        const out = await def.handler({ collection, action, id: input.id, data, db: tx }, functionContext(deps.services, null, log, deps.signal));
        if (out !== undefined && action !== 'delete') body = out;
      }
      return body;
    },
    async after(action, collection, result) {
      const hooks = table().get(`records.${collection}.after${PHASE[action]}`);
      if (!hooks) return;
      for (const { f, def } of hooks) {
        const log = deps.log.child({ function: `${f.file}#${f.exportName}`, hook: def.on });
        try {
          await def.handler({ collection, action, id: result.id, record: result.record, db: deps.services.db() }, functionContext(deps.services, null, log, deps.signal));
        } catch (err) {
          log.error({ err, id: result.id }, 'after-hook failed (the write had committed)');
        }
      }
    },
  };
}
