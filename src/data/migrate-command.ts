// What `strata migrate` runs: open the database, print the plan, apply it with progress, close.
import type { CollectionConfig, DataConfig } from '../config/schema-data.js';
import { createDataLayer } from './data-layer.js';
import type { MigrationResult } from './migration-run.js';

export interface MigrateCommandOptions {
  dataDir: string;
  data: DataConfig;
  collections: readonly CollectionConfig[];
  allowDestructive?: boolean;
  /** Print the plan only. */
  dryRun?: boolean;
  /** Where lines go (the CLI passes console.log). */
  out: (line: string) => void;
}

/**
 * @example
 * await migrateCommand({ dataDir, data: config.data, collections: config.collections, allowDestructive: flags['allow-destructive'], out: console.log });
 */
export async function migrateCommand(o: MigrateCommandOptions): Promise<MigrationResult> {
  const layer = createDataLayer({ dataDir: o.dataDir, data: o.data, collections: o.collections });
  try {
    const allowDestructive = o.allowDestructive ?? o.data.allowDestructive;
    const plan = await layer.migrate({ dryRun: true });
    if (plan.plan.length === 0) {
      o.out('migrate: the database matches the declared collections; nothing to do');
      return plan;
    }
    o.out(`migrate: plan (${plan.plan.length} step${plan.plan.length === 1 ? '' : 's'}):`);
    for (const step of plan.plan) o.out(`  ${plan.destructive.includes(step) ? '!' : '-'} ${step}`);
    if (plan.destructive.length > 0 && !allowDestructive) o.out(`migrate: ${plan.destructive.length} destructive step(s) marked ! need --allow-destructive`);
    if (o.dryRun) return plan;
    const applied = await layer.migrate({ allowDestructive, onProgress: (n, total, d) => o.out(`  [${n}/${total}] ${d}`) });
    o.out(applied.applied ? 'migrate: done' : 'migrate: nothing applied (another instance migrated meanwhile)');
    return applied;
  } finally {
    await layer.stop();
  }
}
