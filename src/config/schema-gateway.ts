// Config section for the gateway: static sites, upstream pools, routes, response cache, forward proxy.
import { Type } from '@sinclair/typebox';

const Millis = (def: number, description: string) => Type.Integer({ minimum: 0, maximum: 86_400_000, default: def, description });
const Name = Type.String({ pattern: '^[A-Za-z0-9_.-]+$', minLength: 1 });
const HeaderRules = (what: string) =>
  Type.Object(
    {
      set: Type.Record(Type.String(), Type.String(), { default: {}, description: `${what} headers replaced or created (name: value).` }),
      add: Type.Record(Type.String(), Type.String(), { default: {}, description: `${what} header values appended.` }),
      remove: Type.Array(Type.String(), { default: [], description: `${what} headers removed.` }),
    },
    { default: {}, additionalProperties: false },
  );

const SiteSchema = Type.Object(
  {
    name: { ...Name, description: 'Site name, used by routes.' },
    root: Type.String({ minLength: 1, default: './public', description: 'Directory served.' }),
    index: Type.Array(Type.String({ minLength: 1 }), { default: ['index.html'], description: 'Files tried for a directory request.' }),
    spaFallback: Type.String({ default: '', description: 'File served (200) for unknown extension-less paths, e.g. `index.html`; empty disables.' }),
    allowDotfiles: Type.Array(Type.String(), { default: ['.well-known'], description: 'Dot-names allowed in paths; `*` allows all.' }),
    cacheControl: Type.Array(
      Type.Object({ pattern: Type.String({ minLength: 1 }), value: Type.String() }, { additionalProperties: false }),
      { default: [], description: 'Cache-Control rules, first regex match on the path wins; empty uses the defaults (hashed assets immutable, HTML no-cache).' },
    ),
    defaultCacheControl: Type.String({ default: 'public, max-age=0', description: 'Cache-Control when no rule matches.' }),
    precompressed: Type.Boolean({ default: true, description: 'Serve `file.br` / `file.gz` when present and accepted.' }),
    compress: Type.Boolean({ default: true, description: 'Compress compressible types on the fly (br, gzip).' }),
    compressThreshold: Type.Integer({ minimum: 0, default: 1024, description: 'Smallest body compressed on the fly, in bytes.' }),
    statTtlMs: Millis(1000, 'How long file metadata stays cached; 0 re-checks every request.'),
    maxCachedFileBytes: Type.Integer({ minimum: 0, default: 262_144, description: 'Files up to this size are kept in memory.' }),
    memoryBytes: Type.Integer({ minimum: 0, default: 67_108_864, description: 'Memory budget for cached file bodies.' }),
  },
  { additionalProperties: false },
);

