// Errors of file uploads and downloads, mapped to problem+json by the edge like every StrataError.
import { StrataError, type FieldError } from '../../core/index.js';

/** A file above its field's maxSize (checked while it streams): 413. */
export class FileTooLargeError extends StrataError {
  constructor(field: string, max: number) {
    super(413, 'strata/file-too-large', 'File Too Large', `A file for "${field}" is larger than ${max} bytes.`, { errors: [{ field, message: `must be at most ${max} bytes` }] });
    this.name = 'FileTooLargeError';
  }
}

/** A bad upload (wrong type by content, empty file, unknown field, too many parts): 400. */
export class FileUploadError extends StrataError {
  constructor(detail: string, errors: FieldError[]) {
    super(400, 'strata/file-upload', 'Invalid Upload', detail, { errors });
    this.name = 'FileUploadError';
  }
}

/** A write that would take a collection's files past `files.quotas`: 413 for bytes, 409 for the number of files. */
export class FileQuotaError extends StrataError {
  constructor(status: 413 | 409, collection: string, what: string) {
    super(status, 'strata/file-quota', 'File Quota Exceeded', `The files of "${collection}" would pass their quota of ${what}.`);
    this.name = 'FileQuotaError';
  }
}
