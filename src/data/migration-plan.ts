// Pure diff of two collection sets (last applied snapshot vs declared) into ordered migration steps.
import { hasColumn, type Collection, type Field } from './collection-model.js';

export interface IndexSpec {
  readonly collection: string;
  readonly columns: readonly string[];
  readonly unique: boolean;
  /** Columns other than id/created/updated are JSON paths into `data` (document collections). */
  readonly json?: boolean;
}

export type MigrationStep =
  | { kind: 'dropIndex'; index: IndexSpec }
  | { kind: 'dropField'; collection: string; field: Field }
  | { kind: 'dropCollection'; collection: Collection }
  | { kind: 'createCollection'; collection: Collection }
  | { kind: 'addField'; collection: string; field: Field }
  | { kind: 'alterField'; collection: string; from: Field; to: Field }
  | { kind: 'addIndex'; index: IndexSpec }
  | { kind: 'dropFullText'; collection: Collection }
  | { kind: 'addFullText'; collection: Collection };

const WIDENINGS = new Set(['integer>number', 'email>text', 'url>text', 'select>text']);

/** Whether a column's stored values survive the change without loss. */
function compatible(from: Field, to: Field): boolean {
  if (from.type === 'relation' || to.type === 'relation') {
    return from.type === to.type && from.collection === to.collection && from.multiple === to.multiple && from.onDelete === to.onDelete;
  }
  // Encrypting keeps values (old plaintext stays readable until `strata keys rotate`); dropping encryption would
  // leave ciphertext behind, so it replaces the column.
  if (from.encrypted && !to.encrypted) return false;
  return from.type === to.type || WIDENINGS.has(`${from.type}>${to.type}`);
}

export function isDestructive(s: MigrationStep): boolean {
  return s.kind === 'dropField' || s.kind === 'dropCollection' || (s.kind === 'alterField' && !compatible(s.from, s.to));
}

export function describeStep(s: MigrationStep): string {
  switch (s.kind) {
    case 'createCollection':
      return `create collection ${s.collection.name}`;
    case 'dropCollection':
      return `drop collection ${s.collection.name} (its records are deleted)`;
    case 'addField':
      return `add field ${s.collection}.${s.field.name} (${s.field.type})`;
    case 'dropField':
      return `drop field ${s.collection}.${s.field.name} (its values are deleted)`;
    case 'alterField':
      return compatible(s.from, s.to)
        ? `change field ${s.collection}.${s.to.name} (${s.from.type} -> ${s.to.type}${s.to.encrypted && !s.from.encrypted ? ', encrypted' : ''})`
        : `replace field ${s.collection}.${s.to.name} (${s.from.type} -> ${s.to.type}; its values are deleted)`;
    case 'addIndex':
      return `add ${s.index.unique ? 'unique ' : ''}index ${s.index.collection}(${s.index.columns.join(', ')})`;
    case 'dropIndex':
      return `drop ${s.index.unique ? 'unique ' : ''}index ${s.index.collection}(${s.index.columns.join(', ')})`;
    case 'dropFullText':
      return `drop full-text index ${s.collection.name}(${s.collection.fullText.join(', ')})`;
    case 'addFullText':
      return `add full-text index ${s.collection.name}(${s.collection.fullText.join(', ')})`;
  }
}

/** Every index a collection's declaration implies. */
export function indexesOf(c: Collection): IndexSpec[] {
  const out: IndexSpec[] = [];
  for (const f of c.fields) {
    if (!hasColumn(f)) continue;
    if (f.unique) out.push({ collection: c.name, columns: [f.name], unique: true });
    else if (f.indexed || f.type === 'relation') out.push({ collection: c.name, columns: [f.name], unique: false });
  }
  for (const ix of c.indexes) out.push({ collection: c.name, columns: [...ix.fields], unique: ix.unique, ...(c.type === 'document' ? { json: true } : {}) });
  return out;
}

const ixKey = (i: IndexSpec) => `${i.collection}|${i.columns.join(',')}|${i.unique}`;

