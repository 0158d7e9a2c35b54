/** @module Data: declared collections on SQLite, PostgreSQL or MySQL, migrations, the filter language and the records service. */
export { createDataLayer, recordEventRelay, type DataLayer, type DataLayerOptions } from './data-layer.js';
export { eventRelay, type EventRelay, type EventRelayOptions, type EventPublisher } from './event-relay.js';
export { outboxFeed, ensureOutbox, dropOutbox, pruneOutbox, writeOutbox, type OutboxContext } from './event-outbox.js';
export { normalizeCollections, withSystemCollections, fieldOf, hasColumn, SYSTEM_FIELDS, SUPERUSERS_COLLECTION, AUTH_FIELDS, type Rules, type AuthOptions, type Collection, type Field, type FieldType, type CompositeIndex, type OnDelete } from './collection-model.js';
export { FILE_NAME, fileNamesOf, isFileField } from './file-field.js';
export { FILE_MAX_SIZE, type FileOptions } from './collection-model.js';
export type { Db, SqlDialect, DialectName } from './dialects/dialect.js';
export { openDatabase, dialectFor } from './database-open.js';
export { tableNames, type TableNames } from './table-names.js';
export { assignFieldNumbers, loadFieldNumbers, fieldKind, FIRST_FIELD_NUMBER, type FieldNumbering } from './field-numbers.js';
export { migrateCommand, type MigrateCommandOptions } from './migrate-command.js';
export { migrate, dropAll, type MigrateOptions, type MigrationResult } from './migration-run.js';
export { planMigration, describeStep, isDestructive, type MigrationStep } from './migration-plan.js';
export { parseFilter, hasMacros, type FilterNode } from './filter-parse.js';
export { compileFilter, type FilterContext, type Variables, type VariableValue, type ValueType } from './filter-compile.js';
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
  type RecordEventSink,
  type PendingRecordEvent,
  type RecordHooks,
} from './record-service.js';
export type { RecordData } from './record-row.js';
export type { AggregateQuery, AggregateRow } from './record-aggregate.js';
export { newRecordId, ID_PATTERN } from './record-id.js';
export { PreconditionFailedError, DestructiveMigrationError, UniqueConflictError, QueryParamError, EventsGoneError, ReadOnlyCollectionError } from './errors.js';
export { fullTextFor } from './full-text.js';
export { aadOf, checkFieldKeys, FieldEncryptionError, SEALED_PREFIX, ENCRYPTABLE, type ValueCipher } from './field-cipher.js';
export { createCollectionAdmin, type CollectionAdmin, type CollectionChange, type CollectionEntry, type ChangeResult } from './admin-collections.js';
export { storedCollections, schemaVersion } from './admin-collection-store.js';
export { existingTables } from './table-list.js';
export { sqlFileUsageStore, fileUsageTables, type FileUsageStore, type FileUsage, type FileUsageLimits, type FileAdmission } from './file-usage-store.js';
export { sqlWafExclusionStore, wafExclusionTable, type WafExclusionStore, type StoredWafExclusion } from './waf-exclusion-store.js';
export { createAccessControl, scopeAllows, type AccessRulesDeps, type AccessControl } from './access/access-rules.js';
export { createRecordAccess, type RecordAccess, type RecordAccessDeps, type RecordSubscription, type ReadOptions, type WriteOptions } from './access/record-access.js';
export { createAccounts, type Accounts, type Account, type Credentials, type AccountsDeps } from './auth-tables/accounts.js';
export { openAuditStore, sqlAuthStorage, type SqlAuthStorageOptions } from './auth-tables/auth-storage-sql.js';
export { openFieldRotation, type FieldRotationSource, type FieldRotationOptions, type EncryptedRows } from './field-rotation.js';
/** The tagged template for raw parameterized SQL on `Db` (user functions' `ctx.db`): values are bound, never spliced. */
export { sql } from 'kysely';
export { backupSqliteFile, countSqliteFile, dumpMysql, dumpPostgres, restoreMysql, restorePostgres, scratchMysql, scratchPostgres, sqliteFilesIn, BackupEngineError, type TableCounts } from './backup-snapshot.js';
