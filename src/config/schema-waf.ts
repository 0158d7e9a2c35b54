// Config section for the web application firewall, rate limits and IP rules (`waf:`).
import { Type } from '@sinclair/typebox';
import { BODY_MEDIA_TYPES } from '../formats/index.js';

const Names = (def: string[], description: string) => Type.Array(Type.String({ minLength: 1 }), { default: def, description });

export const WafExclusionSchema = Type.Object(
  {
    route: Type.String({ default: '', description: 'Fastify route pattern (`/api/posts/:id`) or a path prefix ending in `*`; empty = every route.' }),
    methods: Names([], 'HTTP methods this exclusion applies to; empty = all.'),
    parameter: Type.String({ default: '', description: '`<location>:<name>` (query, body, header, cookie, path, filename; `*` suffix = prefix) or a bare name; empty = the whole request.' }),
    detectors: Names([], 'Families (CRS: sqli, xss, lfi, rfi, rce, php, nodejs, java, session-fixation, protocol, protocol-attack, multipart, method, scanner) or legacy detectors to skip; empty = all.'),
    rules: Names([], 'Rule ids to skip (CRS ids such as `942100`; legacy names such as `sqli-comment`); empty = every rule of the chosen families.'),
    collection: Type.String({ default: '', description: 'A collection: the exclusion applies to the values of its records\' fields on every records route (REST, /api/batch, Connect/gRPC-Web JSON); empty = not field-bound.' }),
    field: Type.String({ default: '', description: 'A field of `collection` (e.g. `content`, a Markdown field); empty = every field of the collection.' }),
  },
  { additionalProperties: false },
);

export const RateLimitRuleSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_.-]+$', description: 'Policy name, shown in the RateLimit-Policy header and metrics.' }),
    by: Type.Union([Type.Literal('ip'), Type.Literal('user'), Type.Literal('apiKey'), Type.Literal('route')], { default: 'ip', description: 'What a bucket is keyed by: client IP, authenticated user, API key, or route (shared by everyone).' }),
    algorithm: Type.Union([Type.Literal('token-bucket'), Type.Literal('sliding-window')], { default: 'sliding-window', description: 'Token bucket (bursty, refills steadily) or sliding window (weighted two-window counter).' }),
    limit: Type.Integer({ minimum: 1, description: 'Requests allowed per window (token bucket: bucket capacity).' }),
    windowSeconds: Type.Integer({ minimum: 1, maximum: 86_400, default: 60, description: 'Window length (token bucket: time to refill the whole bucket).' }),
    routes: Names([], 'Path prefixes (ending in `*`) or exact paths this limit applies to; empty = every route.'),
    methods: Names([], 'Methods this limit applies to; empty = all.'),
  },
  { additionalProperties: false },
);

