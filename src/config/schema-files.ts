// Config section for uploaded files (`files:`): where they are stored, upload limits, downloads.
import { Type } from '@sinclair/typebox';

export const FilesSchema = Type.Object(
  {
    storage: Type.Union([Type.Literal('local'), Type.Literal('s3')], { default: 'local', description: 'Where file fields keep their files: `local` (a folder, default) or `s3` (an S3-compatible bucket).' }),
    dir: Type.String({ default: '', description: 'Folder of `local` storage (default `<dataDir>/files`).' }),
    s3: Type.Object(
      {
        bucket: Type.String({ default: '', description: 'Bucket of `s3` storage (required with storage: s3).' }),
        prefix: Type.String({ default: '', description: 'Key prefix inside the bucket (`strata/files`).' }),
        endpoint: Type.String({ default: '', description: 'Endpoint of a self-hosted S3 (`http://127.0.0.1:9000`); empty for AWS.' }),
        region: Type.String({ default: '', description: 'Region (default us-east-1).' }),
        forcePathStyle: Type.Boolean({ default: true, description: 'Path-style URLs (`endpoint/bucket/key`), as most self-hosted S3 servers need.' }),
        accessKeyId: Type.String({ default: '', description: 'Access key id; empty = the AWS SDK default chain.' }),
        secretAccessKey: Type.String({ default: '', description: 'Secret access key (prefer the environment: STRATA_FILES_S3_SECRET_ACCESS_KEY or the SDK chain).' }),
      },
      { default: {}, additionalProperties: false },
    ),
    maxFilesPerRequest: Type.Integer({ minimum: 1, maximum: 10_000, default: 100, description: 'Most file parts in one multipart request (400 above).' }),
    tokenTtl: Type.Integer({ minimum: 10, maximum: 86_400, default: 120, description: 'Seconds a file token (POST /api/files/token) stays valid.' }),
    tokenKeyFile: Type.String({ default: '', description: 'File holding the key that signs file tokens (default `<dataDir>/file-token.key`, made on first start); instances that share records must share it.' }),
    inlineTypes: Type.Array(Type.String(), { default: [], description: 'Active types (text/html, image/svg+xml, XML, scripts) served inline as themselves; by default they download as application/octet-stream attachments.' }),
    sweepInterval: Type.Integer({ minimum: 0, maximum: 604_800, default: 3600, description: 'Seconds between sweeps that delete stored files no record references (also once at start); 0 = never.' }),
    quotas: Type.Array(
      Type.Object(
        {
          collection: Type.String({ minLength: 1, description: 'The collection whose files the quota counts.' }),
          maxBytes: Type.Integer({ minimum: 0, default: 0, description: 'Most bytes of all its files together (thumbnails not counted); 0 = no limit. Past it: 413 strata/file-quota.' }),
          maxFiles: Type.Integer({ minimum: 0, default: 0, description: 'Most files its records hold together; 0 = no limit. Past it: 409 strata/file-quota.' }),
        },
        { additionalProperties: false },
      ),
      { default: [], description: 'Per-collection quotas of file storage, counted in the database (shared by the instances that share it), reconciled with storage by the sweep.' },
    ),
    uploadTtl: Type.Integer({ minimum: 1, maximum: 2_592_000, default: 86_400, description: 'Seconds a resumable (tus) upload may take from its creation; the sweep deletes staged uploads older than this.' }),
    sweepGrace: Type.Integer({ minimum: 0, maximum: 604_800, default: 3600, description: 'A sweep leaves files younger than this many seconds (uploads whose record is still being written).' }),
  },
  { default: {}, additionalProperties: false },
);
