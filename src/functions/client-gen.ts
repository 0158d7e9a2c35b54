// `strata gen client`: one TypeScript file with a fetch-based client (browsers and Node 18+) for
// the collections' REST API and the function routes, typed from their schemas, with realtime
// subscriptions over Server-Sent Events (fetch streaming, so it needs no WebSocket library).
import type { Collection } from '../data/index.js';
import { openapiDocument } from '../api/index.js';
import type { RouteDefinition, Schema } from './function-define.js';
import { schemaToTs } from './client-types.js';
import { isStatusMap } from './function-routes.js';

const pascal = (s: string) => s.replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_m, _s, c: string) => c.toUpperCase());
const camel = (s: string) => {
  const p = pascal(s);
  return p.charAt(0).toLowerCase() + p.slice(1);
};
const plain = (s: unknown) => (s === undefined ? undefined : JSON.parse(JSON.stringify(s)));

function responseSchema(def: RouteDefinition): unknown {
  const r = def.schema?.response;
  if (!r) return undefined;
  if (!isStatusMap(r)) return r;
  const ok = Object.entries(r).filter(([k]) => k.startsWith('2')).map(([, v]) => v as Schema);
  return ok.length === 1 ? ok[0] : ok.length > 1 ? { anyOf: ok } : undefined;
}

