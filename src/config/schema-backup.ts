// Config section for backups (`backup:`): where archives go and how they are encrypted.
import { Type } from '@sinclair/typebox';

export const BackupSchema = Type.Object(
  {
    dir: Type.String({ default: '', description: 'Folder `strata backup` writes archives to (default `<dataDir>/backups`; put it on another disk or mount).' }),
    keyFile: Type.String({
      default: '',
      description: 'File holding the 32-byte backup key in base64 (`openssl rand -base64 32`). Without it, `strata backup` takes a passphrase from `STRATA_BACKUP_PASSPHRASE` or `--passphrase-stdin`.',
    }),
    configFile: Type.String({ default: '', description: 'Config file archived with scheduled and admin-API backups (the CLI archives the one it loaded).' }),
    schedule: Type.String({
      default: '',
      description: 'Cron pattern for backups taken by the running server (`0 3 * * *` = 03:00 every day; six fields for seconds); empty = none. Once per tick across instances sharing the cron lock. Needs `keyFile` or `STRATA_BACKUP_PASSPHRASE` (start-up fails without).',
    }),
    s3: Type.Object(
      {
        bucket: Type.String({ default: '', description: 'Upload archives to this S3 bucket (AWS S3 or any S3-compatible store); empty = keep them in `dir`. `dir` is then only where an archive is written before its upload.' }),
        prefix: Type.String({ default: '', description: 'Key prefix inside the bucket (`strata/backups`).' }),
        endpoint: Type.String({ default: '', description: 'Endpoint of a self-hosted S3 (`http://127.0.0.1:9000`); empty for AWS.' }),
        region: Type.String({ default: '', description: 'Region (default us-east-1).' }),
        forcePathStyle: Type.Boolean({ default: true, description: 'Path-style URLs (`endpoint/bucket/key`), as most self-hosted S3 servers need.' }),
        accessKeyId: Type.String({ default: '', description: 'Access key id; empty = the AWS SDK default chain (AWS_ACCESS_KEY_ID..., profiles, instance roles).' }),
        secretAccessKey: Type.String({ default: '', description: 'Secret access key (prefer the environment: STRATA_BACKUP_S3_SECRET_ACCESS_KEY or the SDK chain).' }),
      },
      { default: {}, additionalProperties: false },
    ),
    keep: Type.Object(
      {
        daily: Type.Integer({ minimum: 0, maximum: 3650, default: 7, description: 'Keep the newest archive of each of the last N days (UTC).' }),
        weekly: Type.Integer({ minimum: 0, maximum: 520, default: 4, description: 'Keep the newest archive of each of the last N ISO weeks.' }),
        monthly: Type.Integer({ minimum: 0, maximum: 1200, default: 6, description: 'Keep the newest archive of each of the last N months. The newest archive is always kept; after each successful backup the others in `dir` are deleted.' }),
      },
      { default: {}, additionalProperties: false },
    ),
  },
  { default: {}, additionalProperties: false },
);
