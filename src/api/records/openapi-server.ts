// OpenAPI 3.1 path items for the server's routes outside the records API: the superuser admin API (and its
// legacy aliases), health, metrics, JWKS, realtime, the first-superuser setup page and schema downloads.
import type { Collection } from '../../data/index.js';
import { json, problem, signedIn } from './openapi-auth.js';

type Json = Record<string, unknown>;

/** Which of the server's routes are mounted (the composition root knows; absent keys: not mounted). */
export interface OpenApiSurface {
  /** `auth.sessions.cookieName`: auth routes, security schemes. */
  sessionCookie: string;
  /** The superuser admin API under /api/admin; `legacyPurgePath` as in `gateway.cache.purgePath`. */
  admin?: { legacy?: { purgePath: string } };
  /** /healthz, /readyz, and the metrics path when metrics are on. */
  ops?: { metricsPath?: string };
  /** /api/realtime (WebSocket) and /api/realtime/sse. */
  realtime?: boolean;
  /** gRPC services: /api/collections/{c}/service.proto. */
  rpc?: boolean;
  /** /api/functions.proto and /api/functions.avsc. */
  functions?: boolean;
  /** /.well-known/jwks.json and the first-superuser page /_strata/setup. */
  auth?: boolean;
  /** The admin UI: /_/ and its hashed assets. */
  adminUi?: boolean;
  /** File downloads /api/files/{collection}/{record}/{name} and POST /api/files/token. */
  files?: boolean;
}

const any = { type: 'object' };
const items = { type: 'object', properties: { items: { type: 'array', items: any } }, required: ['items'] };
const pathParam = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });
const query = (name: string, schema: Json, description: string) => ({ name, in: 'query', required: false, description, schema });
const GUARD = { '401': problem('No credentials'), '403': problem('Not a superuser, or an API key without the admin scope') };

type AdminOp = [method: string, path: string, summary: string, ok: string, errors?: Record<string, string>, extra?: Json];

function adminOps(queues: string, webhooks: string, purge: string): AdminOp[] {
  return [
    ['get', `${queues}`, 'Queues and their job counts', '200'],
    ['get', `${queues}/{name}`, 'One queue’s counts', '200', { '400': 'Invalid name', '404': 'No such queue' }],
    ['get', `${queues}/{name}/jobs`, 'Peek at jobs by state', '200', { '400': 'Invalid input', '404': 'No such queue' }, { parameters: [query('state', { enum: ['waiting', 'delayed', 'active', 'dead'], default: 'waiting' }, 'Which jobs.'), query('limit', { type: 'integer', minimum: 1, maximum: 1000 }, 'At most this many.')] }],
    ['post', `${queues}/{name}/jobs`, 'Enqueue a job (200 when the idempotency key was seen)', '201', { '400': 'Invalid input' }, { requestBody: { required: true, content: json({ type: 'object', additionalProperties: false, properties: { payload: {}, delay: { type: 'integer', minimum: 0 }, runAt: { type: 'string', format: 'date-time' }, priority: { type: 'integer', minimum: -100, maximum: 100 }, maxAttempts: { type: 'integer', minimum: 1, maximum: 1000 }, idempotencyKey: { type: 'string', minLength: 1, maxLength: 200 } } }) } }],
    ['post', `${queues}/{name}/pause`, 'Pause consumers', '204', { '400': 'Invalid name', '404': 'No such queue' }],
    ['post', `${queues}/{name}/resume`, 'Resume consumers', '204', { '400': 'Invalid name', '404': 'No such queue' }],
    ['post', `${queues}/{name}/dead/retry`, 'Move dead jobs back to waiting', '200', { '400': 'Invalid input', '404': 'No such queue' }, { requestBody: { required: true, content: json({ type: 'object', properties: { ids: { type: 'array', items: { type: 'string' } } } }) } }],
    ['post', `${queues}/{name}/dead/purge`, 'Delete dead jobs', '200', { '400': 'Invalid input', '404': 'No such queue' }, { requestBody: { required: true, content: json({ type: 'object', properties: { ids: { type: 'array', items: { type: 'string' } } } }) } }],
    ['get', `${webhooks}`, 'Webhook subscriptions (secrets hidden)', '200'],
    ['post', `${webhooks}`, 'Subscribe a URL to event topics', '201', { '400': 'Invalid input or a refused URL' }, { requestBody: { required: true, content: json({ type: 'object', required: ['topics', 'url'], properties: { topics: { type: 'string' }, url: { type: 'string', format: 'uri' }, enabled: { type: 'boolean' } } }) } }],
    ['patch', `${webhooks}/{id}`, 'Change a subscription', '200', { '400': 'Invalid input', '404': 'No such webhook' }, { requestBody: { required: true, content: json({ type: 'object', properties: { topics: { type: 'string' }, url: { type: 'string', format: 'uri' }, enabled: { type: 'boolean' } } }) } }],
    ['delete', `${webhooks}/{id}`, 'Remove a subscription', '204', { '404': 'No such webhook' }],
    ['get', `${webhooks}/{id}/deliveries`, 'Recent deliveries of a webhook', '200', { '400': 'Invalid input', '404': 'No such webhook' }, { parameters: [query('limit', { type: 'integer', minimum: 1 }, 'At most this many.')] }],
    ['post', purge, 'Purge the gateway response cache by URL, prefix or tag', '200', { '400': 'Invalid input' }, { requestBody: { required: true, content: json({ type: 'object', properties: { urls: { type: 'array', items: { type: 'string' } }, prefixes: { type: 'array', items: { type: 'string' } }, tags: { type: 'array', items: { type: 'string' } }, host: { type: 'string' } } }) } }],
  ];
}

