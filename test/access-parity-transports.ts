// One adapter per transport for the parity contract (test/access-parity.ts): each performs an
// operation as a subject and answers a normalized outcome, `allowed [label field=value, ...]` or
// `denied <401|403|404|400>`, so one table of expectations drives REST, Connect (JSON over
// HTTP/1.1), gRPC (@grpc/grpc-js over h2c), gRPC-Web (connect-web; binary, and text mode through
// test/grpc-web-text.ts's hand-written base64 framing), WebSocket and SSE alike.
import { createFileRegistry, fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport, createGrpcWebTransport } from '@connectrpc/connect-web';
import { grpc, recordClient, reflectionClient, type RecordClient } from './rpc-helpers.js';
import { grpcWebTextFetch } from './grpc-web-text.js';
import { Client as WsClient } from './realtime-helpers.js';
import type { World } from './access-parity-world.js';

export const TRANSPORTS = ['rest', 'connect', 'grpc', 'grpc-web', 'grpc-web-text', 'ws', 'sse'] as const;
export type Transport = (typeof TRANSPORTS)[number];

/** An operation with its targets resolved to real ids. */
export type Call =
  | { kind: 'list'; collection: string; filter?: string; sort?: string; expand?: string }
  | { kind: 'view'; collection: string; id: string; expand?: string }
  | { kind: 'aggregate'; collection: string; filter?: string; metrics?: string; groupBy?: string }
  | { kind: 'batch'; operations: unknown[] }
  | { kind: 'create'; collection: string; body: Record<string, unknown> }
  | { kind: 'update'; collection: string; id: string; body: Record<string, unknown> }
  | { kind: 'delete'; collection: string; id: string }
  | { kind: 'subscribe'; collection: string; filter?: string };

/** What one call answered, before labels: records, or the denial class. */
export type Raw = { records: Array<Record<string, unknown>> } | { denied: number | string };

/** An open subscription (realtime subscribe or gRPC Watch): refused at once, or collecting events. */
export interface Stream {
  refused?: number | string;
  /** The records of the create events delivered so far. */
  events(): Array<Record<string, unknown>>;
  close(): void;
}

export interface Adapter {
  call?(c: Exclude<Call, { kind: 'subscribe' }>, cred: string | undefined): Promise<Raw>;
  open?(c: Extract<Call, { kind: 'subscribe' }>, cred: string | undefined): Promise<Stream>;
  close(): Promise<void>;
}

const GRPC_STATUS: Record<number, number> = { 3: 400, 16: 401, 7: 403, 5: 404 };
const denialOf = (code: number): number | string => GRPC_STATUS[code] ?? `grpc-${code}`;
const denied = (code: number): Raw => ({ denied: denialOf(code) });
const bearer = (cred: string | undefined): Record<string, string> => (cred ? { authorization: `Bearer ${cred}` } : {});
const qs = (o: Record<string, string | undefined>) => new URLSearchParams(Object.entries(o).filter((e): e is [string, string] => e[1] !== undefined)).toString();

