/** @module Field encryption at rest (AES-256-GCM): the one cipher, its key file and rotation, and the secret files kept beside it. */
export { DecryptionError } from './errors.js';
export { createFieldCipher, loadFieldCipher, type FieldCipher } from './field-crypto.js';
export { loadFieldKeys, rotateFieldKeyFile } from './field-keys.js';
export { reencryptRows, type EncryptedRow } from './field-rotate.js';
export { fieldKeyFile, keyDirectory } from './key-paths.js';
export { loadOrCreateSecret } from './secret-file.js';
export { ArchiveCipherError, archiveKey, decryptFrames, encryptFrames, headerDigest, newArchiveKey, type CipherHeader, type KeySource } from './archive-cipher.js';
