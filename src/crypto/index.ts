/** @module Field encryption at rest (AES-256-GCM), its key files and their rotation, and secret files kept beside them. */
export { DecryptionError } from './errors.js';
export { createFieldCipher, loadFieldCipher, ENCRYPTED_PREFIX, type FieldCipher } from './field-crypto.js';
export { loadFieldKeys, parseKeyEnv, rotateFieldKeyFile, type FieldKeySet } from './field-keys.js';
export { reencryptRows, type EncryptedRow } from './field-rotate.js';
export { fieldKeyFile, keyDirectory, type KeyPathConfig } from './key-paths.js';
export { loadOrCreateSecret } from './secret-file.js';