export const WafSchema = Type.Object(
  {
    mode: Type.Union([Type.Literal('off'), Type.Literal('detect'), Type.Literal('block')], { default: 'block', description: 'off: no inspection; detect: log and count only; block: answer 403 when the anomaly score reaches the threshold.' }),
    paranoia: Type.Integer({ minimum: 1, maximum: 4, default: 1, description: 'Paranoia level 1-4: higher levels enable stricter rules (more detections, more false positives).' }),
    threshold: Type.Integer({ minimum: 1, maximum: 1000, default: 5, description: 'Inbound anomaly score at which a request is blocked (critical=5, error=4, warning=3, notice=2).' }),
    engine: Type.Union([Type.Literal('crs'), Type.Literal('legacy')], { default: 'crs', description: 'crs (default): the OWASP Core Rule Set 3.3.4 (vendored) on Strata\'s SecLang engine, with the Strata-aware layer and Strata\'s tokenizers beside it (on Strata\'s corpora it detects at least what legacy does, with no more false positives at PL1; see docs/waf.md); legacy: the hand-written detectors alone.' }),
    detectors: Names(['method', 'scanner', 'protocol', 'protocol-attack', 'multipart', 'lfi', 'rfi', 'rce', 'php', 'nodejs', 'xss', 'sqli', 'session-fixation', 'java'],
      'Families to run: CRS families for `engine: crs` (the legacy names traversal, command, code, template, ssrf, protocol are accepted as aliases); detector names for `engine: legacy`.'),
    cacheSize: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 10_000, description: 'Distinct values (up to 512 chars) whose inspection results are memoized (User-Agent, cookies, common query values); 0 disables.' }),
    exclusions: Type.Array(WafExclusionSchema, { default: [], description: 'Detectors/rules to skip per route, method and parameter.' }),
    limits: Type.Object(
      {
        // Never below what the API accepts: a full batch (data.maxBatch = 100) of records with up to 100 fields each.
        maxArgs: Type.Integer({ minimum: 1, default: 10_000, description: 'Most query + body arguments before a protocol anomaly (the default lets a full `/api/batch` of `data.maxBatch` records with 100 fields each through).' }),
        maxArgNameLength: Type.Integer({ minimum: 1, default: 256, description: 'Longest argument name.' }),
        maxArgLength: Type.Integer({ minimum: 1, default: 65_536, description: 'Longest single argument value.' }),
        maxTotalArgLength: Type.Integer({ minimum: 1, default: 1_048_576, description: 'Largest total of argument names and values.' }),
        maxHeaders: Type.Integer({ minimum: 1, default: 100, description: 'Most request headers.' }),
        maxHeaderLength: Type.Integer({ minimum: 1, default: 8192, description: 'Longest single header value.' }),
        maxDecodePasses: Type.Integer({ minimum: 1, maximum: 8, default: 3, description: 'How many times URL decoding is repeated (catches double/triple encoding).' }),
        maxBodyDepth: Type.Integer({ minimum: 1, maximum: 1024, default: 64, description: 'Deepest JSON/XML/MessagePack nesting inspected; a body nested deeper is itself a critical protocol anomaly (`body-depth`).' }),
        maxBodyParts: Type.Integer({ minimum: 1, default: 20_000, description: 'Most body values inspected (more is a protocol anomaly).' }),
        maxBodyBytes: Type.Integer({ minimum: 1, default: 1_048_576, description: 'Bodies the WAF reads itself (proxied, static and redirect routes) are buffered and inspected up to this many bytes before they are forwarded; Strata\'s own routes read at most `server.bodyLimit`.' }),
        bodyOverflow: Type.Union([Type.Literal('reject'), Type.Literal('partial')], { default: 'reject', description: 'A body the WAF reads itself that is larger than `maxBodyBytes`: `reject` answers 413 (block mode); `partial` inspects the first `maxBodyBytes` and streams the rest uninspected (detect mode always does this).' }),
        allowedMethods: Names(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], 'Methods accepted; others are a protocol anomaly.'),
        allowedContentTypes: Names(
          // The formats' registry (src/formats/media-types.ts) plus forms, text and any +json/+xml type.
          [...new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain', '*+json', '*+xml', 'application/octet-stream', ...BODY_MEDIA_TYPES])],
          'Request media types accepted (`*+json` = any +json suffix, `type/*` = any subtype).',
        ),
      },
      { default: {}, additionalProperties: false },
    ),
    events: Type.Object(
      { size: Type.Integer({ minimum: 0, maximum: 100_000, default: 1000, description: 'Detections kept in memory for the superuser events API (oldest dropped).' }) },
      { default: {}, additionalProperties: false },
    ),
    rateLimit: Type.Object(
      {
        store: Type.Union([Type.Literal('memory'), Type.Literal('redis')], { default: 'memory', description: 'Where counters live: memory (one instance) or redis (one limit across instances).' }),
        prefix: Type.String({ default: 'strata:rl:', description: 'Redis key prefix.' }),
        headers: Type.Boolean({ default: true, description: 'Send RateLimit-Policy and RateLimit headers (IETF draft) on limited routes.' }),
        rules: Type.Array(RateLimitRuleSchema, { default: [], description: 'Rate limits; a request must pass all that apply.' }),
      },
      { default: {}, additionalProperties: false },
    ),
    ip: Type.Object(
      {
        allow: Names([], 'If non-empty, only these addresses/CIDRs (IPv4 or IPv6) may connect; the client address honours server.trustProxy.'),
        deny: Names([], 'Addresses/CIDRs refused with 403.'),
        bypass: Names([], 'Addresses/CIDRs exempt from WAF inspection and rate limits (e.g. health checkers).'),
        maxConnectionsPerIp: Type.Integer({ minimum: 0, default: 0, description: 'Most simultaneous TCP connections per peer address; 0 = unlimited.' }),
      },
      { default: {}, additionalProperties: false },
    ),
  },
  { default: {}, additionalProperties: false },
);
