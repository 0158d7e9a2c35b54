/** @module Files: uploads of file fields on the records API (multipart, streamed to blob storage), downloads with ETag/Range behind the view rule, file tokens, the orphan sweeper. */
export { filesComponent, type FilesComponent, type FilesConfig } from './files-component.js';
export { filesRoutes, type FilesRoutesDeps } from './files-routes.js';
export { recordFiles, dropRecordFiles, type RecordFiles, type FileWrite } from './record-files.js';
export { sweepFiles, type SweepResult } from './file-sweeper.js';
export { fileTokens, type FileTokens, type FileTokenGrant } from './file-token.js';
export { fileTokenGrant, grantCheck } from './file-token-grant.js';
export { FileQuotaError, FileTooLargeError, FileUploadError } from './errors.js';
export { fileQuotas, quotaUsage, type FileQuota, type FileQuotas, type QuotaCheck, type QuotaUsage } from './file-quota.js';
export { tusUploads, parseUploadMetadata, sweepStagedUploads, UPLOADS_PATH, type TusUploadsDeps } from './tus-uploads.js';
export { recordFileService, type CallerFiles, type RecordFileService, type RecordFileServiceDeps } from './record-file-service.js';
