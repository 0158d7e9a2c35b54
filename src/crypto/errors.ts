// Field-encryption error types, mapped to RFC 9457 problems at the edge. Details never say which key failed.
import { StrataError } from '../core/index.js';

/** Field encryption failed: wrong key, unknown key id or tampered value. Never says which. */
export class DecryptionError extends StrataError {
  constructor(detail = 'An encrypted value could not be decrypted.') {
    super(500, 'strata/decryption-failed', 'Decryption Failed', detail);
    this.name = 'DecryptionError';
  }
}
