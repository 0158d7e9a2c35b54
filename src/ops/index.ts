/** @module Operations: structured logging, Prometheus metrics, health and readiness, the audit log. */
export { createLogger, flushLogger, REDACT_PATHS } from './logging.js';
export { createMetrics, type HttpMetrics } from './metrics.js';
export { liveMetrics, routeFamily, histogramQuantile, ROUTE_FAMILIES, type LiveMetrics, type LivePoint, type FamilyFigures, type RouteFamily } from './metrics-live.js';
export { accessRing, bothAccess, type AccessRing, type AccessLine, type AccessFilter } from './access-ring.js';
export { Readiness, type Phase, type ReadinessReport, type ReadinessCheck } from './health.js';
export { StorageFaults, type StorageFaultKind, type StorageFaultsOptions } from './storage-faults.js';
export { accessLog, type AccessLog, type AccessEntry } from './access-log.js';
export { createAuditLog, redactDetails, type AuditLog, type AuditLogOptions, type AuditStore, type AuditEntry, type AuditRecord, type AuditQuery, type AuditOutcome } from './audit/audit-log.js';
export { createBackup, restoreBackup, verifyBackup, compareVersions, progressWriter, BackupError, readHeader, backupService, configuredBackupKey, pruneArchives, backupTarget, downloadArchive, uploadArchive, type BackupSource, type VerifyReport, type Manifest, type Progress, type BackupService, type BackupStatus, type BackupRun } from './backup/index.js';