/** Fields whose column definition (type or relation) differs. */
function columnChanged(a: Field, b: Field): boolean {
  return a.type !== b.type || Boolean(a.encrypted) !== Boolean(b.encrypted) || a.collection !== b.collection || a.multiple !== b.multiple || a.onDelete !== b.onDelete || (a.maxLength ?? 0) < (b.maxLength ?? 0);
}

/**
 * Steps that turn `current` into `declared`, ordered so that indexes and references
 * go before what they depend on and come back after.
 */
export function planMigration(current: readonly Collection[], declared: readonly Collection[]): MigrationStep[] {
  const cur = new Map(current.map((c) => [c.name, c]));
  const want = new Map(declared.map((c) => [c.name, c]));
  const drops: MigrationStep[] = [];
  const fieldDrops: MigrationStep[] = [];
  const collDrops: MigrationStep[] = [];
  const creates: MigrationStep[] = [];
  const adds: MigrationStep[] = [];
  const alters: MigrationStep[] = [];
  const ixAdds: MigrationStep[] = [];

  const curIx = new Map(current.flatMap(indexesOf).map((i) => [ixKey(i), i]));
  const wantIx = new Map(declared.flatMap(indexesOf).map((i) => [ixKey(i), i]));

  for (const c of current) if (!want.has(c.name)) collDrops.push({ kind: 'dropCollection', collection: c });
  for (const c of declared) {
    const old = cur.get(c.name);
    if (!old || old.type !== c.type) {
      if (old) collDrops.push({ kind: 'dropCollection', collection: old });
      creates.push({ kind: 'createCollection', collection: c });
      for (const f of c.fields) if (f.type === 'relation') adds.push({ kind: 'addField', collection: c.name, field: f });
      continue;
    }
    for (const f of old.fields) {
      if (!c.fields.some((x) => x.name === f.name)) fieldDrops.push({ kind: 'dropField', collection: c.name, field: f });
    }
    for (const f of c.fields) {
      const was = old.fields.find((x) => x.name === f.name);
      if (!was) adds.push({ kind: 'addField', collection: c.name, field: f });
      else if (columnChanged(was, f)) alters.push({ kind: 'alterField', collection: c.name, from: was, to: f });
    }
  }
  const recreated = new Set(creates.map((s) => (s.kind === 'createCollection' ? s.collection.name : '')));
  const replaced = new Set(
    alters.filter((s) => s.kind === 'alterField' && isDestructive(s)).map((s) => (s.kind === 'alterField' ? `${s.collection}|${s.to.name}` : '')),
  );
  const touches = (i: IndexSpec) => recreated.has(i.collection) || i.columns.some((col) => replaced.has(`${i.collection}|${col}`));
  for (const [k, i] of curIx) {
    if (!want.has(i.collection) || recreated.has(i.collection)) continue; // dropped with the table
    if (!wantIx.has(k) || touches(i)) drops.push({ kind: 'dropIndex', index: i });
    else if (i.columns.some((col) => fieldDrops.some((s) => s.kind === 'dropField' && s.collection === i.collection && s.field.name === col))) {
      drops.push({ kind: 'dropIndex', index: i });
    }
  }
  for (const [k, i] of wantIx) if (!curIx.has(k) || touches(i)) ixAdds.push({ kind: 'addIndex', index: i });
  // full-text structures are rebuilt when their field list or any of their fields changes
  for (const c of declared) {
    const old = cur.get(c.name);
    if (!old || recreated.has(c.name)) {
      if (c.fullText.length > 0) ixAdds.push({ kind: 'addFullText', collection: c });
      continue;
    }
    const touched = [...fieldDrops, ...alters].some((s) => (s.kind === 'dropField' || s.kind === 'alterField') && s.collection === c.name && old.fullText.includes(s.kind === 'dropField' ? s.field.name : s.to.name));
    if (JSON.stringify(old.fullText) !== JSON.stringify(c.fullText) || touched) {
      if (old.fullText.length > 0) drops.push({ kind: 'dropFullText', collection: old });
      if (c.fullText.length > 0) ixAdds.push({ kind: 'addFullText', collection: c });
    }
  }
  return [...drops, ...fieldDrops, ...collDrops, ...creates, ...adds, ...alters, ...ixAdds];
}
