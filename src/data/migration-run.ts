// Applies a migration plan under the cross-instance lock and records it in the history table.
// The last history row's snapshot is "what the database holds"; tables missing from the database are recreated.
import { sql } from 'kysely';
import type { Collection } from './collection-model.js';
import type { Db } from './dialects/dialect.js';
import { historyDdl, stepDdl, type DdlContext } from './migration-ddl.js';
import { describeStep, isDestructive, planMigration, type MigrationStep } from './migration-plan.js';
import { DestructiveMigrationError } from './errors.js';
import { newRecordId } from './record-id.js';
import { dropFullTextDdl } from './full-text.js';
import { dropOutbox } from './event-outbox-schema.js';
import { assignFieldNumbers } from './field-numbers.js';
import { storeTables } from './admin-collection-store.js';
import { existingTables } from './table-list.js';

export interface MigrateOptions {
  allowDestructive?: boolean;
  /** Plan only: nothing is changed. */
  dryRun?: boolean;
  /** Called before each step with its 1-based number, the total and a description. */
  onProgress?: (n: number, total: number, description: string) => void;
  /** Runs inside the lock after the steps (even when there are none), e.g. to store an admin API change with them. */
  commit?: (conn: Db) => Promise<void>;
}

export interface MigrationResult {
  /** Human descriptions of the plan's steps, in order. */
  plan: string[];
  destructive: string[];
  applied: boolean;
}

async function lastSnapshot(db: Db, ctx: DdlContext): Promise<Collection[]> {
  const rows = await db.selectFrom(ctx.names.history).select('snapshot').orderBy('id', 'desc').limit(1).execute();
  if (rows.length === 0) return [];
  const snap = JSON.parse(String(rows[0].snapshot)) as Collection[];
  const tables = await existingTables(db, snap.map((c) => ctx.names.record(c.name)));
  return snap.filter((c) => tables.has(ctx.names.record(c.name)));
}

function orderDrops(steps: MigrationStep[]): MigrationStep[] {
  // drop collections that reference other dropped ones first, so foreign keys never dangle
  const dropped = new Set(steps.flatMap((s) => (s.kind === 'dropCollection' ? [s.collection.name] : [])));
  const refs = (s: MigrationStep) => (s.kind === 'dropCollection' ? s.collection.fields.filter((f) => f.collection && dropped.has(f.collection) && f.collection !== s.collection.name).length : 0);
  const first = steps.findIndex((s) => s.kind === 'dropCollection');
  if (first < 0) return steps;
  const drops = steps.filter((s) => s.kind === 'dropCollection').sort((a, b) => refs(b) - refs(a));
  const rest = steps.filter((s) => s.kind !== 'dropCollection');
  return [...rest.slice(0, first), ...drops, ...rest.slice(first)];
}

/**
 * Brings the database to the declared collections.
 *
 * @example
 * const r = await migrate(db, ctx, collections, { onProgress: (n, t, d) => console.log(`[${n}/${t}] ${d}`) });
 */
export async function migrate(
  db: Db,
  ctx: DdlContext,
  target: readonly Collection[] | ((conn: Db) => Promise<readonly Collection[]>),
  opts: MigrateOptions = {},
): Promise<MigrationResult> {
  return ctx.dialect.withMigrationLock(db, `strata_migrate_${ctx.names.prefix}`, async (conn) => {
    await historyDdl(ctx).execute(conn);
    // Computed under the lock when it depends on what other instances stored (admin API changes).
    const declared = typeof target === 'function' ? await target(conn) : target;
    const current = await lastSnapshot(conn, ctx);
    const steps = orderDrops(planMigration(current, declared));
    const plan = steps.map(describeStep);
    const destructive = steps.filter(isDestructive).map(describeStep);
    if (opts.dryRun) return { plan, destructive, applied: false };
    if (steps.length === 0) {
      await assignFieldNumbers(conn, ctx, declared);
      await opts.commit?.(conn);
      return { plan, destructive, applied: false };
    }
    if (destructive.length > 0 && !opts.allowDestructive) throw new DestructiveMigrationError(destructive);
    let n = 0;
    for (const step of steps) {
      opts.onProgress?.(++n, steps.length, describeStep(step));
      for (const stmt of stepDdl(ctx, step)) await (typeof stmt === 'function' ? stmt(conn) : stmt.execute(conn));
    }
    await conn
      .insertInto(ctx.names.history)
      .values({ id: newRecordId(), applied_at: new Date().toISOString(), steps: JSON.stringify(plan), snapshot: JSON.stringify(declared) })
      .execute();
    await assignFieldNumbers(conn, ctx, declared);
    await opts.commit?.(conn);
    return { plan, destructive, applied: true };
  });
}

/** Removes every table the declared collections and history use (tests, `strata reset`). */
export async function dropAll(db: Db, ctx: DdlContext, collections: readonly Collection[]): Promise<void> {
  const cascade = ctx.dialect.name === 'postgres' ? sql` CASCADE` : sql``;
  await db.connection().execute(async (conn) => {
    // one connection: MySQL's FOREIGN_KEY_CHECKS is per session
    if (ctx.dialect.name === 'mysql') await sql`SET FOREIGN_KEY_CHECKS = 0`.execute(conn);
    for (const c of collections) {
      for (const f of c.fields) if (f.type === 'relation' && f.multiple) await sql`DROP TABLE IF EXISTS ${sql.table(ctx.names.link(c.name, f.name))}${cascade}`.execute(conn);
    }
    for (const c of collections) {
      if (ctx.dialect.name === 'sqlite') for (const stmt of dropFullTextDdl(ctx.dialect, ctx.names, c)) await stmt.execute(conn);
      await sql`DROP TABLE IF EXISTS ${sql.table(ctx.names.record(c.name))}${cascade}`.execute(conn);
    }
    await sql`DROP TABLE IF EXISTS ${sql.table(ctx.names.history)}`.execute(conn);
    await dropOutbox(conn, ctx.names);
    await sql`DROP TABLE IF EXISTS ${sql.table(ctx.names.fieldNumbers)}`.execute(conn);
    for (const t of Object.values(storeTables(ctx.names))) await sql`DROP TABLE IF EXISTS ${sql.table(t)}`.execute(conn);
    if (ctx.dialect.name === 'mysql') await sql`SET FOREIGN_KEY_CHECKS = 1`.execute(conn);
  });
}