const ADMIN_ONLY: AdminOp[] = [
  ['get', '/api/admin/collections', 'Collections (strata.yaml and API-made)', '200'],
  ['post', '/api/admin/collections', 'Create a collection', '201', { '400': 'Invalid definition', '409': 'Exists, or destructive without allowDestructive' }, { requestBody: { required: true, content: json(any) } }],
  ['get', '/api/admin/collections/{name}', 'One collection', '200', { '404': 'No such collection' }],
  ['patch', '/api/admin/collections/{name}', 'Change a collection', '200', { '400': 'Invalid definition', '404': 'No such collection', '409': 'Read-only (strata.yaml), or destructive' }, { parameters: [query('allowDestructive', { type: 'boolean' }, 'Confirm a destructive change.')], requestBody: { required: true, content: json(any) } }],
  ['delete', '/api/admin/collections/{name}', 'Drop a collection and its records', '200', { '404': 'No such collection', '409': 'Read-only, related to, or without allowDestructive' }, { parameters: [query('allowDestructive', { type: 'boolean' }, 'Confirm the drop.')] }],
  ['post', '/api/admin/collections/plan', 'Plan a change (dry run)', '200', { '400': 'Invalid input' }, { requestBody: { required: true, content: json(any) } }],
  ['get', '/api/admin/audit', 'The audit log, newest first', '200', { '400': 'Invalid input' }, { parameters: ['action', 'actor', 'since', 'until', 'cursor'].map((n) => query(n, { type: 'string' }, `Filter or page by ${n}.`)).concat([query('limit', { type: 'integer', minimum: 1, maximum: 500 }, 'Page size.')]) }],
  ['get', '/api/admin/waf/events', 'Recent WAF blocks and detections', '200', { '400': 'Invalid input' }, { parameters: [query('limit', { type: 'integer', minimum: 1 }, 'At most this many.'), query('action', { enum: ['blocked', 'detected'] }, 'Only this outcome.'), query('detector', { type: 'string' }, 'Only this detector.'), query('ip', { type: 'string' }, 'Only this client.')] }],
  ['get', '/api/admin/waf/events/{id}', 'One WAF event', '200', { '404': 'No such event' }],
  ['get', '/api/admin/waf/exclusions', 'Runtime WAF exclusions (and the read-only waf.exclusions of the config)', '200'],
  ['post', '/api/admin/waf/exclusions', 'Add a runtime WAF exclusion (applies at once, kept in the database)', '201', { '400': 'Invalid input' }, { requestBody: { required: true, content: json({ type: 'object', required: ['rules'], properties: { rules: { type: 'array', items: { type: 'string' } }, route: { type: 'string' }, methods: { type: 'array', items: { type: 'string' } }, parameter: { type: 'string' }, collection: { type: 'string' }, field: { type: 'string' }, note: { type: 'string' } } }) } }],
  ['delete', '/api/admin/waf/exclusions/{id}', 'Remove a runtime WAF exclusion', '204', { '400': 'Invalid id', '404': 'No such exclusion' }],
  ['get', '/api/admin/cache', "The application cache's hits, misses, size and evictions (per tier when tiered)", '200'],
  ['post', '/api/admin/cache/app/purge', 'Delete keys of the application cache and invalidate its tags', '200', { '400': 'Invalid input' }, { requestBody: { required: true, content: json({ type: 'object', properties: { keys: { type: 'array', items: { type: 'string' } }, tags: { type: 'array', items: { type: 'string' } } } }) } }],
  ['get', '/api/admin/cron', "The functions' cron schedules with their next run and this instance's last run", '200'],
  ['get', '/api/admin/rate-limits', 'Rate-limit buckets refusing requests now on this instance, most refusals first', '200'],
  ['get', '/api/admin/gateway/upstreams', "Each upstream pool's circuit state and each target's health", '200'],
  ['get', '/api/admin/metrics/live', 'Requests a second, p50 and p99 latency and error rate per route family (records, auth, files, rpc, realtime, gateway, admin, other) on this instance, sampled when read', '200'],
  ['get', '/api/admin/logs/access', "This instance's recent access lines (log.recent), newest first", '200', { '400': 'Invalid input' }, { parameters: [query('since', { type: 'string', format: 'date-time' }, 'Not before.'), query('until', { type: 'string', format: 'date-time' }, 'Not after.'), query('status', { type: 'string', pattern: '^([1-5][0-9][0-9]|[1-5]xx)$' }, 'A status (404) or a class (4xx).'), query('method', { type: 'string' }, 'Only this method.'), query('path', { type: 'string' }, 'Paths containing this.'), query('limit', { type: 'integer', minimum: 1, maximum: 1000 }, 'At most this many (100).')] }],
  ['get', '/api/admin/settings', 'SMTP state, the TLS certificate, field-encryption keys and rotation, the effective config with secrets masked', '200'],
  ['post', '/api/admin/settings/mail/test', 'Send one test mail through the configured SMTP server now', '200', { '400': 'Invalid address', '409': 'No SMTP server configured', '502': 'The SMTP server refused or failed' }, { requestBody: { required: true, content: json({ type: 'object', required: ['to'], properties: { to: { type: 'string', format: 'email' } } }) } }],
  ['get', '/api/admin/backups', 'Backup status, last runs and the archives in backup.dir', '200', {}],
  ['post', '/api/admin/backups', 'Start a backup now (it runs in the background)', '202', { '409': 'A backup is running, or no backup key is configured' }],
];

