// strata-test: tsx
// File fields on SQLite with local storage and with S3-compatible storage (s3rver).
import { filesContract } from './files-contract.js';
import { startS3 } from './helpers/s3-server.js';

filesContract('sqlite + local', () => '', async () => ({ lines: '', done: async () => {} }), false);
filesContract('sqlite + s3', () => '', async () => {
  const s3 = await startS3('strata-files');
  return { lines: `  storage: s3\n  s3: { bucket: ${s3.bucket}, endpoint: ${s3.endpoint}, accessKeyId: ${s3.accessKeyId}, secretAccessKey: ${s3.secretAccessKey}, prefix: files }`, done: () => s3.close() };
}, false);