const PoolSchema = Type.Object(
  {
    name: { ...Name, description: 'Pool name, used by routes and metrics.' },
    upstreams: Type.Array(
      Type.Object({ url: Type.String({ pattern: '^https?://' }), weight: Type.Number({ minimum: 0, default: 1 }) }, { additionalProperties: false }),
      { minItems: 1, default: [], description: 'Upstream servers (`http://host:port[/base]` or `https://...`) with weights.' },
    ),
    balancer: Type.Union(
      ['round-robin', 'weighted-round-robin', 'least-connections', 'random-two-choices', 'consistent-hash'].map((n) => Type.Literal(n)),
      { default: 'round-robin', description: 'Balancing policy.' },
    ),
    hashOn: Type.String({ default: 'ip', pattern: '^(ip|header:.+|cookie:.+)$', description: 'Affinity key for consistent-hash: `ip`, `header:<name>` or `cookie:<name>`.' }),
    maxFails: Type.Integer({ minimum: 0, default: 3, description: 'Consecutive failures that eject an upstream (0 disables passive checks).' }),
    cooldownMs: Millis(10_000, 'How long an ejected upstream sits out.'),
    connections: Type.Integer({ minimum: 1, default: 128, description: 'Keep-alive connections per upstream.' }),
    connectTimeoutMs: Millis(5_000, 'Connect timeout.'),
    headersTimeoutMs: Millis(30_000, 'Time to wait for response headers.'),
    idleTimeoutMs: Millis(60_000, 'Longest silence while streaming a response body.'),
    tls: Type.Object(
      {
        ca: Type.String({ default: '', description: "PEM file of the CA that signs `https://` upstreams' certificates; empty uses the system roots." }),
        servername: Type.String({ default: '', description: 'Name sent as SNI and verified in the certificate; empty uses the upstream URL host.' }),
        rejectUnauthorized: Type.Boolean({ default: true, description: 'Refuse upstream certificates that do not verify (502).' }),
        minVersion: Type.Union([Type.Literal('TLSv1.2'), Type.Literal('TLSv1.3')], { default: 'TLSv1.2', description: 'Lowest TLS version offered to upstreams.' }),
      },
      { default: {}, additionalProperties: false },
    ),
    healthCheck: Type.Object(
      {
        enabled: Type.Boolean({ default: false, description: 'Run active health checks.' }),
        path: Type.String({ default: '/healthz', pattern: '^/', description: 'Path requested with GET.' }),
        intervalMs: Millis(10_000, 'Time between checks.'),
        timeoutMs: Millis(2_000, 'Timeout of one check.'),
        healthyThreshold: Type.Integer({ minimum: 1, default: 2, description: 'Consecutive passes that bring an upstream back.' }),
        unhealthyThreshold: Type.Integer({ minimum: 1, default: 3, description: 'Consecutive failures that take it out.' }),
      },
      { default: {}, additionalProperties: false },
    ),
    circuitBreaker: Type.Object(
      {
        enabled: Type.Boolean({ default: false, description: 'Fail fast (503) while the pool keeps failing.' }),
        window: Type.Integer({ minimum: 1, default: 20, description: 'Outcomes in the rolling window.' }),
        minRequests: Type.Integer({ minimum: 1, default: 10, description: 'Outcomes needed before the ratio counts.' }),
        failureRatio: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.5, description: 'Failure ratio that opens the circuit.' }),
        openMs: Millis(10_000, 'How long the circuit stays open before a trial request.'),
      },
      { default: {}, additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

const RouteSchema = Type.Object(
  {
    name: Type.String({ default: '', description: 'Name used in metrics and logs (default route-<n>).' }),
    hosts: Type.Array(Type.String(), { default: [], description: 'Hosts matched, exact or `*.example.com`.' }),
    path: Type.String({ default: '', description: 'Exact path matched.' }),
    prefix: Type.String({ default: '', description: 'Path prefix matched on segment boundaries.' }),
    pattern: Type.String({ default: '', description: 'Regular expression matched against the path.' }),
    methods: Type.Array(Type.String(), { default: [], description: 'Methods matched; empty matches all.' }),
    headers: Type.Record(Type.String(), Type.String(), { default: {}, description: 'Header conditions: exact value, `*` (present) or `/regex/`.' }),
    priority: Type.Integer({ default: 0, description: 'Higher runs first; ties keep file order.' }),
    site: Type.String({ default: '', description: 'Target: a static site name.' }),
    pool: Type.String({ default: '', description: 'Target: an upstream pool name.' }),
    redirect: Type.String({ default: '', description: 'Target: redirect Location (`{host}`, `{path}`, `{uri}` are replaced).' }),
    redirectStatus: Type.Union([301, 302, 303, 307, 308].map((n) => Type.Literal(n)), { default: 308, description: 'Redirect status.' }),
    api: Type.Boolean({ default: false, description: "Target: Strata's own API (the request falls through to it)." }),
    stripPrefix: Type.Boolean({ default: false, description: 'Remove the matched prefix before serving or forwarding.' }),
    rewritePattern: Type.String({ default: '', description: 'Regex replaced in the forwarded path.' }),
    rewriteTo: Type.String({ default: '', description: 'Replacement for rewritePattern (`$1` groups).' }),
    preserveHost: Type.Boolean({ default: true, description: "Send the client's Host upstream." }),
    retries: Type.Integer({ minimum: 0, maximum: 10, default: 2, description: 'Extra attempts on other upstreams for replayable idempotent requests.' }),
    cache: Type.Boolean({ default: false, description: 'Use the response cache for this route.' }),
    compress: Type.Boolean({ default: false, description: 'Compress compressible proxied responses (br, gzip) the upstream sent uncompressed.' }),
    websocket: Type.Boolean({ default: true, description: 'Proxy WebSocket upgrades.' }),
    auth: Type.Union([Type.Literal('none'), Type.Literal('required')], {
      default: 'none',
      description:
        "`none`: Authorization and cookies belong to the site or upstream and pass through untouched (Strata does not read them). `required`: a valid Strata token, API key or session is needed (401 otherwise); WebSocket upgrades are refused on such a route.",
    }),
    requestHeaders: HeaderRules('Request'),
    responseHeaders: HeaderRules('Response'),
  },
  { additionalProperties: false },
);

export const GatewaySchema = Type.Object(
  {
    sites: Type.Array(SiteSchema, { default: [], description: 'Static sites (each with a unique name).' }),
    pools: Type.Array(PoolSchema, { default: [], description: 'Upstream pools (each with a unique name).' }),
    routes: Type.Array(RouteSchema, { default: [], description: 'Routes, tried by priority then in order; the first match answers.' }),
    trustedProxies: Type.Array(Type.String(), { default: [], description: 'Peers whose X-Forwarded-*/Forwarded are kept (IPs, CIDRs, `loopback`, `private`).' }),
    cache: Type.Object(
      {
        store: Type.Union([Type.Literal('memory'), Type.Literal('shared')], {
          default: 'memory',
          description: "`memory`: the gateway's own LRU; `shared`: the cache capability's store (memory, disk, Redis, tiered) under the `gw:` prefix.",
        }),
        maxBytes: Type.Integer({ minimum: 0, default: 67_108_864, description: 'Memory for cached responses (store `memory`).' }),
        maxObjectBytes: Type.Integer({ minimum: 0, default: 8_388_608, description: 'Largest response body stored.' }),
        allowSetCookie: Type.Boolean({ default: false, description: 'Store responses with Set-Cookie.' }),
        allowAuthorization: Type.Boolean({ default: false, description: 'Store responses to requests with Authorization (when public/s-maxage).' }),
        keyHost: Type.Boolean({ default: true, description: 'Host is part of the cache key.' }),
        keyQuery: Type.Union([Type.Literal('all'), Type.Literal('sorted'), Type.Literal('none')], { default: 'all', description: 'How the query enters the key.' }),
        keyHeaders: Type.Array(Type.String(), { default: [], description: 'Request headers that always split the key.' }),
        purgeHost: Type.String({
          default: '',
          description: 'Host (the site, e.g. `example.com`) of relative URLs and prefixes in a purge that names no `host`; empty: such a purge is a 400 while `keyHost` is on.',
        }),
        purgePath: Type.String({ default: '/_strata/gateway/cache/purge', pattern: '^/', description: 'Legacy path of the purge API (superuser only), kept for one release; the API is at `/api/admin/cache/purge`.' }),
      },
      { default: {}, additionalProperties: false },
    ),
    forward: Type.Object(
      {
        enabled: Type.Boolean({ default: false, description: 'Run the forward proxy (own listener).' }),
        host: Type.String({ default: '127.0.0.1', description: 'Address of the forward proxy listener.' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 3128, description: 'Port of the forward proxy listener.' }),
        privacy: Type.Boolean({ default: false, description: 'Strip Forwarded, X-Forwarded-For, Via and X-Real-IP.' }),
        users: Type.Array(Type.Object({ username: Type.String({ minLength: 1 }), passwordHash: Type.String({ pattern: '^scrypt\\$' }) }, { additionalProperties: false }), {
          default: [],
          description: 'Proxy users with scrypt hashes; empty means no authentication.',
        }),
        allowHosts: Type.Array(Type.String(), { default: [], description: 'Hosts allowed (empty: all not denied).' }),
        denyHosts: Type.Array(Type.String(), { default: [], description: 'Hosts denied.' }),
        allowPorts: Type.Array(Type.Union([Type.Integer({ minimum: 1, maximum: 65535 }), Type.Literal('*')]), { default: [80, 443], description: 'Ports allowed; `*` for all.' }),
        denyPorts: Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }), { default: [], description: 'Ports denied.' }),
        allowCidrs: Type.Array(Type.String(), { default: [], description: 'Private/reserved ranges allowed anyway (`loopback`, `10.0.0.0/8`, ...).' }),
        denyCidrs: Type.Array(Type.String(), { default: [], description: 'More ranges denied.' }),
      },
      { default: {}, additionalProperties: false },
    ),
  },
  { default: {}, additionalProperties: false },
);