async function fetchJson(url: string, init: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(url, init);
  const text = await r.text();
  try {
    return { status: r.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  } catch {
    return { status: r.status, body: { text } };
  }
}

export function restAdapter(w: World): Adapter {
  const records = (c: string) => `${w.base}/api/collections/${c}`;
  return {
    async call(c, cred) {
      const json = (method: string, url: string, body?: unknown) =>
        fetchJson(url, { method, headers: { ...bearer(cred), ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
      let r: { status: number; body: Record<string, unknown> };
      if (c.kind === 'list') r = await json('GET', `${records(c.collection)}/records?${qs({ perPage: '200', filter: c.filter, sort: c.sort, expand: c.expand })}`);
      else if (c.kind === 'view') r = await json('GET', `${records(c.collection)}/records/${c.id}?${qs({ expand: c.expand })}`);
      else if (c.kind === 'aggregate') r = await json('GET', `${records(c.collection)}/aggregate?${qs({ metrics: c.metrics ?? 'count', filter: c.filter, groupBy: c.groupBy })}`);
      else if (c.kind === 'batch') r = await json('POST', `${w.base}/api/batch`, { operations: c.operations });
      else if (c.kind === 'create') r = await json('POST', `${records(c.collection)}/records`, c.body);
      else if (c.kind === 'update') r = await json('PATCH', `${records(c.collection)}/records/${c.id}`, c.body);
      else r = await json('DELETE', `${records(c.collection)}/records/${c.id}`);
      if (r.status >= 400) return { denied: r.status };
      if (c.kind === 'list' || c.kind === 'aggregate') return { records: r.body.items as Array<Record<string, unknown>> };
      if (c.kind === 'batch') return { records: (r.body.results as Array<{ body: Record<string, unknown> }>).map((x) => x.body) };
      return { records: c.kind === 'delete' ? [] : [r.body] };
    },
    async close() {},
  };
}

/** Connect's unary protocol by hand: POST /strata.<collection>.RecordService/<Method>, JSON both ways. */
export function connectAdapter(w: World): Adapter {
  const rpc = async (collection: string, method: string, body: unknown, cred: string | undefined) => fetchJson(`${w.base}/strata.${collection}.RecordService/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(cred) }, body: JSON.stringify(body) });
  const streaming = connectWebAdapter(w, 'connect');
  return {
    async call(c, cred) {
      if (c.kind === 'aggregate' || c.kind === 'batch') throw new Error('not offered');
      const [method, body] = rpcRequest(c, 'perPage');
      const r = await rpc(c.collection, method, body, cred);
      if (r.status !== 200) return { denied: r.status };
      return { records: c.kind === 'list' ? (r.body.items as Array<Record<string, unknown>>) ?? [] : c.kind === 'delete' ? [] : [r.body] };
    },
    open: streaming.open,
    close: streaming.close,
  };
}

function rpcRequest(c: Exclude<Call, { kind: 'subscribe' | 'aggregate' | 'batch' }>, perPage: string): [string, Record<string, unknown>] {
  if (c.kind === 'list') return ['List', { filter: c.filter, sort: c.sort, expand: c.expand, [perPage]: 200 }];
  if (c.kind === 'view') return ['Get', { id: c.id, expand: c.expand }];
  if (c.kind === 'create') return ['Create', { record: c.body }];
  if (c.kind === 'update') return ['Update', { id: c.id, record: c.body }];
  return ['Delete', { id: c.id }];
}

/** gRPC over HTTP/2 (h2c) through @grpc/grpc-js, with descriptors from Strata's reflection service. */
export function grpcAdapter(w: World): Adapter {
  const target = w.base.replace(/^http:\/\//, '');
  const clients = new Map<string, Promise<RecordClient>>();
  const client = (collection: string) => {
    if (!clients.has(collection)) clients.set(collection, recordClient(target, collection));
    return clients.get(collection)!;
  };
  const metadata = (cred: string | undefined) => {
    const md = new grpc.Metadata();
    if (cred) md.set('authorization', `Bearer ${cred}`);
    return md;
  };
  return {
    async call(c, cred) {
      if (c.kind === 'aggregate' || c.kind === 'batch') throw new Error('not offered');
      const [method, body] = rpcRequest(c, 'per_page');
      const cl = await client(c.collection);
      try {
        const out = await new Promise<Record<string, unknown>>((resolve, reject) =>
          (cl[method] as (r: unknown, m: grpc.Metadata, cb: (e: grpc.ServiceError | null, v: Record<string, unknown>) => void) => void).call(cl, body, metadata(cred), (e, v) => (e ? reject(e) : resolve(v))),
        );
        return { records: c.kind === 'list' ? ((out.items as Array<Record<string, unknown>>) ?? []) : c.kind === 'delete' ? [] : [out] };
      } catch (e) {
        return denied((e as grpc.ServiceError).code);
      }
    },
    async open(c, cred) {
      const cl = await client(c.collection);
      const call = (cl.Watch as (r: unknown, m: grpc.Metadata) => grpc.ClientReadableStream<Record<string, unknown>>).call(cl, { actions: ['create'] }, metadata(cred));
      const got: Array<Record<string, unknown>> = [];
      const s: Stream = { events: () => got, close: () => call.cancel() };
      await new Promise<void>((resolve) => {
        call.on('data', (d: Record<string, unknown>) => {
          if (d.action === 'subscribed') resolve();
          else if (d.action === 'create') got.push((d.record as Record<string, unknown>) ?? { id: d.record_id });
        });
        call.on('error', (e: grpc.ServiceError) => {
          if (e.code !== grpc.status.CANCELLED) s.refused ??= denialOf(e.code);
          resolve();
        });
      });
      return s;
    },
    async close() {
      for (const c of clients.values()) (await c).close();
    },
  };
}

type WebClient = Record<string, (req: unknown, opts?: unknown) => unknown>;

/** gRPC-Web (or Connect, for streams) through @connectrpc/connect-web, descriptors from reflection. */
export function connectWebAdapter(w: World, protocol: 'grpc-web' | 'grpc-web-text' | 'connect'): Adapter {
  const transport =
    protocol === 'grpc-web' ? createGrpcWebTransport({ baseUrl: w.base }) : protocol === 'grpc-web-text' ? createGrpcWebTransport({ baseUrl: w.base, fetch: grpcWebTextFetch() }) : createConnectTransport({ baseUrl: w.base });
  const clients = new Map<string, Promise<WebClient>>();
  const client = (collection: string) => {
    if (!clients.has(collection))
      clients.set(
        collection,
        (async () => {
          const refl = reflectionClient(w.base.replace(/^http:\/\//, ''));
          try {
            const [bytes] = await refl.fileContainingSymbol(`strata.${collection}.RecordService`);
            const registry = createFileRegistry(fromBinary(FileDescriptorProtoSchema, bytes), () => undefined);
            return createClient(registry.getService(`strata.${collection}.RecordService`)!, transport) as unknown as WebClient;
          } finally {
            refl.close();
          }
        })(),
      );
    return clients.get(collection)!;
  };
  return {
    async call(c, cred) {
      if (c.kind === 'aggregate' || c.kind === 'batch') throw new Error('not offered');
      const [method, body] = rpcRequest(c, 'perPage');
      const cl = await client(c.collection);
      try {
        const out = (await cl[method.toLowerCase()](body, { headers: bearer(cred) })) as Record<string, unknown>;
        return { records: c.kind === 'list' ? ((out.items as Array<Record<string, unknown>>) ?? []) : c.kind === 'delete' ? [] : [out] };
      } catch (e) {
        return denied(ConnectError.from(e).code);
      }
    },
    async open(c, cred) {
      const cl = await client(c.collection);
      const abort = new AbortController();
      const got: Array<Record<string, unknown>> = [];
      const s: Stream = { events: () => got, close: () => abort.abort() };
      const it = (cl.watch({ actions: ['create'] }, { headers: bearer(cred), signal: abort.signal }) as AsyncIterable<Record<string, unknown>>)[Symbol.asyncIterator]();
      try {
        const first = await it.next();
        if (first.done || first.value.action !== 'subscribed') s.refused = `no subscribed message: ${JSON.stringify(first.value)}`;
      } catch (e) {
        s.refused = denialOf(ConnectError.from(e).code);
        return s;
      }
      void (async () => {
        try {
          for (let n = await it.next(); !n.done; n = await it.next()) if (n.value.action === 'create') got.push((n.value.record as Record<string, unknown>) ?? { id: n.value.recordId });
        } catch {
          // Aborted at close.
        }
      })();
      return s;
    },
    async close() {},
  };
}

const WS_CODES: Record<string, number> = { invalid: 400, unauthorized: 401, forbidden: 403, not_found: 404 };

export function wsAdapter(w: World): Adapter {
  return {
    async open(c, cred) {
      let ws: WsClient;
      try {
        ws = await WsClient.open(`${w.base.replace(/^http/, 'ws')}/api/realtime`, { headers: bearer(cred) });
      } catch (e) {
        return { refused: (e as { status?: number }).status ?? String(e), events: () => [], close() {} };
      }
      const s: Stream = { events: () => ws.events().map((f) => f.record as Record<string, unknown>), close: () => ws.close() };
      const r = await ws.request({ type: 'subscribe', id: 's', collection: c.collection, ...(c.filter ? { filter: c.filter } : {}) }, ['subscribed']);
      if (r.type !== 'subscribed') s.refused = WS_CODES[String(r.code)] ?? String(r.code);
      return s;
    },
    async close() {},
  };
}

export function sseAdapter(w: World): Adapter {
  return {
    async open(c, cred) {
      const abort = new AbortController();
      const sub = JSON.stringify({ id: 's', collection: c.collection, ...(c.filter ? { filter: c.filter } : {}) });
      const r = await fetch(`${w.base}/api/realtime/sse?${qs({ subscribe: sub })}`, { headers: bearer(cred), signal: abort.signal });
      if (r.status !== 200) {
        await r.body?.cancel();
        return { refused: r.status, events: () => [], close() {} };
      }
      const got: Array<Record<string, unknown>> = [];
      const s: Stream = { events: () => got, close: () => abort.abort() };
      let subscribed: () => void = () => {};
      const ready = new Promise<void>((res) => (subscribed = res));
      void (async () => {
        let buf = '';
        try {
          for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) {
            buf += Buffer.from(chunk).toString('utf8');
            let i: number;
            while ((i = buf.indexOf('\n\n')) >= 0) {
              const block = buf.slice(0, i);
              buf = buf.slice(i + 2);
              const data = block.split('\n').find((l) => l.startsWith('data: '));
              if (!data) continue;
              const f = JSON.parse(data.slice(6)) as Record<string, unknown>;
              if (f.type === 'subscribed') subscribed();
              else if (f.type === 'error') (s.refused = WS_CODES[String(f.code)] ?? String(f.code)), subscribed();
              else if (f.type === 'event') got.push(f.record as Record<string, unknown>);
            }
          }
        } catch {
          // Aborted at close.
        }
        subscribed();
      })();
      await ready;
      return s;
    },
    async close() {},
  };
}

export function adapters(w: World): Record<Transport, Adapter> {
  return { rest: restAdapter(w), connect: connectAdapter(w), grpc: grpcAdapter(w), 'grpc-web': connectWebAdapter(w, 'grpc-web'), 'grpc-web-text': connectWebAdapter(w, 'grpc-web-text'), ws: wsAdapter(w), sse: sseAdapter(w) };
}
