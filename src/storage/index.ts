/** @module Blob storage: one interface over the data directory and S3-compatible object stores (backups, file fields). */
export { checkKey, StorageError, StorageNotFoundError, type BlobInfo, type BlobStore, type ByteRange } from './blob-store.js';
export { localBlobStore } from './local-store.js';
export { s3BlobStore, type S3StoreOptions } from './s3-store.js';
