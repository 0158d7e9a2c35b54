// Backups: the encrypted archive (archive.ts) and the backup, verify and restore operations (backup.ts).
export { BackupError, readHeader, type Manifest, type ManifestPart, type Progress } from './archive.js';
export { compareVersions, createBackup, restoreBackup, verifyBackup, type BackupSource, type VerifyReport } from './backup.js';
export { progressWriter } from './progress.js';
export { backupService, configuredBackupKey, type BackupRun, type BackupService, type BackupServiceOptions, type BackupStatus } from './backup-service.js';
export { keepers, pruneArchives, type Keep } from './retention.js';
export { backupTarget, downloadArchive, pruneStore, storedArchives, uploadArchive, type S3Target } from './target.js';
