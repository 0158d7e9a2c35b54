// Collection changes at run time (the engine of the admin API): validate a `collections:` entry, plan and apply
// the migration under the migration lock together with the stored definition, then swap the records service.
import { Value } from '@sinclair/typebox/value';
import type { Logger } from '../core/index.js';
import { CollectionSchema, type CollectionConfig } from '../config/schema-data.js';
import { normalizeCollections, withSystemCollections, type Collection } from './collection-model.js';
import type { Db, SqlDialect } from './dialects/dialect.js';
import { ConflictError, NotFoundError, ReadOnlyCollectionError, ValidationError } from './errors.js';
import { loadStored, saveStored } from './admin-collection-store.js';
import { migrate, type MigrationResult } from './migration-run.js';
import type { TableNames } from './table-names.js';

export type CollectionChange =
  | { action: 'create'; definition: unknown }
  /** Top-level keys of `definition` replace the stored ones (`fields` as a whole); `name` may not change. */
  | { action: 'update'; name: string; definition: unknown }
  | { action: 'delete'; name: string };

export interface CollectionEntry {
  name: string;
  /** `system`: built in (`_superusers`, and `users` unless declared), read-only; `config`: declared in strata.yaml (read-only here); `api`: managed over the admin API. */
  source: 'system' | 'config' | 'api';
  definition: CollectionConfig;
}

export interface ChangeResult extends MigrationResult {
  entry?: CollectionEntry;
  /** Schema version after the change (other instances poll it). */
  version: number;
}

export interface CollectionAdmin {
  list(): CollectionEntry[];
  get(name: string): CollectionEntry;
  /** The migration plan a change would apply; nothing changes. */
  plan(change: CollectionChange): Promise<MigrationResult>;
  /** Applies a change; destructive steps (drops, narrowing) need `allowDestructive`. */
  change(change: CollectionChange, opts?: { allowDestructive?: boolean }): Promise<ChangeResult>;
}

export interface CollectionAdminDeps {
  db: Db;
  dialect: SqlDialect;
  names: TableNames;
  declared: readonly CollectionConfig[];
  stored(): readonly CollectionConfig[];
  apply(stored: CollectionConfig[], version: number): void;
  /** Extra checks of the collections a change would produce (the auth capability compiles their rules); throws to refuse. */
  check?(collections: readonly Collection[]): void;
  logger?: Logger;
}