function adminPaths(legacy: { purgePath: string } | undefined): Record<string, Json> {
  const out: Record<string, Json> = {};
  const add = (ops: AdminOp[], deprecated: boolean) => {
    for (const [method, path, summary, ok, errors = {}, extra = {}] of ops) {
      const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const responses: Json = { [ok]: { description: 'Success', ...(ok === '204' ? {} : { content: json(any) }) }, ...GUARD };
      for (const [code, d] of Object.entries(errors)) responses[code] = problem(d);
      const parameters = [...names.map(pathParam), ...((extra.parameters as Json[] | undefined) ?? [])];
      out[path] = {
        ...(out[path] ?? {}),
        [method]: {
          operationId: `admin_${deprecated ? 'legacy_' : ''}${method}_${path.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '')}`,
          tags: ['admin'],
          summary,
          description: 'Superusers only (an API key needs the admin scope).',
          ...(deprecated ? { deprecated: true } : {}),
          ...extra,
          ...(parameters.length ? { parameters } : {}),
          security: signedIn(method, 'admin'),
          responses,
        },
      };
    }
  };
  add([...ADMIN_ONLY, ...adminOps('/api/admin/queues', '/api/admin/webhooks', '/api/admin/cache/purge')], false);
  if (legacy) add(adminOps('/api/queues', '/api/webhooks', legacy.purgePath).filter(([, path]) => legacy.purgePath !== '/api/admin/cache/purge' || path !== legacy.purgePath), true);
  return out;
}

const get = (operationId: string, summary: string, responses: Json, extra: Json = {}): Json => ({ get: { operationId, summary, security: [], ...extra, responses } });
const text = (type: string, description: string) => ({ description, content: { [type]: { schema: { type: 'string' } } } });

