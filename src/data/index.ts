/** @module Data: declared collections on SQLite, PostgreSQL or MySQL, migrations, the filter language and the records service. */
export { createDataLayer, type DataLayer, type DataLayerOptions } from './data-layer.js';
export { normalizeCollections, SYSTEM_FIELDS, type Collection, type Field, type FieldType, type CompositeIndex, type OnDelete } from './collection-model.js';
export type { Db, SqlDialect, DialectName } from './dialects/dialect.js';
export { openDatabase, dialectFor } from './database-open.js';
export { tableNames, type TableNames } from './table-names.js';
export { migrateCommand, type MigrateCommandOptions } from './migrate-command.js';
export { migrate, dropAll, type MigrateOptions, type MigrationResult } from './migration-run.js';
export { planMigration, describeStep, isDestructive, type MigrationStep } from './migration-plan.js';
export { parseFilter, type FilterNode } from './filter-parse.js';
export { compileFilter, type FilterContext } from './filter-compile.js';
export {
  createRecordsService,
  type RecordsService,
  type RecordsServiceOptions,
  type ListQuery,
  type ListResult,
  type StoredRecord,
  type OperationOptions,
  type BatchOperation,
  type BatchResult,
  type RecordHooks,
} from './record-service.js';
export type { RecordData } from './record-row.js';
export type { AggregateQuery, AggregateRow } from './record-aggregate.js';
export { newRecordId, ID_PATTERN } from './record-id.js';
export { PreconditionFailedError, DestructiveMigrationError, UniqueConflictError, QueryParamError } from './errors.js';
export { fullTextFor } from './full-text.js';
