// The whole configuration schema: one TypeBox object with a default for every
// key. Each capability's section lives in its own schema-<capability>.ts.
import { Type, type Static } from '@sinclair/typebox';
import { HeadersSchema, LogSchema, MetricsSchema, ServerSchema } from './schema-server.js';
import { CollectionsSchema, DataSchema } from './schema-data.js';
import { CacheSchema } from './schema-cache.js';
import { MessagingSchema } from './schema-messaging.js';
import { WafSchema } from './schema-waf.js';
import { GatewaySchema } from './schema-gateway.js';
import { AuthSchema } from './schema-auth.js';
import { RealtimeSchema } from './schema-realtime.js';
import { RpcSchema } from './schema-rpc.js';
import { FunctionsSchema } from './schema-functions.js';
import { EnginesSchema } from './schema-engines.js';
import { BackupSchema } from './schema-backup.js';
import { FilesSchema } from './schema-files.js';

export const ConfigSchema = Type.Object(
  {
    dataDir: Type.String({ default: './strata-data', minLength: 1, description: 'Directory for the database, keys and certificates; created on start.' }),
    server: ServerSchema,
    headers: HeadersSchema,
    log: LogSchema,
    metrics: MetricsSchema,
    engines: EnginesSchema,
    data: DataSchema,
    collections: CollectionsSchema,
    cache: CacheSchema,
    messaging: MessagingSchema,
    waf: WafSchema,
    gateway: GatewaySchema,
    auth: AuthSchema,
    realtime: RealtimeSchema,
    rpc: RpcSchema,
    functions: FunctionsSchema,
    backup: BackupSchema,
    files: FilesSchema,
  },
  { $id: 'https://strata.dev/schema/config.json', title: 'Strata configuration', additionalProperties: false, default: {} },
);

export type StrataConfig = Static<typeof ConfigSchema>;