/** Path items of every mounted route outside the records API (auth collection routes are in openapi-auth.ts). */
export function serverPaths(collections: readonly Collection[], s: OpenApiSurface): Record<string, Json> {
  const out: Record<string, Json> = {};
  out['/api/openapi.json'] = get('openapi', 'This document', { '200': { description: 'OpenAPI 3.1', content: json(any) } }, { tags: ['schemas'] });
  if (s.admin) Object.assign(out, adminPaths(s.admin.legacy));
  if (s.ops) {
    const health = { description: 'Ready', content: json(any) };
    out['/healthz'] = get('healthz', 'Liveness', { '200': health }, { tags: ['ops'] });
    out['/readyz'] = get('readyz', 'Readiness (503 while starting or draining)', { '200': health, '503': { description: 'Not ready', content: json(any) } }, { tags: ['ops'] });
    if (s.ops.metricsPath) out[s.ops.metricsPath] = get('metrics', 'Prometheus metrics', { '200': text('text/plain', 'Prometheus text format') }, { tags: ['ops'] });
  }
  if (s.auth) {
    out['/.well-known/jwks.json'] = get('jwks', 'Public keys of access tokens (RFC 7517)', { '200': { description: 'JWK set', content: { 'application/jwk-set+json': { schema: any }, 'application/json': { schema: any } } } }, { tags: ['auth'] });
    out['/_strata/setup'] = {
      ...get('setup_page', 'First-superuser setup page (HTML; the link with its token is printed at start)', { '200': text('text/html', 'The page') }, { tags: ['setup'] }),
      post: {
        operationId: 'setup_create',
        tags: ['setup'],
        summary: 'Create the first superuser with the setup token',
        security: [],
        requestBody: { required: true, content: { ...json({ type: 'object', required: ['token', 'email', 'password'], properties: { token: { type: 'string' }, email: { type: 'string' }, password: { type: 'string' } } }), 'application/x-www-form-urlencoded': { schema: any } } },
        responses: { '201': { description: 'Created', content: json(any) }, '400': problem('Invalid input or weak password'), '401': problem('Invalid token'), '409': problem('A superuser exists') },
      },
    };
    out['/_strata/setup.js'] = get('setup_script', 'Script of the setup page', { '200': text('text/javascript', 'JavaScript') }, { tags: ['setup'] });
  }
  if (s.adminUi) {
    const ui = { tags: ['admin-ui'] };
    out['/_'] = { get: { operationId: 'admin_ui_redirect', tags: ['admin-ui'], summary: 'Redirects to /_/ (the query kept)', security: [], responses: { '301': { description: 'To /_/' } } } };
    out['/_/'] = get('admin_ui', 'The admin UI (HTML shell; everything it shows comes from the APIs here)', { '200': text('text/html', 'The page'), '304': { description: 'Not modified' } }, ui);
    out['/_/assets/{file}'] = get(
      'admin_ui_asset',
      'A content-hashed asset of the admin UI (immutable; br or gzip by Accept-Encoding)',
      { '200': { description: 'The file', content: { 'text/javascript': { schema: { type: 'string' } }, 'text/css': { schema: { type: 'string' } } } }, '304': { description: 'Not modified' }, '404': problem('No such asset') },
      { ...ui, parameters: [pathParam('file')] },
    );
  }
  if (s.realtime) {
    out['/api/realtime'] = get(
      'realtime_ws',
      'WebSocket subscriptions (JSON frames; see docs/realtime.md)',
      { '101': { description: 'Switching to WebSocket' }, '426': problem('Not a WebSocket upgrade'), '401': problem('Invalid credentials'), '403': problem('Cross-site handshake refused') },
      { tags: ['realtime'], security: [{ bearerAuth: [] }, { apiKey: [] }, { sessionCookie: [] }, {}] },
    );
    out['/api/realtime/sse'] = get(
      'realtime_sse',
      'Server-Sent Events subscriptions',
      { '200': text('text/event-stream', 'Event stream'), '400': problem('Invalid subscription'), '401': problem('Invalid credentials'), '403': problem('Refused by a view rule') },
      { tags: ['realtime'], security: [{ bearerAuth: [] }, { apiKey: [] }, { sessionCookie: [] }, {}], parameters: [query('subscribe', { type: 'string' }, 'Comma-separated subscriptions (collection, collection/id, topic).'), query('lastEventId', { type: 'string' }, 'Resume after this event (or the Last-Event-ID header).')] },
    );
  }
  if (s.rpc) {
    for (const c of collections) {
      // As the RPC plugin: auth collections take passwords through their REST flows, so they have no service.
      if (c.type !== 'base' || c.auth) continue;
      out[`/api/collections/${c.name}/service.proto`] = get(`service_proto_${c.name}`, `gRPC service of ${c.name} (.proto source; served over gRPC, gRPC-Web and Connect at /strata.${c.name}.RecordService/*)`, { '200': text('text/plain', '.proto source') }, { tags: ['schemas'] });
    }
  }
  if (s.files) {
    const anyCaller = [{ bearerAuth: [] }, { apiKey: [] }, { sessionCookie: [] }, {}];
    out['/api/files/{collection}/{record}/{filename}'] = {
      get: {
        operationId: 'file_download',
        tags: ['files'],
        summary: 'Download a file of a record (view rule; ETag, Range; see docs/files.md)',
        security: anyCaller,
        parameters: [pathParam('collection'), pathParam('record'), pathParam('filename'), query('token', { type: 'string' }, 'File token from POST /api/files/token (acts as its caller).'), query('download', { type: 'string' }, 'Present: Content-Disposition attachment.')],
        responses: { '200': { description: 'The file' }, '206': { description: 'The requested range' }, '304': { description: 'Not modified' }, '401': problem('Protected file without a signed-in caller, or a bad token'), '404': problem('No such file, or not visible to the caller'), '416': problem('Range not satisfiable') },
      },
    };
    // Resumable uploads (tus 1.0: core, creation, expiration, termination): docs/files.md.
    const tusHeaders = 'Tus-Resumable: 1.0.0 on every request but OPTIONS';
    out['/api/files/uploads'] = {
      post: {
        operationId: 'file_upload_create',
        tags: ['files'],
        summary: `Start a resumable upload into a file field (tus creation; Upload-Length, Upload-Metadata naming collection, field and record or data; the create or update rule is checked now). ${tusHeaders}`,
        security: anyCaller,
        responses: { '201': { description: 'Created; Location names the upload' }, '400': problem('Bad or missing metadata'), '401': problem('The rule needs a signed-in caller'), '403': problem('The rule refuses the caller'), '404': problem('No such collection, field or record'), '409': problem('Quota of files reached'), '412': { description: 'Tus-Resumable missing or not 1.0.0' }, '413': problem('Larger than the field or quota allows'), '429': problem('Rate limited'), default: problem('Refused') },
      },
    };
    const uploadOp = (operationId: string, summary: string, ok: Record<string, unknown>) => ({
      operationId,
      tags: ['files'],
      summary: `${summary} ${tusHeaders}`,
      security: anyCaller,
      parameters: [pathParam('id')],
      responses: { ...ok, '401': problem('Sign in as the caller who created it'), '404': problem('No such upload (or not the caller\'s)'), '412': { description: 'Tus-Resumable missing or not 1.0.0' }, default: problem('Refused') },
    });
    out['/api/files/uploads/{id}'] = {
      head: uploadOp('file_upload_offset', 'How much of an upload arrived (Upload-Offset, Upload-Length).', { '200': { description: 'Upload-Offset and Upload-Length' } }),
      patch: uploadOp('file_upload_append', 'Append bytes at Upload-Offset (application/offset+octet-stream); the last byte attaches the file to the record as the caller and answers it.', { '200': { description: 'The record, with the file attached' }, '204': { description: 'Bytes stored; Upload-Offset' }, '409': problem('Upload-Offset does not match') }),
      delete: uploadOp('file_upload_terminate', 'Abandon an upload (its bytes are deleted).', { '204': { description: 'Deleted' } }),
    };
    out['/api/files/token'] = {
      post: {
        operationId: 'file_token',
        tags: ['files'],
        summary: 'A short-lived file token for the signed-in caller',
        security: [{ bearerAuth: [] }, { apiKey: [] }, { sessionCookie: [] }],
        responses: { '200': { description: 'Token', content: json({ type: 'object', properties: { token: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' } }, required: ['token', 'expiresAt'] }) }, '401': problem('Not signed in') },
      },
    };
  }
  if (s.functions) {
    out['/api/functions.proto'] = get('functions_proto', 'Protocol Buffers messages of the function routes', { '200': text('text/plain', '.proto source') }, { tags: ['schemas'] });
    out['/api/functions.avsc'] = get('functions_avsc', 'Avro schemas of the function routes, by message name', { '200': { description: 'Avro schemas', content: json(any) } }, { tags: ['schemas'] });
  }
  return out;
}
