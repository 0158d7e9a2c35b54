// Config sections for the foundation: listeners, limits, headers, logs, metrics.
import { Type } from '@sinclair/typebox';

const Port = Type.Integer({ minimum: 0, maximum: 65535 });
const Millis = (def: number, description: string) =>
  Type.Integer({ minimum: 0, maximum: 86_400_000, default: def, description });

export const ServerSchema = Type.Object(
  {
    http: Type.Object(
      {
        enabled: Type.Boolean({ default: true, description: 'Serve plain HTTP/1.1.' }),
        host: Type.String({ default: '127.0.0.1', minLength: 1, description: 'Address to bind; `0.0.0.0` for all IPv4, `::` for all IPv4+IPv6.' }),
        port: { ...Port, default: 8080, description: 'Port for plain HTTP (0 picks a free port).' },
        h2c: Type.Boolean({ default: false, description: 'Also accept cleartext HTTP/2 with prior knowledge (h2c) on the plain port, e.g. for gRPC clients without TLS.' }),
      },
      { default: {}, additionalProperties: false },
    ),
    https: Type.Object(
      {
        enabled: Type.Boolean({ default: true, description: 'Serve HTTPS with HTTP/2 (ALPN h2, falling back to HTTP/1.1).' }),
        host: Type.String({ default: '127.0.0.1', minLength: 1, description: 'Address to bind for HTTPS.' }),
        port: { ...Port, default: 8443, description: 'Port for HTTPS (0 picks a free port).' },
        http2: Type.Boolean({ default: true, description: 'Offer HTTP/2 through ALPN.' }),
        cert: Type.String({ default: '', description: 'PEM certificate chain path; empty uses the development certificate in the data directory.' }),
        key: Type.String({ default: '', description: 'PEM private key path; empty uses the development key.' }),
        watch: Type.Boolean({ default: true, description: 'Reload certificate and key when the files change (SIGHUP always reloads).' }),
      },
      { default: {}, additionalProperties: false },
    ),
    redirectToHttps: Type.Boolean({ default: false, description: 'Answer every plain-HTTP request with a 308 redirect to HTTPS.' }),
    trustProxy: Type.Union([Type.Boolean(), Type.Integer({ minimum: 1 }), Type.String({ minLength: 1 })], {
      default: false,
      description: 'Whom to trust for X-Forwarded-*: false, true, a hop count, or comma-separated addresses/CIDRs.',
    }),
    bodyLimit: Type.Integer({ minimum: 1, default: 1_048_576, description: 'Largest request body accepted, in bytes (413 above).' }),
    maxHeaderSize: Type.Integer({ minimum: 1024, maximum: 1_048_576, default: 16_384, description: 'Largest request header block, in bytes (431 above).' }),
    headersTimeout: Millis(10_000, 'Time a client has to send the complete request headers (slowloris defence).'),
    requestTimeout: Millis(30_000, 'Time a client has to send the complete request.'),
    keepAliveTimeout: Millis(5_000, 'Idle time before a keep-alive connection is closed.'),
    idleTimeout: Millis(120_000, 'Idle time before an HTTP/2 session or TLS socket is closed.'),
    shutdownGrace: Millis(10_000, 'On SIGTERM, how long in-flight requests may take before connections are cut.'),
    cors: Type.Object(
      {
        origins: Type.Array(Type.String({ minLength: 1, maxLength: 512 }), {
          default: [],
          description: 'Origins (scheme://host[:port]) whose browser pages may call the API cross-origin; `*` = any origin (then never with credentials). Empty: CORS off.',
        }),
        credentials: Type.Boolean({ default: false, description: 'Send Access-Control-Allow-Credentials: true to listed origins (cookies and Authorization from the page).' }),
        exposedHeaders: Type.Array(Type.String({ pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" }), {
          default: ['ETag', 'Location', 'X-Request-Id', 'RateLimit', 'RateLimit-Policy', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Retry-After', 'Grpc-Status', 'Grpc-Message', 'Grpc-Status-Details-Bin'],
          description: 'Response headers a cross-origin page may read (Access-Control-Expose-Headers).',
        }),
        maxAge: Type.Integer({ minimum: 0, maximum: 86_400, default: 600, description: 'Seconds a browser may cache a preflight answer (Access-Control-Max-Age).' }),
      },
      { default: {}, additionalProperties: false },
    ),
    workers: Type.Union([Type.Integer({ minimum: 1, maximum: 256 }), Type.Literal('auto')], {
      default: 1,
      description: 'Worker processes sharing the ports (node:cluster); `auto` = number of cores.',
    }),
  },
  { default: {}, additionalProperties: false },
);

export const HeadersSchema = Type.Object(
  {
    hsts: Type.Object(
      {
        enabled: Type.Boolean({ default: true, description: 'Send Strict-Transport-Security on HTTPS responses.' }),
        maxAge: Type.Integer({ minimum: 0, default: 31_536_000, description: 'HSTS max-age in seconds.' }),
        includeSubDomains: Type.Boolean({ default: true, description: 'HSTS includeSubDomains.' }),
        preload: Type.Boolean({ default: false, description: 'HSTS preload.' }),
      },
      { default: {}, additionalProperties: false },
    ),
    contentTypeOptions: Type.Boolean({ default: true, description: 'Send `X-Content-Type-Options: nosniff`.' }),
    referrerPolicy: Type.String({ default: 'strict-origin-when-cross-origin', description: 'Referrer-Policy value; empty to omit.' }),
    frameOptions: Type.Union([Type.Literal('DENY'), Type.Literal('SAMEORIGIN'), Type.Literal('off')], {
      default: 'DENY',
      description: 'X-Frame-Options value, or `off`.',
    }),
    contentSecurityPolicy: Type.String({ default: "frame-ancestors 'none'", description: 'Content-Security-Policy value; empty to omit.' }),
    extra: Type.Record(Type.String({ pattern: '^[A-Za-z0-9-]+$' }), Type.String(), {
      default: {},
      description: 'More headers added to every response (name: value).',
    }),
  },
  { default: {}, additionalProperties: false },
);

export const LogSchema = Type.Object(
  {
    level: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
      { default: 'info', description: 'Lowest level written.' },
    ),
    access: Type.Boolean({ default: true, description: 'One access log line per request (method, path, status, duration, request id).' }),
    recent: Type.Integer({ minimum: 0, maximum: 100_000, default: 1000, description: 'Access lines each process keeps in memory for the admin log viewer (`GET /api/admin/logs/access`); 0 = none. Kept even when `log.access` is off.' }),
  },
  { default: {}, additionalProperties: false },
);

export const MetricsSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Expose Prometheus metrics.' }),
    path: Type.String({ default: '/metrics', pattern: '^/', description: 'Path of the metrics endpoint.' }),
  },
  { default: {}, additionalProperties: false },
);
