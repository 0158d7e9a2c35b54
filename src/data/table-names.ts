// Names of the tables and indexes Strata creates, all under one configurable prefix.
import { createHash } from 'node:crypto';

export interface TableNames {
  readonly prefix: string;
  record(collection: string): string;
  /** Link table of a multiple relation. */
  link(collection: string, field: string): string;
  readonly history: string;
  /** The record-change event outbox and its one-row-per-key state (prune watermark). */
  readonly outbox: string;
  readonly outboxState: string;
  /** Stable wire numbers of declared fields (Protocol Buffers). */
  readonly fieldNumbers: string;
  /** One row rewritten by the write probe (readiness after a storage fault). */
  readonly writeProbe: string;
  /** Index/constraint name, at most 60 characters (PostgreSQL and MySQL cut at 63/64). */
  index(table: string, columns: readonly string[], unique: boolean): string;
  foreignKey(table: string, column: string): string;
}

function bounded(name: string): string {
  if (name.length <= 60) return name;
  return name.slice(0, 47) + '_' + createHash('sha256').update(name).digest('hex').slice(0, 12);
}

export function tableNames(prefix: string): TableNames {
  return {
    prefix,
    record: (c) => `${prefix}${c}`,
    link: (c, f) => `${prefix}${c}__${f}`,
    history: `${prefix}_strata_migrations`,
    outbox: `${prefix}_strata_outbox`,
    outboxState: `${prefix}_strata_outbox_state`,
    fieldNumbers: `${prefix}_strata_field_numbers`,
    writeProbe: `${prefix}_strata_write_probe`,
    index: (t, cols, unique) => bounded(`${unique ? 'ux' : 'ix'}_${t}__${cols.join('_')}`),
    foreignKey: (t, col) => bounded(`fk_${t}__${col}`),
  };
}
