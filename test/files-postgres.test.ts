// strata-test: tsx
// File fields on PostgreSQL with local storage and with S3-compatible storage (s3rver).
import { filesContract } from './files-contract.js';
import { startS3 } from './helpers/s3-server.js';
import { PG_URL, uniquePrefix, unreachable } from './data-helpers.js';

const skip = await unreachable(5432);
filesContract('postgres + local', () => `  url: ${PG_URL}\n  tablePrefix: ${uniquePrefix()}`, async () => ({ lines: '', done: async () => {} }), skip);
filesContract('postgres + s3', () => `  url: ${PG_URL}\n  tablePrefix: ${uniquePrefix()}`, async () => {
  const s3 = await startS3('strata-files');
  return { lines: `  storage: s3\n  s3: { bucket: ${s3.bucket}, endpoint: ${s3.endpoint}, accessKeyId: ${s3.accessKeyId}, secretAccessKey: ${s3.secretAccessKey}, prefix: files }`, done: () => s3.close() };
}, skip);