const RUNTIME = `
export interface Problem { type: string; title: string; status: number; detail?: string; errors?: { field: string; message: string }[]; [k: string]: unknown }

/** A non-2xx answer: the server's problem+json. */
export class StrataClientError extends Error {
  constructor(readonly status: number, readonly problem: Problem) {
    super(problem.detail ?? problem.title);
    this.name = 'StrataClientError';
  }
}

export interface ClientOptions {
  /** e.g. https://api.example.com */
  baseUrl: string;
  /** Bearer token (access token or API key), or a function returning the current one. */
  token?: string | (() => string | undefined);
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
  headers?: Record<string, string>;
}

export interface ListQuery { filter?: string; sort?: string; page?: number; perPage?: number; cursor?: string; fields?: string; expand?: string; totalItems?: boolean }
export interface ListResult<T> { items: T[]; page: number; perPage: number; totalItems?: number; totalPages?: number; nextCursor: string | null }

type Query = Record<string, string | number | boolean | undefined | null | Array<string | number | boolean>>;

function request(o: ClientOptions) {
  const f = o.fetch ?? globalThis.fetch;
  return async <T>(method: string, path: string, init: { query?: Query; body?: unknown; signal?: AbortSignal } = {}): Promise<T> => {
    const url = new URL(path, o.baseUrl);
    for (const [k, v] of Object.entries(init.query ?? {})) {
      if (v === undefined || v === null) continue;
      for (const one of Array.isArray(v) ? v : [v]) url.searchParams.append(k, String(one));
    }
    const headers: Record<string, string> = { accept: 'application/json', ...o.headers };
    const token = typeof o.token === 'function' ? o.token() : o.token;
    if (token) headers.authorization = 'Bearer ' + token;
    const form = init.body instanceof FormData;
    if (init.body !== undefined && !form) headers['content-type'] = 'application/json';
    const r = await f(url, { method, headers, body: init.body === undefined ? undefined : form ? (init.body as FormData) : JSON.stringify(init.body), signal: init.signal });
    const text = await r.text();
    const data = text ? JSON.parse(text) : undefined;
    if (!r.ok) throw new StrataClientError(r.status, (data ?? { type: 'about:blank', title: r.statusText, status: r.status }) as Problem);
    return data as T;
  };
}

const seg = (v: string | number) => encodeURIComponent(String(v));

/** A multipart body: values as text parts (objects as JSON), then the files (file fields; \`field+\` appends on update). */
function toForm(values: Record<string, unknown>, files: Record<string, Blob | Blob[] | undefined>): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) fd.append(k, typeof one === 'object' && one !== null ? JSON.stringify(one) : String(one));
  }
  for (const [k, v] of Object.entries(files)) for (const b of v === undefined ? [] : Array.isArray(v) ? v : [v]) fd.append(k, b, (b as { name?: string }).name || 'file');
  return fd;
}

/** Download options of a stored file (docs/files.md): a declared thumbnail size, a file token, an attachment. */
export interface FileUrlOptions { thumb?: string; token?: string; download?: boolean }

function fileUrl(o: ClientOptions, collection: string, record: string, name: string, opts: FileUrlOptions = {}): string {
  const url = new URL('/api/files/' + seg(collection) + '/' + seg(record) + '/' + seg(name), o.baseUrl);
  if (opts.thumb) url.searchParams.set('thumb', opts.thumb);
  if (opts.token) url.searchParams.set('token', opts.token);
  if (opts.download) url.searchParams.set('download', '1');
  return url.toString();
}

/** A record change pushed by the server (docs/realtime.md): for deletes, the record as it was. */
export interface RealtimeEvent<T> { id: string; action: 'create' | 'update' | 'delete'; collection: string; record: T; at: string }

export interface SubscribeOptions<T> {
  /** Only records matching this filter (the REST filter language), e.g. \`done = false\`. */
  filter?: string;
  /** Only this record. */
  record?: string;
  onEvent(event: RealtimeEvent<T>): void;
  /** Refusals (a problem, or an error frame); the subscription stays open unless \`closed\`. */
  onError?(error: StrataClientError, closed: boolean): void;
  /** Resume after this event id (events missed while away are replayed). */
  lastEventId?: string;
}

export interface Subscription {
  /** Resolves once the server confirmed the subscription (events after this are delivered). */
  readonly ready: Promise<void>;
  /** The last event id seen: pass it as \`lastEventId\` to resume later. */
  readonly lastEventId: string | undefined;
  close(): void;
}

/**
 * Server-Sent Events over fetch streaming (GET /api/realtime/sse): works in browsers and any Node with
 * fetch, and sends the bearer token as a header. Reconnects with Last-Event-ID after a dropped stream,
 * so no event is lost while the server still retains it; stops on a 4xx answer or close().
 */
function subscribeSse<T>(o: ClientOptions, collection: string, opts: SubscribeOptions<T>): Subscription {
  const f = o.fetch ?? globalThis.fetch;
  const ac = new AbortController();
  let last = opts.lastEventId;
  let retry = 2000;
  let resolveReady!: () => void;
  let rejectReady!: (e: unknown) => void;
  const ready = new Promise<void>((res, rej) => { resolveReady = res; rejectReady = rej; });
  ready.catch(() => undefined);
  const sub = { id: 's', collection, ...(opts.filter ? { filter: opts.filter } : {}), ...(opts.record ? { record: opts.record } : {}) };
  const fail = (status: number, problem: Problem, closed: boolean) => {
    const e = new StrataClientError(status, problem);
    if (closed) rejectReady(e);
    opts.onError?.(e, closed);
  };
  const frame = (data: string, id: string | undefined) => {
    let m: { type?: string; [k: string]: unknown };
    try { m = JSON.parse(data); } catch { return; }
    if (m.type === 'subscribed') resolveReady();
    else if (m.type === 'event') { if (id) last = id; opts.onEvent(m as unknown as RealtimeEvent<T>); }
    else if (m.type === 'error') fail(400, { type: 'strata/realtime-' + String(m.code), title: String(m.code), status: 400, detail: String(m.message) }, false);
  };
  const run = async () => {
    while (!ac.signal.aborted) {
      const url = new URL('/api/realtime/sse', o.baseUrl);
      url.searchParams.set('subscribe', JSON.stringify(sub));
      const headers: Record<string, string> = { accept: 'text/event-stream', ...o.headers };
      const token = typeof o.token === 'function' ? o.token() : o.token;
      if (token) headers.authorization = 'Bearer ' + token;
      if (last) headers['last-event-id'] = last;
      try {
        const r = await f(url, { headers, signal: ac.signal });
        if (!r.ok || !r.body) {
          const text = await r.text();
          let problem: Problem;
          try { problem = JSON.parse(text) as Problem; } catch { problem = { type: 'about:blank', title: r.statusText, status: r.status }; }
          if (r.status < 500) return fail(r.status, problem, true);
          fail(r.status, problem, false);
        } else {
          const reader = r.body.getReader();
          const decoder = new TextDecoder();
          let buf = '';
          let data: string[] = [];
          let id: string | undefined;
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buf += decoder.decode(value, { stream: true });
            let nl: number;
            while ((nl = buf.search(/\\r\\n|\\r|\\n/)) >= 0) {
              if (nl === buf.length - 1 && buf[nl] === '\\r') break; // maybe half of a CRLF
              const line = buf.slice(0, nl);
              buf = buf.slice(nl + (buf.startsWith('\\r\\n', nl) ? 2 : 1));
              if (line === '') {
                if (data.length) frame(data.join('\\n'), id);
                data = [];
                id = undefined;
              } else if (line.startsWith(':')) continue;
              else {
                const c = line.indexOf(':');
                const field = c < 0 ? line : line.slice(0, c);
                const v = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '');
                if (field === 'data') data.push(v);
                else if (field === 'id') id = v;
                else if (field === 'retry' && /^\\d+$/.test(v)) retry = Number(v);
              }
            }
          }
        }
      } catch (e) {
        if (ac.signal.aborted) return;
      }
      await new Promise((res) => setTimeout(res, retry));
    }
  };
  void run();
  return { ready, get lastEventId() { return last; }, close: () => ac.abort() };
}
`;