/** A `collections:` entry checked against the config schema (the same shape strata.yaml takes). */
function checkEntry(input: unknown): CollectionConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ValidationError('The body must be a collection entry (an object).', [{ field: 'body', message: 'must be an object' }]);
  if (!Value.Check(CollectionSchema, input)) {
    const errors = [...Value.Errors(CollectionSchema, input)].slice(0, 20).map((e) => ({ field: e.path.replace(/^\//, '').replace(/\//g, '.') || 'body', message: e.message }));
    throw new ValidationError(`${errors.length} problem(s) in the collection entry.`, errors);
  }
  return structuredClone(input) as CollectionConfig;
}

/**
 * @example
 * const admin = createCollectionAdmin({ db, dialect, names, declared: config.collections, stored: () => current, apply });
 * await admin.change({ action: 'create', definition: { name: 'notes', fields: [{ name: 'text', type: 'text' }] } });
 */
export function createCollectionAdmin(d: CollectionAdminDeps): CollectionAdmin {
  // strata.yaml collections and any the data layer adds itself (system collections) are read-only here.
  const declaredNames = new Set(normalizeCollections(d.declared).map((c) => c.name));
  // The system collections as the data layer adds them: listed and readable, never changed here.
  const system = withSystemCollections(d.declared).filter((c) => !d.declared.some((x) => x.name === c.name));
  const entry = (definition: CollectionConfig, source: CollectionEntry['source']): CollectionEntry => ({ name: definition.name, source, definition });
  const ownName = (name: string): string => {
    if (system.some((c) => c.name === name)) throw new ReadOnlyCollectionError(name, true);
    if (typeof name !== 'string' || !/^[a-z][a-z0-9_]{0,47}$/.test(name)) throw new NotFoundError(`No collection named ${JSON.stringify(String(name).slice(0, 64))}.`);
    if (declaredNames.has(name)) throw new ReadOnlyCollectionError(name);
    return name;
  };

  /** The stored list after `change`, checked against the fresh list read under the lock. */
  function next(fresh: CollectionConfig[], change: CollectionChange): { list: CollectionConfig[]; name: string; definition?: CollectionConfig } {
    if (change.action === 'create') {
      const def = checkEntry(change.definition);
      if (declaredNames.has(def.name)) throw new ReadOnlyCollectionError(def.name, system.some((c) => c.name === def.name));
      if (fresh.some((c) => c.name === def.name)) throw new ConflictError(`A collection named ${JSON.stringify(def.name)} already exists.`);
      return { list: [...fresh, def], name: def.name, definition: def };
    }
    const name = ownName(change.name);
    const old = fresh.find((c) => c.name === name);
    if (!old) throw new NotFoundError(`No collection named ${JSON.stringify(name)}.`);
    if (change.action === 'delete') {
      const users = [...d.declared, ...fresh].filter((c) => c.name !== name && (c.fields ?? []).some((f) => f.collection === name)).map((c) => c.name);
      if (users.length > 0) throw new ConflictError(`Collection ${name} is referenced by relations in ${users.join(', ')}; remove those first.`);
      return { list: fresh.filter((c) => c.name !== name), name };
    }
    const patch = change.definition;
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw new ValidationError('The body must be an object.', [{ field: 'body', message: 'must be an object' }]);
    if ('name' in patch && (patch as { name: unknown }).name !== name) throw new ValidationError('Collections cannot be renamed.', [{ field: 'name', message: `must be ${name} (renaming is not supported)` }]);
    const def = checkEntry({ ...old, ...patch, name });
    return { list: fresh.map((c) => (c.name === name ? def : c)), name, definition: def };
  }

  async function run(change: CollectionChange, dryRun: boolean, allowDestructive: boolean): Promise<ChangeResult> {
    let result: { list: CollectionConfig[]; name: string; definition?: CollectionConfig } | undefined;
    let version = 0;
    const r = await migrate(
      d.db,
      { dialect: d.dialect, names: d.names },
      async (conn): Promise<Collection[]> => {
        result = next(await loadStored(conn, d.names), change);
        const all = normalizeCollections([...d.declared, ...result.list]);
        d.check?.(all); // e.g. a rule that does not compile: refused before anything is changed
        return all;
      },
      {
        dryRun,
        allowDestructive,
        commit: async (conn) => {
          version = await saveStored(conn, d.names, result!.name, result!.definition);
        },
      },
    );
    if (!dryRun) {
      d.apply(result!.list, version);
      d.logger?.info({ collection: result!.name, action: change.action, steps: r.plan.length, version }, 'collection changed over the admin API');
    }
    return { ...r, version, ...(result!.definition ? { entry: entry(result!.definition, 'api') } : {}) };
  }

  return {
    list: () => [...system.map((c) => entry(c, 'system')), ...d.declared.map((c) => entry(c, 'config')), ...d.stored().map((c) => entry(c, 'api'))],
    get(name) {
      const sys = system.find((x) => x.name === name);
      if (sys) return entry(sys, 'system');
      const c = d.declared.find((x) => x.name === name);
      if (c) return entry(c, 'config');
      const s = d.stored().find((x) => x.name === name);
      if (!s) throw new NotFoundError(`No collection named ${JSON.stringify(String(name).slice(0, 64))}.`);
      return entry(s, 'api');
    },
    plan: (change) => run(change, true, true),
    change: (change, opts = {}) => run(change, false, opts.allowDestructive ?? false),
  };
}
