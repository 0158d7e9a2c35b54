// gRPC (HTTP/2), gRPC-Web and the Connect protocol on the Fastify app, through Connect-RPC's
// router: a RecordService per base collection, server reflection and the health service.
import type { FastifyBaseLogger, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { toJsonString, type DescService } from '@bufbuild/protobuf';
import { Code, ConnectError, createConnectRouter, createContextKey, createContextValues, type HandlerContext, type Interceptor } from '@connectrpc/connect';
import { compressionBrotli, compressionGzip, universalRequestFromNodeRequest, universalResponseToNodeResponse } from '@connectrpc/connect-node';
import { principalOf, type RequestAuth } from '../../auth/index.js';
import { NotFoundError, type Principal } from '../../core/index.js';
import type { Collection, RecordAccess } from '../../data/index.js';
import { inspectDecodedBody } from '../../waf/index.js';
import { collectionHandlers } from './collection-handlers.js';
import { collectionProto, type CollectionProto } from './collection-proto.js';
import { principalFromMetadata, type RpcAuthServices } from './rpc-auth.js';
import { toConnectError } from './rpc-errors.js';
import { isGrpcWebText, textRequest, textResponse } from './grpc-web-text.js';
import { healthFile, healthHandlers, HealthService } from './rpc-health.js';
import { reflectionHandlers, reflectionV1, reflectionV1alpha, type ReflectedFile } from './rpc-reflection.js';
import type { RecordWatch } from './record-watch.js';
import { protoSourceOf } from './rpc-proto-source.js';
import { plainGrpc, serveUnary, type UnaryMethod, type UnaryOptions } from './grpc-unary.js';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';

export interface RpcOptions {
  /**
   * Collections to serve; document collections are skipped (their records have no fixed message).
   * A function is read on every call: when it returns another list (collections created, changed
   * or dropped over the admin API), the services are rebuilt from it, with no restart.
   */
  collections: readonly Collection[] | (() => readonly Collection[]);
  /** The records access layer: every RPC on records goes through it as the caller. */
  access: () => RecordAccess;
  auth: RpcAuthServices;
  watch: RecordWatch;
  /** Largest request or response message, in bytes. */
  maxMessageBytes?: number;
  /** Serve grpc.reflection.v1 and v1alpha (default true). */
  reflection?: boolean;
  /** Heartbeat of quiet Watch streams in ms (default 30 s; 0 = none). */
  watchHeartbeatMs?: number;
  /** For the health service: whether the server is ready. */
  ready?: () => boolean;
}

export interface Rpc {
  plugin: FastifyPluginAsync;
  /** Full names of the served services (collections, health, reflection). */
  readonly services: readonly string[];
  /** The served collection files, for reflection and .proto output. */
  readonly protos: readonly CollectionProto[];
  /** Ends open streams (Watch, health Watch); unary calls finish. */
  close(): void;
}

/**
 * A Connect-protocol request body that does not decode is the caller's bad input: 400
 * `invalid_argument`, as connect-go answers. Connect-ES raises it as `parse binary: ...` with code
 * INTERNAL (500); the call's context is aborted with that error before it is written, so the abort
 * reason is reclassified there. gRPC and gRPC-Web keep INTERNAL, as grpc-go and grpc-java answer.
 */
function badBodyIsInvalidArgument(ctx: HandlerContext): void {
  if (ctx.protocolName !== 'connect') return;
  ctx.signal.addEventListener('abort', () => {
    const e: unknown = ctx.signal.reason;
    if (e instanceof ConnectError && e.code === Code.Internal && e.rawMessage.startsWith('parse binary:')) {
      (e as { code: Code }).code = Code.InvalidArgument;
    }
  }, { once: true });
}

const requestKey = createContextKey<FastifyRequest | undefined>(undefined, { description: 'strata fastify request' });
const principalKey = createContextKey<Promise<Principal | null> | undefined>(undefined, { description: 'strata principal' });

/**
 * @example
 * const rpc = createRpc({ collections: data.collections, access: () => recordAccess, auth: auth.services, watch });
 * await app.register(rpc.plugin);
 */
export function createRpc(o: RpcOptions): Rpc {
  const shutdown = new AbortController();
  const COMPRESSIONS = [compressionGzip, compressionBrotli];
  const maxBytes = o.maxMessageBytes ?? 4 * 1024 * 1024;
  const reflection = o.reflection !== false;

  /** The caller: authHooks' bearer result when it ran, else the metadata verified here. Cookies never count. */
  const principal = (ctx: HandlerContext): Promise<Principal | null> => {
    let p = ctx.values.get(principalKey);
    if (!p) {
      const req = ctx.values.get(requestKey);
      const a = (req as { auth?: RequestAuth | null } | undefined)?.auth;
      p = a && a.kind !== 'session' ? Promise.resolve(principalOf(a)) : principalFromMetadata(ctx.requestHeader.get('authorization'), o.auth);
      ctx.values.set(principalKey, p);
    }
    return p;
  };

  /** Re-verifies the call's bearer credential (token signature memoized; one cache get for the account's mark). */
  const stillCurrent = async (ctx: HandlerContext): Promise<void> => {
    await principalFromMetadata(ctx.requestHeader.get('authorization'), o.auth);
  };

  let log: FastifyBaseLogger | undefined;
  const logInternal: Interceptor = (next) => async (req) => {
    try {
      return await next(req);
    } catch (e) {
      const err = toConnectError(e);
      if (err.code === Code.Internal) log?.error({ err: err.cause ?? err, rpc: req.url }, 'rpc failed');
      throw err;
    }
  };

  /**
   * Every collection method first hands its decoded request message to the WAF, as JSON (the shape of a Connect
   * JSON body, which strata-args.ts reads like a REST body: filters parsed, typed fields skipped), whatever the
   * protocol and codec it came in (Connect JSON or binary, gRPC-Web, gRPC, the unary fast path). A message the
   * WAF blocks is refused with PERMISSION_DENIED (HTTP 403 in the Connect protocol) and recorded as a WAF event.
   */
  function wafChecked<I extends object>(service: DescService, impl: I): I {
    const out = { ...impl } as Record<string, unknown>;
    for (const method of service.methods) {
      const fn = (impl as Record<string, unknown>)[method.localName];
      if (typeof fn !== 'function') continue;
      out[method.localName] = function (this: unknown, input: unknown, ctx: HandlerContext) {
        const req = ctx.values.get(requestKey);
        if (req && inspectDecodedBody(req, toJsonString(method.input, input as never)) === true) {
          throw new ConnectError('The request was blocked by the web application firewall.', Code.PermissionDenied);
        }
        return (fn as (i: unknown, c: HandlerContext) => unknown).call(this, input, ctx);
      };
    }
    return out as I;
  }

  const collectionsNow = typeof o.collections === 'function' ? o.collections : () => o.collections as readonly Collection[];

  /** Descriptors, reflection index and Connect handlers, from the collections as they are now. */
  function build(collections: readonly Collection[]) {
    // Auth collections (users, _superusers) take passwords through their own REST flows: no RPC service.
    const protos = collections.filter((c) => c.type === 'base' && !c.auth).map(collectionProto);
    const files: ReflectedFile[] = [...protos.map((p) => ({ proto: p.proto, services: [p.service] })), { proto: healthFile.proto, services: [HealthService] }];
    if (reflection) {
      for (const r of [reflectionV1, reflectionV1alpha]) files.push({ proto: r.proto, services: [...r.file.services] });
    }
    const services = files.flatMap((f) => f.services.map((s) => s.typeName));
    const router = createConnectRouter({
      readMaxBytes: maxBytes,
      writeMaxBytes: maxBytes,
      shutdownSignal: shutdown.signal,
      acceptCompression: COMPRESSIONS,
      // Like REST, a field the schema does not have is an error, not silently dropped.
      jsonOptions: { ignoreUnknownFields: false },
      interceptors: [logInternal],
      requestGate: badBodyIsInvalidArgument,
    });
    // Unary methods of the collections also by path, for gRPC's unary path (grpc-unary.ts).
    const unary = new Map<string, UnaryMethod>();
    for (const p of protos) {
      const impl = wafChecked(p.service, collectionHandlers(p, { access: o.access, principal, watch: o.watch, heartbeatMs: o.watchHeartbeatMs ?? 30_000, current: stillCurrent }));
      router.service(p.service, impl);
      for (const method of p.service.methods) {
        const fn = (impl as unknown as Record<string, UnaryMethod['impl']>)[method.localName];
        if (method.methodKind === 'unary' && fn) unary.set(`/${p.service.typeName}/${method.name}`, { method, impl: fn });
      }
    }
    router.service(HealthService, healthHandlers({ ready: o.ready ?? (() => true), services: () => services }));
    if (reflection) {
      for (const r of [reflectionV1, reflectionV1alpha]) router.service(r.file.services[0], reflectionHandlers(() => files));
    }
    return { collections, protos, services, unary, handlers: new Map(router.handlers.map((h) => [h.requestPath, h])) };
  }
  // Built on the first call, once the data layer has started and fixed each collection's field
  // numbers, and again whenever the collection list is another one (the data layer swaps it whole).
  let built: ReturnType<typeof build> | undefined;
  const current = () => {
    const collections = collectionsNow();
    if (built === undefined || built.collections !== collections) built = build(collections);
    return built;
  };
  // Health and reflection have fixed paths; every collection service is `strata.<collection>.RecordService`,
  // routed by one pattern, so a collection made after start is served too.
  const fixedPaths = [...build([]).handlers.keys()];
  const COLLECTION_ROUTE = '/strata.:collection.RecordService/:method';
  // Reads whatever their HTTP method (POST): a superuser's Get is not audited as a change.
  const READ_ROUTES = ['Get', 'List', 'Watch'].map((m) => `/strata.:collection.RecordService/${m}`);

  const unaryOptions: UnaryOptions = {
    maxBytes,
    compressions: COMPRESSIONS,
    signal: shutdown.signal,
    toError: toConnectError,
    onInternal: (err, path) => log?.error({ err: err.cause ?? err, rpc: path }, 'rpc failed'),
  };

  const plugin: FastifyPluginAsync = async (app) => {
    log = app.log;
    // Connect reads the body itself (bounded by readMaxBytes); no Fastify parsing on these routes.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
    app.addHook('onClose', async () => shutdown.abort());
    // The collection's whole gRPC file as .proto source (schema.proto has its messages only).
    app.get('/api/collections/:collection/service.proto', async (req, reply) => {
      const p = current().protos.find((x) => x.collection.name === (req.params as { collection: string }).collection);
      const source = p && protoSourceOf(p.proto);
      if (source === undefined) throw new NotFoundError('No gRPC service for this collection (unknown, or a document collection).');
      return reply.type('text/plain; charset=utf-8').send(source);
    });
    for (const url of [...fixedPaths, ...READ_ROUTES, COLLECTION_ROUTE]) {
      app.route({
        method: ['POST', 'GET'],
        url,
        // health and reflection only read, like the collections' Get, List and Watch
        // the WAF inspects the decoded message (wafChecked), not the encoded body
        config: { readOnly: url !== COLLECTION_ROUTE, wafDecodedBody: true },
        handler: async (req, reply) => {
          const q = req.url.indexOf('?');
          const path = q === -1 ? req.url : req.url.slice(0, q);
          const now = current();
          const handler = now.handlers.get(path);
          // (gRPC clients map HTTP 404 to UNIMPLEMENTED)
          if (handler === undefined) throw new NotFoundError('No such gRPC service or method (unknown, or a document collection).');
          reply.hijack();
          const values = createContextValues().set(requestKey, req);
          // gRPC-Web text mode: base64 around Connect's binary gRPC-Web (Connect-ES has no text mode).
          const text = isGrpcWebText(req.headers['content-type']);
          /** Connect answers the call; `body` replaces the request's when the unary path read it already. */
          const viaConnect = async (body?: AsyncIterable<Uint8Array>) => {
            let ureq = universalRequestFromNodeRequest(req.raw, reply.raw, undefined, values);
            if (body) ureq = { ...ureq, body };
            const res = text ? textResponse(await handler(textRequest(ureq))) : await handler(ureq);
            for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) reply.raw.setHeader(k, v);
            await universalResponseToNodeResponse(res, reply.raw);
          };
          try {
            const unary = now.unary.get(path);
            if (unary && req.raw.httpVersionMajor === 2 && plainGrpc(req.raw as unknown as Http2ServerRequest)) {
              const raw = req.raw as unknown as Http2ServerRequest;
              await serveUnary(raw, reply.raw as unknown as Http2ServerResponse, path, unary, values, reply.getHeaders(), unaryOptions, viaConnect);
            } else await viaConnect();
          } catch (e) {
            if (ConnectError.from(e).code !== Code.Aborted) req.log.warn({ err: e, rpc: path }, 'rpc response failed');
          }
        },
      });
    }
  };
  return {
    plugin,
    get services() {
      return current().services;
    },
    get protos() {
      return current().protos;
    },
    close: () => shutdown.abort(),
  };
}