/**
 * @example
 * writeFileSync('client.ts', generateClient(collections, routes.map((r) => r.def)));
 */
export function generateClient(collections: readonly Collection[], routes: readonly RouteDefinition[]): string {
  const doc = openapiDocument(collections, { title: 'client', version: '0' }) as { components: { schemas: Record<string, unknown> } };
  const types: string[] = [];
  const colls: string[] = [];
  const recs: string[] = [];
  for (const c of collections) {
    const n = pascal(c.name);
    const sch = doc.components.schemas;
    types.push(`export type ${n}Record = ${schemaToTs(sch[`${c.name}_record`])};`);
    types.push(`export type ${n}Create = ${schemaToTs(sch[`${c.name}_create`])};`);
    types.push(`export type ${n}Update = ${schemaToTs(sch[`${c.name}_patch`])};`);
    recs.push(`  ${JSON.stringify(c.name)}: ${n}Record;`);
    const base = `'/api/collections/${c.name}/records'`;
    colls.push(`    ${JSON.stringify(c.name)}: {
      list: (q: ListQuery = {}, signal?: AbortSignal) => call<ListResult<${n}Record>>('GET', ${base}, { query: q as Query, signal }),
      get: (id: string, q: { fields?: string; expand?: string } = {}, signal?: AbortSignal) => call<${n}Record>('GET', ${base} + '/' + seg(id), { query: q, signal }),
      create: (body: ${n}Create, signal?: AbortSignal) => call<${n}Record>('POST', ${base}, { body, signal }),
      update: (id: string, body: ${n}Update, signal?: AbortSignal) => call<${n}Record>('PATCH', ${base} + '/' + seg(id), { body, signal }),
      delete: (id: string, signal?: AbortSignal) => call<void>('DELETE', ${base} + '/' + seg(id), { signal }),${fileMethods(c, n, base)}
    },`);
    const ff = c.fields.filter((f) => f.type === 'file');
    if (ff.length > 0) {
      types.push(`/** Files to upload into ${c.name}'s file fields (a multiple field takes a list). */`);
      types.push(`export type ${n}Files = { ${ff.map((f) => `${JSON.stringify(f.name)}?: ${f.multiple ? 'Blob[]' : 'Blob'}`).join('; ')} };`);
      types.push(`/** On update: \`field+\` appends to a multiple field, \`field-\` (a value) removes names. */`);
      types.push(`export type ${n}FileChanges = ${n}Files & { ${ff.filter((f) => f.multiple).map((f) => `${JSON.stringify(f.name + '+')}?: Blob[]`).join('; ')} };`);
    }
  }
  const fns: string[] = [];
  const used = new Set<string>();
  for (const def of routes) {
    let name = camel(`${def.method.toLowerCase()} ${def.path.replace(/:/g, 'by ')}`);
    while (used.has(name)) name += '_';
    used.add(name);
    const s = def.schema ?? {};
    const params = [...def.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]);
    const path = "'" + def.path.replace(/:([A-Za-z0-9_]+)/g, (_m, p: string) => `' + seg(args.params.${p}) + '`) + "'";
    const argFields: string[] = [];
    if (params.length) argFields.push(`params: ${s.params ? schemaToTs(plain(s.params)) : `{ ${params.map((p) => `${p}: string`).join('; ')} }`}`);
    if (s.query) argFields.push(`query${schemaHasRequired(s.query) ? '' : '?'}: ${schemaToTs(plain(s.query))}`);
    if (s.body) argFields.push(`body: ${schemaToTs(plain(s.body))}`);
    argFields.push('signal?: AbortSignal');
    const optional = !params.length && !s.body && !(s.query && schemaHasRequired(s.query));
    const res = responseSchema(def);
    const ret = res ? schemaToTs(plain(res)) : 'unknown';
    fns.push(`    /** ${def.method} ${def.path}${def.summary ? ` — ${def.summary}` : ''} */
    ${name}: (args: { ${argFields.join('; ')} }${optional ? ' = {}' : ''}) => call<${ret}>(${JSON.stringify(def.method)}, ${path}, { ${s.query ? 'query: args.query as Query, ' : ''}${s.body ? 'body: args.body, ' : ''}signal: args.signal }),`);
  }
  return `// Generated by \`strata gen client\`: do not edit; run it again after changing collections or functions.
/* eslint-disable */
${RUNTIME}
${types.join('\n')}

/** Record types by collection name. */
export interface CollectionRecords {
${recs.join('\n')}
}

/**
 * @example
 * const api = createClient({ baseUrl: 'http://127.0.0.1:8080', token });
 * const page = await api.collections.tasks.list({ sort: '-created' });
 */
export function createClient(options: ClientOptions) {
  const call = request(options);
  return {
  collections: {
${colls.join('\n')}
  },
  functions: {
${fns.join('\n')}
  },
  /**
   * Realtime changes of a collection (optionally filtered or one record), over Server-Sent Events.
   * @example
   * const sub = api.subscribe('tasks', { filter: 'done = false', onEvent: (e) => console.log(e.action, e.record) });
   * await sub.ready; // ... later: sub.close();
   */
  subscribe: <K extends keyof CollectionRecords & string>(collection: K, opts: SubscribeOptions<CollectionRecords[K]>): Subscription => subscribeSse(options, collection, opts),
  };
}
`;
}

/** Upload and download methods of a collection with file fields (multipart create/update, file URLs). */
function fileMethods(c: Collection, n: string, base: string): string {
  if (!c.fields.some((f) => f.type === 'file')) return '';
  return `
      /** Creates a record with files (multipart/form-data); \`values\` are its other fields. */
      createWithFiles: (values: Partial<${n}Create>, files: ${n}Files, signal?: AbortSignal) => call<${n}Record>('POST', ${base}, { body: toForm(values as Record<string, unknown>, files), signal }),
      /** Updates a record's files (replace, or append with \`field+\`) and values in one multipart request. */
      updateWithFiles: (id: string, values: ${n}Update & Record<string, unknown>, files: ${n}FileChanges, signal?: AbortSignal) => call<${n}Record>('PATCH', ${base} + '/' + seg(id), { body: toForm(values as Record<string, unknown>, files as Record<string, Blob | Blob[] | undefined>), signal }),
      /** The download URL of one of a record's stored files. */
      fileUrl: (record: { id: string }, name: string, opts?: FileUrlOptions) => fileUrl(options, ${JSON.stringify(c.name)}, record.id, name, opts),`;
}

function schemaHasRequired(s: unknown): boolean {
  const r = (s as { required?: unknown[] }).required;
  return Array.isArray(r) && r.length > 0;
}
